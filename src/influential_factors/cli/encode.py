"""Encoding: the posteriors of a split's images or of every DEAP frame.

Each subcommand's parser and handler side by side: a DVC stage depends on its handler's imports only
(pipeline/code_deps.py).
"""

from __future__ import annotations

from .options import required_paths


def _encode(args) -> None:
    from ..models.encoding import encode_split

    count = encode_split(args.model, args.data, args.output, args.split)
    print(f"{args.output}: posteriors of {count} {args.split} samples")


def _encode_videos(args) -> None:
    from ..models.deap_encoding import encode_videos

    count = encode_videos(args.model, args.data, args.output)
    print(f"{args.output}: posteriors of every frame of {count} videos")


def register(commands) -> None:
    """Add this module's subcommands to the CLI's subparsers."""
    command = commands.add_parser("encode", help="posterior mean and log-variance of every sample of a split")
    required_paths(command, "model", "data", "output")
    command.add_argument("--split", default="test", choices=["train", "val", "test"], help="which split to encode")
    command.set_defaults(run=_encode)
    command = commands.add_parser("encode-videos", help="posteriors of every frame of every DEAP video")
    required_paths(command, "model", "data", "output")
    command.set_defaults(run=_encode_videos)
