"""Sessions for the usual chores. They run in the environment nox runs from (``./dev``
makes it: .venv/), so that a session costs no install: ``./dev test`` is ``nox -s tests``.
"""

from __future__ import annotations

import sys
from pathlib import Path

import nox

nox.options.default_venv_backend = "none"
nox.options.sessions = ["lint", "typecheck", "tests"]

PYTHON = sys.executable
BENCHMARKS = sorted(p for p in Path("benchmarks").glob("*.py") if not p.name.startswith("_"))


@nox.session
def tests(session: nox.Session) -> None:
    """The whole suite; every async test runs under asyncio and under trio."""
    session.run(PYTHON, "-m", "pytest", *session.posargs)


@nox.session
def lint(session: nox.Session) -> None:
    """ruff check and ruff format --check."""
    session.run(PYTHON, "-m", "ruff", "check", ".")
    session.run(PYTHON, "-m", "ruff", "format", "--check", ".")


@nox.session
def typecheck(session: nox.Session) -> None:
    """mypy --strict on the package."""
    session.run(PYTHON, "-m", "mypy", "anyio_workflow")


@nox.session
def bench(session: nox.Session) -> None:
    """Every benchmark, quick (pass --full for the full sizes)."""
    full = "--full" in session.posargs
    for script in BENCHMARKS:
        session.run(PYTHON, str(script), *([] if full else ["--quick"]))


@nox.session(name="bench-gate")
def bench_gate(session: nox.Session) -> None:
    """The benchmarks' regression alarm: every benchmark --quick; fails when a gated figure
    is worse than half its goal (CI runs it; the full runs are the measurement)."""
    session.run(PYTHON, "benchmarks/_gate.py", *session.posargs)


@nox.session
def docs(session: nox.Session) -> None:
    """Build the docs site (mkdocs-material, API pages by mkdocstrings) with --strict."""
    session.env["NO_MKDOCS_2_WARNING"] = "1"
    session.run(PYTHON, "-m", "mkdocs", "build", "--strict", *session.posargs)


@nox.session
def contracts(session: nox.Session) -> None:
    """Compile contracts/*.sol into anyio_workflow/contracts/ with the pinned npm solc."""
    session.run("node", "scripts/compile_contracts.mjs", external=True)


@nox.session
def demo(session: nox.Session) -> None:
    """The main job: the demo workflow."""
    session.run(PYTHON, "-m", "anyio_workflow.cli", "demo", *session.posargs)
