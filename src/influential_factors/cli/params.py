"""Checking params.yaml before any job (the same check every Snakemake start runs).

Each subcommand's parser and handler side by side: a DVC stage depends on its handler's imports only
(pipeline/code_deps.py).
"""

from __future__ import annotations

from pathlib import Path


def _validate_params(args) -> None:
    from ..pipeline.config import load_params

    load_params(args.params, args.schema)
    print(f"{args.params}: valid")


def register(commands) -> None:
    """Add this module's subcommands to the CLI's subparsers."""
    command = commands.add_parser("validate-params", help="check params.yaml against the schema")
    command.add_argument("params", type=Path, help="the params.yaml to check")
    command.add_argument("--schema", type=Path, default=Path("workflow/schemas/params.schema.yaml"),
                         help="the JSON schema (YAML) it must satisfy")
    command.set_defaults(run=_validate_params)
