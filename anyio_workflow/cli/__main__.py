"""`python -m anyio_workflow.cli` is the `anyio-workflow` command."""

from . import main

main()
