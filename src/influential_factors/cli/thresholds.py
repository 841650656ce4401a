"""The cheap steps that apply analysis.influential_threshold to the results of the expensive ones
(compare-estimators, ablate-topk, classify-topk), so that changing it re-runs only these (and flag-influential,
beside estimate-mi in information.py, whose table the figures read).

Each subcommand's parser and handler side by side: a DVC stage depends on its handler's imports only
(pipeline/code_deps.py).
"""

from __future__ import annotations

from .options import finite_float, required_paths

THRESHOLD_HELP = "influential above it (nats; params.yaml: analysis.influential_threshold)"


def _influential_metrics(args) -> None:
    from ..evaluation.ablation import add_influential_count

    metrics = add_influential_count(args.topk_metrics, args.estimates, args.metrics, threshold=args.threshold)
    print(f"{args.metrics}: I_total {metrics['I_total']:.3g}, {metrics['n_influential']} influential factors")


def _summarize_estimators(args) -> None:
    from ..information.comparison import summarize_estimators

    summary = summarize_estimators(args.estimators, args.joint, args.metrics, threshold=args.threshold)
    print(f"{args.metrics}: " + ", ".join(f"{name} {value:.3g}" for name, value in summary.items()))


def register(commands) -> None:
    """Add this module's subcommands to the CLI's subparsers."""
    command = commands.add_parser("influential-metrics", help="Table 1 or 2's metrics with the influential count")
    required_paths(command, "topk_metrics", "estimates", "metrics")
    command.add_argument("--threshold", required=True, type=finite_float, help=THRESHOLD_HELP)
    command.set_defaults(run=_influential_metrics)
    command = commands.add_parser("summarize-estimators", help="the estimators' totals and influential counts")
    required_paths(command, "estimators", "joint", "metrics")
    command.add_argument("--threshold", required=True, type=finite_float, help=THRESHOLD_HELP)
    command.set_defaults(run=_summarize_estimators)
