"""Advisory file locks that go with their process: a process that dies, even by SIGKILL,
frees them. The journal holds runs with them, and shared nonce managers hold accounts."""

from __future__ import annotations

import sys

__all__ = ["try_lock", "unlock"]


def try_lock(fd: int) -> bool:
    """Take an exclusive lock on ``fd`` without waiting; whether it was free. Two
    descriptors opened separately conflict even within one process."""
    if sys.platform == "win32":
        import msvcrt

        try:
            msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
        except OSError:
            return False
        return True
    import fcntl

    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    return True


def unlock(fd: int) -> None:
    """Let go of the lock :func:`try_lock` took on ``fd`` (the descriptor stays open)."""
    if sys.platform == "win32":
        import msvcrt

        msvcrt.locking(fd, msvcrt.LK_UNLCK, 1)
        return
    import fcntl

    fcntl.flock(fd, fcntl.LOCK_UN)
