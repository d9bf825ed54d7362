"""Property budgets: the ``ci`` hypothesis profile (``CI=true``, or ``HYPOTHESIS_PROFILE=ci``)
draws at least 100 examples where the money properties are checked (transfers, nonces,
fees); a developer's run draws fewer, to stay quick."""

from __future__ import annotations

import os

PROFILE = os.environ.get("HYPOTHESIS_PROFILE") or (
    "ci" if os.environ.get("CI", "").lower() == "true" else "dev"
)


def examples(dev: int, ci: int = 100) -> int:
    """The number of examples for this profile: ``dev`` locally, ``ci`` (>= 100) in CI."""
    return ci if PROFILE == "ci" else dev
