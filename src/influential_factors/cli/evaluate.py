"""Evaluation: Tables 1 and 2, Figure 5, generation, the supervised runs' informations and swap.

Each subcommand's parser and handler side by side: a DVC stage depends on its handler's imports only
(pipeline/code_deps.py).
"""

from __future__ import annotations

from pathlib import Path

from .options import at_least_two, attribute_options, classifier_options, finite_float, fraction, percent, positive_int, required_paths


def _ablate_topk(args) -> None:
    from ..evaluation.ablation import ablate_topk

    table = ablate_topk(args.model, args.data, args.posteriors, args.information, args.output_stem, args.metrics,
                        args.figure, percents=args.percents, images=args.images, title=args.title)
    print(table.to_string(index=False))


def _classify_topk(args) -> None:
    from ..evaluation.classifier import classify_topk

    table = classify_topk(args.posteriors, args.information, args.output_stem, args.metrics, percents=args.percents,
                          seeds=args.seeds, retrain=args.retrain, hidden=args.hidden, epochs=args.epochs,
                          batch_size=args.batch_size, lr=args.lr)
    print(table.to_string(index=False))


def _emotion_factors(args) -> None:
    from ..evaluation.emotion_factors import emotion_factors

    table = emotion_factors(args.model, args.posteriors, args.information, args.data, args.output_stem, args.figure,
                            args.metrics, ground_truth=args.ground_truth, n_factors=args.n_factors,
                            min_loss_increase=args.min_loss_increase, pattern_threshold=args.pattern_threshold,
                            title=args.title, seeds=args.seeds, hidden=args.hidden, epochs=args.epochs,
                            batch_size=args.batch_size, lr=args.lr)
    print(table.to_string(index=False))


def _generate(args) -> None:
    from ..evaluation.generation import generate

    metrics = generate(args.model, args.posteriors, args.output, args.metrics, samples=args.samples, seed=args.seed,
                       title=args.title)
    print(f"{args.output[0]}: " + ", ".join(f"{name} {value:.3g}" for name, value in metrics.items()))


def _evaluate_supervised(args) -> None:
    from ..data.attributes import Attribute
    from ..evaluation.supervised_evaluation import evaluate_supervised

    metrics = evaluate_supervised(args.model, args.data, args.posteriors, args.information,
                                  Attribute(args.dataset, args.attribute, args.celeba_root), args.classifier,
                                  args.output_stem, args.figure, args.metrics, seed=args.seed,
                                  mine_steps=args.mine_steps, swap_images=args.swap_images)
    print(f"{args.output_stem}: " + ", ".join(f"{name} {metrics[name]:.3g}" for name in
                                              ("I_z_y", "I_z_c", "I_c_y", "H_y", "I_est_z", "I_est_c", "swap_accuracy",
                                               "classifier_test_accuracy")))


def register(commands) -> None:
    """Add this module's subcommands to the CLI's subparsers."""
    command = commands.add_parser("ablate-topk", help="Table 1 and Figure 4: reconstruction error and images from"
                                                      " the top-k%% factors")
    required_paths(command, "model", "data", "posteriors", "information", "output_stem", "metrics")
    command.add_argument("--figure", required=True, nargs="+", type=Path, help="Figure 4: one or more of .png, .pdf")
    command.add_argument("--percents", required=True, nargs="+", type=percent,
                         help="the top-k%% rows, one column each in Figure 4 (params.yaml: analysis.topk_percent)")
    command.add_argument("--images", required=True, type=int,
                         help="Figure 4's rows: the first test images (params.yaml: analysis.traversals.seed_images)")
    command.add_argument("--title", default="", help="Figure 4's title")
    command.set_defaults(run=_ablate_topk)
    command = commands.add_parser("classify-topk", help="Table 2: emotion accuracy with the top-k%% factors")
    required_paths(command, "posteriors", "information", "output_stem", "metrics")
    command.add_argument("--percents", required=True, nargs="+", type=percent,
                         help="the top-k%% rows (params.yaml: analysis.topk_percent_emotion)")
    command.add_argument("--retrain", action="store_true", help="train one classifier per k instead of zeroing")
    classifier_options(command)
    command.set_defaults(run=_classify_topk)
    command = commands.add_parser("emotion-factors", help="Figure 5: traversals and accuracy drop of the top factors")
    required_paths(command, "model", "posteriors", "information", "data", "output_stem", "metrics")
    command.add_argument("--figure", required=True, nargs="+", type=Path, help="one or more of .png, .pdf")
    command.add_argument("--ground-truth", type=Path, default=None, help="the simulator's ground_truth.json, if any")
    command.add_argument("--n-factors", required=True, type=int,
                         help="how many of the top factors by I_est (params.yaml: analysis.emotion_factors.count)")
    command.add_argument("--min-loss-increase", required=True, type=finite_float,
                         help="rise of the test cross-entropy (nats) that flags a factor as emotion-relevant"
                              " (params.yaml: analysis.emotion_factors.min_loss_increase)")
    command.add_argument("--pattern-threshold", required=True, type=fraction,
                         help="|r| with a planted pattern's channel weights that counts as varying it"
                              " (params.yaml: analysis.emotion_factors.pattern_threshold)")
    command.add_argument("--title", default="", help="the figure's title")
    classifier_options(command)
    command.set_defaults(run=_emotion_factors)
    command = commands.add_parser("generate", help="decode codes from the prior and from q*, scored on held-out posteriors")
    required_paths(command, "model", "posteriors")
    command.add_argument("--output", required=True, nargs="+", type=Path, help="one or more of .png, .pdf")
    required_paths(command, "metrics")
    command.add_argument("--samples", required=True, type=at_least_two,
                         help="codes drawn from each sampler, drawn and scored (params.yaml: analysis.generation.samples)")
    command.add_argument("--seed", required=True, type=int, help="seeds the codes and the halves (params.yaml: seed)")
    command.add_argument("--title", default="", help="the figure's title")
    command.set_defaults(run=_generate)
    command = commands.add_parser("evaluate-supervised",
                                  help="the thesis's Tables 2 and 3, Figure 10: MINE on z, c, y and attribute swaps")
    required_paths(command, "model", "data")
    attribute_options(command)
    required_paths(command, "posteriors", "information", "classifier")
    command.add_argument("--output-stem", required=True, type=Path,
                         help="the one-row table: writes STEM.csv, .parquet, .md")
    command.add_argument("--figure", required=True, nargs="+", type=Path,
                         help="Figure 10, the swapped images: one or more of .png, .pdf")
    required_paths(command, "metrics")
    command.add_argument("--seed", required=True, type=int,
                         help="seeds the codes drawn from q and the MINE critics (params.yaml: seed)")
    command.add_argument("--mine-steps", required=True, type=positive_int,
                         help="Adam steps of each MINE critic (params.yaml: analysis.supervised.mine_steps)")
    command.add_argument("--swap-images", required=True, type=positive_int,
                         help="the first N test images swapped to every class and judged (the figure shows the first"
                              " of them, at most supervised_evaluation.FIGURE_ROWS; params.yaml:"
                              " analysis.supervised.swap_images)")
    command.set_defaults(run=_evaluate_supervised)
