"""The `workflow-analytics` command line."""

from __future__ import annotations

import typer

app = typer.Typer(no_args_is_help=True, add_completion=False, help="CDF Workflow Analytics.")


def main() -> None:
    app()
