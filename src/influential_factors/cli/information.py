"""Information: Algorithm 1, the MIG, every estimator per factor and against known answers.

Each subcommand's parser and handler side by side: a DVC stage depends on its handler's imports only
(pipeline/code_deps.py).
"""

from __future__ import annotations

from .options import finite_float, required_paths


def _estimate_mi(args) -> None:
    from ..information.mi import estimate_information

    table = estimate_information(args.posteriors, args.output_stem)
    print(f"{args.output_stem}: I_est total {table['I_est'].sum():.2f} nats over {len(table)} factors")


def _flag_influential(args) -> None:
    from ..information.mi import write_influential

    table = write_influential(args.estimates, args.output_stem, threshold=args.threshold)
    print(f"{args.output_stem}: I_est total {table['I_est'].sum():.2f} nats, "
          f"{int(table['influential'].sum())} factors above {args.threshold:g}")


def _mutual_information_gap(args) -> None:
    from ..information.mig import write_mig

    table, metrics = write_mig(args.posteriors, args.information, args.data, args.output_stem, args.metrics)
    print(table.to_string(index=False))
    print(", ".join(f"{name} {value:.3g}" for name, value in metrics.items()))


def _compare_estimators(args) -> None:
    from ..information.comparison import compare_estimators

    table = compare_estimators(args.posteriors, args.output_stem, args.agreement_stem, args.joint,
                               mixture_samples=args.mixture_samples, infonce_factors=args.infonce_factors,
                               seed=args.seed)
    print(f"{args.output_stem}: " + ", ".join(f"total {name} {table[name].sum():.3g}"
                                              for name in ("I_est", "I_free", "I_mixture", "kl_prior")))


def _benchmark_estimators(args) -> None:
    from ..information.comparison import benchmark_estimators

    table = benchmark_estimators(args.output_stem, args.metrics, samples=args.samples, seed=args.seed,
                                 infonce=args.infonce)
    print(table.to_string(index=False))


def register(commands) -> None:
    """Add this module's subcommands to the CLI's subparsers."""
    command = commands.add_parser("estimate-mi", help="Algorithm 1: I_est(x; z_h) per factor")
    required_paths(command, "posteriors", "output_stem")
    command.set_defaults(run=_estimate_mi)
    command = commands.add_parser("flag-influential", help="estimate-mi's table with the influence flag")
    required_paths(command, "estimates", "output_stem")
    command.add_argument("--threshold", required=True, type=finite_float,
                         help="influential above it (nats; params.yaml: analysis.influential_threshold)")
    command.set_defaults(run=_flag_influential)
    command = commands.add_parser("mig", help="mutual information gap of the test codes against the true factors")
    required_paths(command, "posteriors", "information", "data", "output_stem", "metrics")
    command.set_defaults(run=_mutual_information_gap)
    command = commands.add_parser("compare-estimators", help="every estimator of I(x; z_h), ranks and agreement")
    required_paths(command, "posteriors", "output_stem", "agreement_stem", "joint")
    command.add_argument("--mixture-samples", required=True, type=int,
                         help="z draws per sample, mixture estimator (params.yaml: analysis.estimators.mixture_samples)")
    command.add_argument("--infonce-factors", required=True, type=int,
                         help="InfoNCE on this many top factors, 0: off (params.yaml: analysis.estimators.infonce_factors)")
    command.add_argument("--seed", required=True, type=int, help="params.yaml: seed")
    command.set_defaults(run=_compare_estimators)
    command = commands.add_parser("benchmark-estimators", help="every estimator against synthetic known answers")
    required_paths(command, "output_stem", "metrics")
    command.add_argument("--samples", required=True, type=int,
                         help="samples per synthetic encoder (params.yaml: analysis.estimators.benchmark_samples)")
    command.add_argument("--infonce", action="store_true", help="add the neural InfoNCE bound (slow)")
    command.add_argument("--seed", required=True, type=int, help="params.yaml: seed")
    command.set_defaults(run=_benchmark_estimators)
