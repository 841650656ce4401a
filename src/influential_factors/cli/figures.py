"""Figures of the information: Figures 1 and 2, traversals.

Each subcommand's parser and handler side by side: a DVC stage depends on its handler's imports only
(pipeline/code_deps.py).
"""

from __future__ import annotations

from pathlib import Path

from .options import finite_float, required_paths


def _plot_information(args) -> None:
    from ..reporting.figures import plot_information
    from ..information.mi import flag_influential, read_information

    # the flag from the threshold the figure draws (flag-influential's, the same rule), so estimate-mi's table works too
    plot_information(flag_influential(read_information(args.information), args.threshold), args.threshold, args.title,
                     *args.output)


def _plot_traversals(args) -> None:
    from ..evaluation.traversal import plot_influential_traversals

    above, seeds = plot_influential_traversals(args.model, args.posteriors, args.information, args.output,
                                               threshold=args.threshold, max_factors=args.max_factors,
                                               seed_images=args.seed_images, title=args.title,
                                               topomap_meta=args.topomap_meta)
    print(f"{args.output[0]}: {above} factors above {args.threshold:g} nats and the least informative"
          f" x {seeds} seed images")


def register(commands) -> None:
    """Add this module's subcommands to the CLI's subparsers."""
    command = commands.add_parser("plot-information", help="Figure 1: I_est (up) and variance (down) per factor")
    required_paths(command, "information")
    command.add_argument("--output", required=True, nargs="+", type=Path, help="one or more of .png, .pdf")
    command.add_argument("--threshold", required=True, type=finite_float,
                         help="influential above it (nats; params.yaml: analysis.influential_threshold)")
    command.add_argument("--title", default="", help="the figure's title")
    command.set_defaults(run=_plot_information)
    command = commands.add_parser("plot-traversals", help="Figures 1, 3, 5-8: traversals of the influential factors")
    required_paths(command, "model", "posteriors", "information")
    command.add_argument("--output", required=True, nargs="+", type=Path, help="one or more of .png, .pdf")
    command.add_argument("--threshold", required=True, type=finite_float,
                         help="traverse factors with I_est above it (nats; params.yaml: analysis.traversals.threshold)")
    command.add_argument("--max-factors", required=True, type=int,
                         help="at most this many (params.yaml: analysis.traversals.max_factors)")
    command.add_argument("--seed-images", required=True, type=int,
                         help="the first test images (DEAP: the first test videos' middle frames), one row each"
                              " (params.yaml: analysis.traversals.seed_images)")
    command.add_argument("--title", default="", help="the figure's title")
    command.add_argument("--topomap-meta", type=Path, default=None,
                         help="DEAP's meta.npz: draw the decoded maps as scalp maps with the head outline")
    command.set_defaults(run=_plot_traversals)
