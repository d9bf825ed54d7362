"""`python -m anyio_workflow` is the `anyio-workflow` command."""

from .cli import main

main()
