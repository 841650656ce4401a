"""Command line: one subcommand per workflow rule, with explicit input and output paths."""

from __future__ import annotations

import argparse
import errno
import functools
import math
import re
import sys
from pathlib import Path

from .artifacts import refuse_overlap


def _prepare_mnist(args) -> None:
    from .datasets import prepare_mnist

    if args.root:
        refuse_overlap(args.root, args.output, "--root", "--output")
    sizes = prepare_mnist(args.output, args.root, tuple(args.split), args.seed, args.limit, args.download)
    print(f"{args.output}: " + ", ".join(f"{name} {size}" for name, size in sizes.items()))


def _prepare_dataset(args) -> None:
    from .registry import prepare_registered

    sizes = prepare_registered(args.output, args.dataset, args.settings, args.seed)
    print(f"{args.output}: " + ", ".join(f"{name} {size}" for name, size in sizes.items()))


def _prepare_faces(args) -> None:
    from .faces import prepare_faces

    if args.root:
        refuse_overlap(args.root, args.output, "--root", "--output")
    sizes = prepare_faces(args.output, args.root, crop=args.crop, split_mode=args.split_mode, split=tuple(args.split),
                          seed=args.seed, limit=args.limit, workers=args.workers, skip_corrupt=args.skip_corrupt)
    print(f"{args.output}: " + ", ".join(f"{name} {size}" for name, size in sizes.items()))


def _prepare_shapes(args) -> None:
    from .shapes import prepare_shapes

    sizes = prepare_shapes(args.output, args.count, tuple(args.split), args.seed)
    print(f"{args.output}: " + ", ".join(f"{name} {size}" for name, size in sizes.items()))


def _mutual_information_gap(args) -> None:
    from .mig import write_mig

    table, metrics = write_mig(args.posteriors, args.information, args.data, args.output_stem, args.metrics)
    print(table.to_string(index=False))
    print(", ".join(f"{name} {value:.3g}" for name, value in metrics.items()))


def _simulate_deap(args) -> None:
    from .deap_simulator import simulate_deap

    simulate_deap(args.output_dir, args.subjects, trials=args.trials, seed=args.seed)
    print(f"{args.output_dir}: {args.subjects} simulated subjects x {args.trials} trials in DEAP's format")


def _prepare_deap(args) -> None:
    from .deap_videos import prepare_deap

    refuse_overlap(args.raw, args.output_dir, "--raw", "--output-dir")
    bands = {}
    for name, low, high in args.band:
        try:
            edges = [_finite_float(low), _finite_float(high)]
        except argparse.ArgumentTypeError as error:
            raise ValueError(f"--band {name}: {error}") from None
        if not 0 <= edges[0] < edges[1]:
            raise ValueError(f"--band {name}: needs 0 <= LOW_HZ < HIGH_HZ, got {low} {high}")
        bands[name] = edges
    sizes = prepare_deap(args.raw, args.subjects, args.output_dir, montage=args.montage, channels=args.channels,
                         bands=bands, baseline=args.baseline, split=tuple(args.split), seed=args.seed,
                         grid_size=args.grid_size, class_threshold=args.class_threshold)
    print(f"{args.output_dir}: " + ", ".join(f"{name} {size}" for name, size in sizes.items()))


def _train_vae(args) -> None:
    from .attributes import Attribute
    from .training import train_vae

    if args.attribute and not args.dataset:
        raise ValueError("train-vae: --attribute needs --dataset (how the data's labels read)")
    attribute = Attribute(args.dataset, args.attribute, args.celeba_root) if args.attribute else None
    summary = train_vae(args.data, args.model, args.live_dir, objective=args.objective,
                        objective_settings=args.objective_settings, beta=args.beta, sigma2_x=args.sigma2_x,
                        channels=args.channels, hidden=args.hidden, latents=args.latents, epochs=args.epochs,
                        batch_size=args.batch_size, lr=args.lr, seed=args.seed, likelihood=args.likelihood,
                        checkpoint_every=args.checkpoint_every, precision=args.precision,
                        compile_model=args.compile, attribute=attribute)
    print(f"{args.model}: " + ", ".join(f"{name} {value:.3f}" for name, value in summary.items()))


def _train_attribute_classifier(args) -> None:
    from .attribute_classifier import train_attribute_classifier
    from .attributes import Attribute

    metrics = train_attribute_classifier(args.data, Attribute(args.dataset, args.attribute, args.celeba_root),
                                         args.output, args.metrics, channels=args.channels, epochs=args.epochs,
                                         batch_size=args.batch_size, lr=args.lr, seed=args.seed)
    print(f"{args.output}: {args.attribute} ({', '.join(metrics['classes'])}) test accuracy "
          f"{metrics['test_accuracy']:.3f}, chance {metrics['chance']:.3f}")


def _encode(args) -> None:
    from .encoding import encode_split

    count = encode_split(args.model, args.data, args.output, args.split)
    print(f"{args.output}: posteriors of {count} {args.split} samples")


def _estimate_mi(args) -> None:
    from .mi import estimate_information

    table = estimate_information(args.posteriors, args.output_stem, threshold=args.threshold)
    print(f"{args.output_stem}: I_est total {table['I_est'].sum():.2f} nats, "
          f"{int(table['influential'].sum())} factors above {args.threshold:g}")


def _compare_estimators(args) -> None:
    from .comparison import compare_estimators

    summary = compare_estimators(args.posteriors, args.output_stem, args.agreement_stem, args.metrics,
                                 threshold=args.threshold, mixture_samples=args.mixture_samples,
                                 infonce_factors=args.infonce_factors, seed=args.seed)
    print(f"{args.output_stem}: " + ", ".join(f"{name} {value:.3g}" for name, value in summary.items()))


def _benchmark_estimators(args) -> None:
    from .comparison import benchmark_estimators

    table = benchmark_estimators(args.output_stem, args.metrics, samples=args.samples, seed=args.seed,
                                 infonce=args.infonce)
    print(table.to_string(index=False))


def _ablate_topk(args) -> None:
    from .ablation import ablate_topk

    table = ablate_topk(args.model, args.data, args.posteriors, args.information, args.output_stem, args.metrics,
                        args.figure, percents=args.percents, images=args.images, title=args.title)
    print(table.to_string(index=False))


def _encode_videos(args) -> None:
    from .deap_encoding import encode_videos

    count = encode_videos(args.model, args.data, args.output)
    print(f"{args.output}: posteriors of every frame of {count} videos")


def _classify_topk(args) -> None:
    from .classifier import classify_topk

    table = classify_topk(args.posteriors, args.information, args.output_stem, args.metrics, percents=args.percents,
                          seeds=args.seeds, retrain=args.retrain, hidden=args.hidden, epochs=args.epochs,
                          batch_size=args.batch_size, lr=args.lr)
    print(table.to_string(index=False))


def _emotion_factors(args) -> None:
    from .emotion_factors import emotion_factors

    table = emotion_factors(args.model, args.posteriors, args.information, args.data, args.output_stem, args.figure,
                            args.metrics, ground_truth=args.ground_truth, n_factors=args.n_factors,
                            min_loss_increase=args.min_loss_increase, pattern_threshold=args.pattern_threshold,
                            title=args.title, seeds=args.seeds, hidden=args.hidden, epochs=args.epochs,
                            batch_size=args.batch_size, lr=args.lr)
    print(table.to_string(index=False))


def _plot_traversals(args) -> None:
    from .traversal import plot_influential_traversals

    above, seeds = plot_influential_traversals(args.model, args.posteriors, args.information, args.output,
                                               threshold=args.threshold, max_factors=args.max_factors,
                                               seed_images=args.seed_images, title=args.title,
                                               topomap_meta=args.topomap_meta)
    print(f"{args.output[0]}: {above} factors above {args.threshold:g} nats and the least informative"
          f" x {seeds} seed images")


def _generate(args) -> None:
    from .generation import generate

    metrics = generate(args.model, args.posteriors, args.output, args.metrics, samples=args.samples, seed=args.seed,
                       title=args.title)
    print(f"{args.output[0]}: " + ", ".join(f"{name} {value:.3g}" for name, value in metrics.items()))


def _evaluate_supervised(args) -> None:
    from .attributes import Attribute
    from .supervised_evaluation import evaluate_supervised

    metrics = evaluate_supervised(args.model, args.data, args.posteriors, args.information,
                                  Attribute(args.dataset, args.attribute, args.celeba_root), args.classifier,
                                  args.output_stem, args.figure, args.metrics, seed=args.seed,
                                  mine_steps=args.mine_steps, swap_images=args.swap_images)
    print(f"{args.output_stem}: " + ", ".join(f"{name} {metrics[name]:.3g}" for name in
                                              ("I_z_y", "I_z_c", "I_c_y", "H_y", "I_est_z", "I_est_c", "swap_accuracy",
                                               "classifier_test_accuracy")))


def _summarize_runs(args) -> None:
    from .run_summary import summarize_runs

    summary = summarize_runs(args.runs, args.information, args.tables, args.generation, args.mig, args.anchors,
                             args.output_stem, args.figure, args.metrics, threshold=args.threshold, title=args.title,
                             headline=args.headline, dataset=args.dataset)
    print(summary.to_string(index=False))


def _headline_metrics(args) -> None:
    from .headline import write_headline

    metrics = write_headline(args.output, args.dataset, args.runs, args.information, args.tables)
    print(f"{args.output}: the headline numbers of {len(metrics)} runs")


def _compare_paper(args) -> None:
    from .paper import RunTable, compare_paper

    runs = {}
    for name in ("table1", "table2"):
        companions = [f"--{name}-{option}" for option in ("data", "beta", "epochs")
                      if getattr(args, f"{name}_{option}") is None]
        if getattr(args, name) is not None and companions:
            raise ValueError(f"{getattr(args, name)}: compare-paper needs {', '.join(companions)} with --{name}")
        if getattr(args, name) is not None:
            runs[name] = RunTable(*(getattr(args, f"{name}{option}") for option in ("", "_data", "_beta", "_epochs",
                                                                                      "_source")))
    table, notes = compare_paper(args.output_stem, runs.get("table1"), runs.get("table2"))
    print("\n".join(notes))
    print(table.to_string(index=False))


def _tables_page(args) -> None:
    from .report import write_tables_page

    write_tables_page(args.tables, args.output, args.title)
    print(f"{args.output}: {len(args.tables)} tables")


def _plot_information(args) -> None:
    from .figures import plot_information
    from .mi import read_information

    plot_information(read_information(args.information), args.threshold, args.title, *args.output)


def _validate_params(args) -> None:
    from .config import load_params

    load_params(args.params, args.schema)
    print(f"{args.params}: valid")


def _json_mapping(text: str) -> dict:
    """argparse type: a JSON object."""
    import json

    try:
        value = json.loads(text)
    except json.JSONDecodeError as error:
        raise argparse.ArgumentTypeError(f"not JSON ({error})") from None
    if not isinstance(value, dict):
        raise argparse.ArgumentTypeError("must be a JSON object")
    return value


def _finite_float(text: str) -> float:
    """argparse type: a finite float (not nan, inf or -inf)."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"invalid float value: {text!r}") from None
    if not math.isfinite(value):
        raise argparse.ArgumentTypeError(f"{text!r} is not a finite number")
    return value


def _bounded_float(low: float | None = None, high: float | None = None, low_open: bool = False):
    """argparse type: a finite float in [low, high] ((low, high] with `low_open`); None: unbounded."""
    def parse(text: str) -> float:
        value = _finite_float(text)
        if (low is not None and (value < low or (low_open and value == low))) or (high is not None and value > high):
            left = "(" if low_open else "["
            raise argparse.ArgumentTypeError(f"{text!r} is not in {left}{low if low is not None else '-inf'}, "
                                             f"{high if high is not None else 'inf'}]")
        return value
    parse.__name__ = "float"
    return parse


_fraction = _bounded_float(0.0, 1.0)
_positive_float = _bounded_float(0.0, low_open=True)
_non_negative_float = _bounded_float(0.0)
_percent = _bounded_float(0.0, 100.0)


def _positive_int(text: str) -> int:
    """argparse type: an integer >= 1."""
    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"{text!r} is not an integer >= 1")
    return int(text)


def _at_least_two(text: str) -> int:
    """argparse type: an integer >= 2."""
    if not text.isdigit() or int(text) < 2:
        raise argparse.ArgumentTypeError(f"{text!r} is not an integer >= 2")
    return int(text)


def _run(text: str) -> tuple[str, float]:
    """argparse type: OBJECTIVE:BETA, a run of one objective at one beta."""
    objective, _, beta = text.rpartition(":")
    if not objective:
        raise argparse.ArgumentTypeError(f"{text!r} is not OBJECTIVE:BETA")
    return objective, _non_negative_float(beta)


PATH_HELP = {
    "output": "the file written",
    "output_dir": "the folder written",
    "output_stem": "writes STEM.csv, .parquet, .md",
    "agreement_stem": "the rank agreement table: writes STEM.csv, .parquet, .md",
    "metrics": "the metrics JSON written",
    "posteriors": "posteriors written by encode or encode-videos (.npz)",
    "information": "information table written by estimate-mi (.csv)",
    "data": "the processed data set (.npz; DEAP: the video folder)",
    "model": "the trained VAE (.pt)",
    "classifier": "the attribute classifier written by train-attribute-classifier (.pt)",
    "live_dir": "folder for DVCLive's training curves and summary",
    "raw": "folder holding DEAP's sXX.dat files",
}


def _required_paths(command: argparse.ArgumentParser, *names: str) -> None:
    """Add a required `--name PATH` option for each name (underscores become dashes)."""
    for name in names:
        command.add_argument("--" + name.replace("_", "-"), required=True, type=Path, help=PATH_HELP[name])


def _classifier_options(command: argparse.ArgumentParser) -> None:
    """The emotion classifier's settings (params.yaml: classifier) and seeds."""
    command.add_argument("--seeds", required=True, nargs="+", type=int,
                         help="one classifier per seed (params.yaml: classifier.seeds)")
    command.add_argument("--hidden", required=True, type=int,
                         help="LSTM hidden units (params.yaml: classifier.hidden)")
    command.add_argument("--epochs", required=True, type=int, help="params.yaml: classifier.epochs")
    command.add_argument("--batch-size", required=True, type=int, help="params.yaml: classifier.batch_size")
    command.add_argument("--lr", required=True, type=_positive_float, help="Adam's learning rate (params.yaml: classifier.lr)")


def _attribute_options(command: argparse.ArgumentParser, required: bool = True) -> None:
    """Which attribute labels the images of --data (attributes.py), for the supervised objectives (optional for
    train-vae: only they read labels)."""
    unlabelled = "" if required else "; none: an objective without labels"
    command.add_argument("--dataset", required=required, default=None,
                         help=f"which dataset --data holds (how its labels read; params.yaml: datasets{unlabelled})")
    command.add_argument("--attribute", required=required, default=None,
                         help="the attribute labelling the images (attributes.py; params.yaml:"
                              f" objectives.mmvae.attributes.<dataset>{unlabelled})")
    command.add_argument("--celeba-root", default=None,
                         help="real CelebA's folder, where its attribute file lies (celeba only; params.yaml:"
                              " data.celeba.root)")


class _HelpFormatter(argparse.ArgumentDefaultsHelpFormatter):
    """Shows the default of every optional option; a required one has none."""

    def _get_help_string(self, action):
        return action.help if action.required else super()._get_help_string(action)


def build_parser() -> argparse.ArgumentParser:
    """The subcommands in workflow order: prepare, train, encode, estimate, ablate/classify, figures, summaries."""
    parser = argparse.ArgumentParser(prog="influential-factors", description=__doc__, formatter_class=_HelpFormatter)
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND",
                                     title="commands, in workflow order",
                                     parser_class=functools.partial(argparse.ArgumentParser,
                                                                    formatter_class=_HelpFormatter))

    command = commands.add_parser("validate-params", help="check params.yaml against the schema")
    command.add_argument("params", type=Path, help="the params.yaml to check")
    command.add_argument("--schema", type=Path, default=Path("workflow/schemas/params.schema.yaml"),
                         help="the JSON schema (YAML) it must satisfy")
    command.set_defaults(run=_validate_params)

    command = commands.add_parser("prepare-mnist", help="load MNIST (real or embedded), split, save .npz")
    _required_paths(command, "output")
    command.add_argument("--root", default=None, help="real MNIST in torchvision's layout; omit for the embedded digits"
                                                       " (params.yaml: data.mnist.root)")
    command.add_argument("--download", action="store_true",
                         help="let torchvision download MNIST into --root (params.yaml: data.mnist.download)")
    command.add_argument("--split", required=True, nargs=3, type=_fraction,
                         help="train, validation, test fractions (params.yaml: data.mnist.split)")
    command.add_argument("--seed", required=True, type=int, help="seeds the split (params.yaml: seed)")
    command.add_argument("--limit", type=int, default=None,
                         help="keep only the first N images; omit to keep all (params.yaml: data.mnist.limit)")
    command.set_defaults(run=_prepare_mnist)

    command = commands.add_parser("prepare-faces", help="CelebA (or the embedded ORL faces) -> 64x64 RGB .npz")
    _required_paths(command, "output")
    command.add_argument("--root", default=None, help="CelebA folder, official or Kaggle layout; omit for ORL faces"
                                                       " (params.yaml: data.celeba.root)")
    command.add_argument("--crop", required=True, type=int,
                         help="side of the centred square crop (CelebA; params.yaml: data.celeba.crop)")
    command.add_argument("--split-mode", required=True, choices=["random", "official"],
                         help="random: --split seeded by --seed; official: CelebA's partition (params.yaml: data.celeba.split_mode)")
    command.add_argument("--split", required=True, nargs=3, type=_fraction,
                         help="train, validation, test fractions (params.yaml: data.celeba.split)")
    command.add_argument("--seed", required=True, type=int, help="seeds the split (params.yaml: seed)")
    command.add_argument("--limit", type=int, default=None,
                         help="keep only the first N images; omit to keep all (params.yaml: data.celeba.limit)")
    command.add_argument("--workers", type=int, default=1, help="processes decoding JPEGs (the rule's threads)")
    command.add_argument("--skip-corrupt", action="store_true",
                         help="leave unreadable images out, counted in the log (params.yaml: data.celeba.skip_corrupt)")
    command.set_defaults(run=_prepare_faces)

    command = commands.add_parser("prepare-shapes", help="draw the shapes data set with 5 known factors -> .npz")
    _required_paths(command, "output")
    command.add_argument("--count", required=True, type=int, help="images drawn (params.yaml: data.shapes.count)")
    command.add_argument("--split", required=True, nargs=3, type=_fraction,
                         help="train, validation, test fractions (params.yaml: data.shapes.split)")
    command.add_argument("--seed", required=True, type=int, help="seeds the factors and the split (params.yaml: seed)")
    command.set_defaults(run=_prepare_shapes)

    command = commands.add_parser("prepare-dataset", help="a registered image dataset with its own module -> .npz")
    _required_paths(command, "output")
    command.add_argument("--dataset", required=True, help="its name in influential_factors/registry.py")
    command.add_argument("--settings", required=True, type=_json_mapping,
                         help="its params.yaml section data.<dataset> as JSON (with `split`)")
    command.add_argument("--seed", required=True, type=int, help="seeds the split (params.yaml: seed)")
    command.set_defaults(run=_prepare_dataset)

    command = commands.add_parser("simulate-deap", help="write simulated EEG in DEAP's exact file format")
    _required_paths(command, "output_dir")
    command.add_argument("--subjects", required=True, type=int,
                         help="writes s01.dat .. sNN.dat (the highest of params.yaml: data.deap.subjects)")
    command.add_argument("--trials", required=True, type=int,
                         help="trials per subject (params.yaml: data.deap.simulated_trials)")
    command.add_argument("--seed", required=True, type=int, help="params.yaml: seed")
    command.set_defaults(run=_simulate_deap)

    command = commands.add_parser("prepare-deap", help="DEAP sXX.dat files -> topographic-map videos")
    _required_paths(command, "raw", "output_dir")
    command.add_argument("--subjects", nargs="+", type=int, required=True,
                         help="which sXX.dat files (params.yaml: data.deap.subjects)")
    command.add_argument("--montage", required=True, help="MNE standard montage (params.yaml: data.deap.montage)")
    command.add_argument("--channels", nargs="+", default=None,
                         help="EEG channels to map; omit for DEAP's 32 (params.yaml: data.deap.channels)")
    command.add_argument("--band", required=True, nargs=3, action="append", metavar=("NAME", "LOW_HZ", "HIGH_HZ"),
                         help="repeat per band, in colour-channel order (params.yaml: data.deap.bands)")
    command.add_argument("--baseline", required=True, choices=["keep", "drop", "subtract"],
                         help="the 3-s baseline windows (params.yaml: data.deap.baseline)")
    command.add_argument("--split", required=True, nargs=3, type=_fraction,
                         help="train, validation, test fractions of the trials (params.yaml: data.deap.split)")
    command.add_argument("--seed", required=True, type=int, help="seeds the split (params.yaml: seed)")
    command.add_argument("--grid-size", required=True, type=int,
                         help="side of the topographic maps (params.yaml: data.deap.grid_size)")
    command.add_argument("--class-threshold", required=True, type=_finite_float,
                         help="ratings above it are high (params.yaml: data.deap.class_threshold)")
    command.set_defaults(run=_prepare_deap)

    command = commands.add_parser("train-vae", help="train a VAE under one objective on a processed data set")
    _required_paths(command, "data", "model", "live_dir")
    command.add_argument("--objective", required=True,
                         help="the objective (params.yaml: vae.<dataset>.betas for beta_vae, vae.<dataset>.objectives)")
    command.add_argument("--objective-settings", required=True, type=_json_mapping,
                         help="the objective's settings as a JSON object (params.yaml: objectives.<objective>; {} for beta_vae)")
    command.add_argument("--beta", required=True, type=_non_negative_float,
                         help="weight of the KL term, beta_tcvae: of the total correlation (params.yaml:"
                              " vae.<dataset>.betas or vae.<dataset>.objectives.<objective>)")
    command.add_argument("--sigma2-x", required=True, type=_positive_float,
                         help="likelihood noise variance (params.yaml: vae.<dataset>.sigma2_x)")
    command.add_argument("--likelihood", required=True, choices=["gaussian", "mixture"],
                         help="p(x|z) (params.yaml: vae.<dataset>.likelihood)")
    command.add_argument("--channels", required=True, nargs="+", type=int,
                         help="conv stack channels (params.yaml: vae.<dataset>.channels)")
    command.add_argument("--hidden", required=True, type=int, help="params.yaml: vae.<dataset>.hidden")
    command.add_argument("--latents", required=True, type=int, help="params.yaml: vae.<dataset>.latents")
    command.add_argument("--epochs", required=True, type=int, help="params.yaml: vae.<dataset>.epochs")
    command.add_argument("--batch-size", required=True, type=int, help="params.yaml: vae.<dataset>.batch_size")
    command.add_argument("--lr", required=True, type=_positive_float, help="params.yaml: vae.<dataset>.lr")
    command.add_argument("--seed", required=True, type=int, help="params.yaml: seed")
    command.add_argument("--checkpoint-every", required=True, type=_positive_int,
                         help="save a resumable checkpoint beside the model every N epochs (removed on success;"
                              " params.yaml: training.checkpoint_every)")
    command.add_argument("--precision", required=True, choices=["float32", "bf16"],
                         help="bf16: the network under bfloat16 autocast (GPUs), the loss in float32"
                              " (params.yaml: training.precision)")
    command.add_argument("--compile", action="store_true",
                         help="train through torch.compile (GPUs; params.yaml: training.compile)")
    _attribute_options(command, required=False)
    command.set_defaults(run=_train_vae)

    command = commands.add_parser("train-attribute-classifier",
                                  help="the thesis's Table 3 judge: a CNN classifying an attribute from the images")
    _required_paths(command, "data")
    _attribute_options(command)
    command.add_argument("--output", required=True, type=Path, help="the classifier written (.pt)")
    _required_paths(command, "metrics")
    command.add_argument("--channels", required=True, nargs="+", type=_positive_int,
                         help="conv stack channels, one 4x4 stride-2 layer each, as the VAE's encoder"
                              " (params.yaml: vae.<dataset>.channels)")
    command.add_argument("--epochs", required=True, type=_positive_int,
                         help="passes over the train split (params.yaml: analysis.supervised.classifier.epochs)")
    command.add_argument("--batch-size", required=True, type=_positive_int,
                         help="images per Adam step (params.yaml: analysis.supervised.classifier.batch_size)")
    command.add_argument("--lr", required=True, type=_positive_float,
                         help="Adam's learning rate (params.yaml: analysis.supervised.classifier.lr)")
    command.add_argument("--seed", required=True, type=int,
                         help="seeds the weights and the batch order (params.yaml: seed)")
    command.set_defaults(run=_train_attribute_classifier)

    command = commands.add_parser("encode", help="posterior mean and log-variance of every sample of a split")
    _required_paths(command, "model", "data", "output")
    command.add_argument("--split", default="test", choices=["train", "val", "test"], help="which split to encode")
    command.set_defaults(run=_encode)

    command = commands.add_parser("encode-videos", help="posteriors of every frame of every DEAP video")
    _required_paths(command, "model", "data", "output")
    command.set_defaults(run=_encode_videos)

    command = commands.add_parser("estimate-mi", help="Algorithm 1: I_est(x; z_h) per factor")
    _required_paths(command, "posteriors", "output_stem")
    command.add_argument("--threshold", required=True, type=_finite_float,
                         help="influential above it (nats; params.yaml: analysis.influential_threshold)")
    command.set_defaults(run=_estimate_mi)

    command = commands.add_parser("mig", help="mutual information gap of the test codes against the true factors")
    _required_paths(command, "posteriors", "information", "data", "output_stem", "metrics")
    command.set_defaults(run=_mutual_information_gap)

    command = commands.add_parser("compare-estimators", help="every estimator of I(x; z_h), ranks and agreement")
    _required_paths(command, "posteriors", "output_stem", "agreement_stem", "metrics")
    command.add_argument("--threshold", required=True, type=_finite_float,
                         help="influential above it (nats; params.yaml: analysis.influential_threshold)")
    command.add_argument("--mixture-samples", required=True, type=int,
                         help="z draws per sample, mixture estimator (params.yaml: analysis.estimators.mixture_samples)")
    command.add_argument("--infonce-factors", required=True, type=int,
                         help="InfoNCE on this many top factors, 0: off (params.yaml: analysis.estimators.infonce_factors)")
    command.add_argument("--seed", required=True, type=int, help="params.yaml: seed")
    command.set_defaults(run=_compare_estimators)

    command = commands.add_parser("benchmark-estimators", help="every estimator against synthetic known answers")
    _required_paths(command, "output_stem", "metrics")
    command.add_argument("--samples", required=True, type=int,
                         help="samples per synthetic encoder (params.yaml: analysis.estimators.benchmark_samples)")
    command.add_argument("--infonce", action="store_true", help="add the neural InfoNCE bound (slow)")
    command.add_argument("--seed", required=True, type=int, help="params.yaml: seed")
    command.set_defaults(run=_benchmark_estimators)

    command = commands.add_parser("ablate-topk", help="Table 1 and Figure 4: reconstruction error and images from"
                                                      " the top-k%% factors")
    _required_paths(command, "model", "data", "posteriors", "information", "output_stem", "metrics")
    command.add_argument("--figure", required=True, nargs="+", type=Path, help="Figure 4: one or more of .png, .pdf")
    command.add_argument("--percents", required=True, nargs="+", type=_percent,
                         help="the top-k%% rows, one column each in Figure 4 (params.yaml: analysis.topk_percent)")
    command.add_argument("--images", required=True, type=int,
                         help="Figure 4's rows: the first test images (params.yaml: analysis.traversals.seed_images)")
    command.add_argument("--title", default="", help="Figure 4's title")
    command.set_defaults(run=_ablate_topk)

    command = commands.add_parser("classify-topk", help="Table 2: emotion accuracy with the top-k%% factors")
    _required_paths(command, "posteriors", "information", "output_stem", "metrics")
    command.add_argument("--percents", required=True, nargs="+", type=_percent,
                         help="the top-k%% rows (params.yaml: analysis.topk_percent_emotion)")
    command.add_argument("--retrain", action="store_true", help="train one classifier per k instead of zeroing")
    _classifier_options(command)
    command.set_defaults(run=_classify_topk)

    command = commands.add_parser("emotion-factors", help="Figure 5: traversals and accuracy drop of the top factors")
    _required_paths(command, "model", "posteriors", "information", "data", "output_stem", "metrics")
    command.add_argument("--figure", required=True, nargs="+", type=Path, help="one or more of .png, .pdf")
    command.add_argument("--ground-truth", type=Path, default=None, help="the simulator's ground_truth.json, if any")
    command.add_argument("--n-factors", required=True, type=int,
                         help="how many of the top factors by I_est (params.yaml: analysis.emotion_factors.count)")
    command.add_argument("--min-loss-increase", required=True, type=_finite_float,
                         help="rise of the test cross-entropy (nats) that flags a factor as emotion-relevant"
                              " (params.yaml: analysis.emotion_factors.min_loss_increase)")
    command.add_argument("--pattern-threshold", required=True, type=_fraction,
                         help="|r| with a planted pattern's channel weights that counts as varying it"
                              " (params.yaml: analysis.emotion_factors.pattern_threshold)")
    command.add_argument("--title", default="", help="the figure's title")
    _classifier_options(command)
    command.set_defaults(run=_emotion_factors)

    command = commands.add_parser("plot-information", help="Figure 1: I_est (up) and variance (down) per factor")
    _required_paths(command, "information")
    command.add_argument("--output", required=True, nargs="+", type=Path, help="one or more of .png, .pdf")
    command.add_argument("--threshold", required=True, type=_finite_float,
                         help="influential above it (nats; params.yaml: analysis.influential_threshold)")
    command.add_argument("--title", default="", help="the figure's title")
    command.set_defaults(run=_plot_information)

    command = commands.add_parser("plot-traversals", help="Figures 1, 3, 5-8: traversals of the influential factors")
    _required_paths(command, "model", "posteriors", "information")
    command.add_argument("--output", required=True, nargs="+", type=Path, help="one or more of .png, .pdf")
    command.add_argument("--threshold", required=True, type=_finite_float,
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

    command = commands.add_parser("generate", help="decode codes from the prior and from q*, scored on held-out posteriors")
    _required_paths(command, "model", "posteriors")
    command.add_argument("--output", required=True, nargs="+", type=Path, help="one or more of .png, .pdf")
    _required_paths(command, "metrics")
    command.add_argument("--samples", required=True, type=_at_least_two,
                         help="codes drawn from each sampler, drawn and scored (params.yaml: analysis.generation.samples)")
    command.add_argument("--seed", required=True, type=int, help="seeds the codes and the halves (params.yaml: seed)")
    command.add_argument("--title", default="", help="the figure's title")
    command.set_defaults(run=_generate)

    command = commands.add_parser("evaluate-supervised",
                                  help="the thesis's Tables 2 and 3, Figure 10: MINE on z, c, y and attribute swaps")
    _required_paths(command, "model", "data")
    _attribute_options(command)
    _required_paths(command, "posteriors", "information", "classifier")
    command.add_argument("--output-stem", required=True, type=Path,
                         help="the one-row table: writes STEM.csv, .parquet, .md")
    command.add_argument("--figure", required=True, nargs="+", type=Path,
                         help="Figure 10, the swapped images: one or more of .png, .pdf")
    _required_paths(command, "metrics")
    command.add_argument("--seed", required=True, type=int,
                         help="seeds the codes drawn from q and the MINE critics (params.yaml: seed)")
    command.add_argument("--mine-steps", required=True, type=_positive_int,
                         help="Adam steps of each MINE critic (params.yaml: analysis.supervised.mine_steps)")
    command.add_argument("--swap-images", required=True, type=_positive_int,
                         help="the first N test images swapped to every class and judged (the figure shows the first"
                              " of them, at most supervised_evaluation.FIGURE_ROWS; params.yaml:"
                              " analysis.supervised.swap_images)")
    command.set_defaults(run=_evaluate_supervised)

    command = commands.add_parser("summarize-runs", help="every run (objective, beta) of a dataset side by side")
    command.add_argument("--runs", required=True, nargs="+", type=_run, metavar="OBJECTIVE:BETA",
                         help="one per run (params.yaml: vae.<dataset>.objectives and betas)")
    command.add_argument("--information", required=True, nargs="+", type=Path, help="one estimate-mi table per run")
    command.add_argument("--tables", required=True, nargs="+", type=Path, help="one Table 1 (ablate-topk) per run")
    command.add_argument("--generation", required=True, nargs="+", type=Path, help="one generate metrics JSON per run")
    command.add_argument("--mig", nargs="+", type=Path, default=None, help="one mig metrics JSON per run; omit without")
    command.add_argument("--anchors", nargs="+", type=int, default=None,
                         help="the anchor_vae runs' anchored factors (params.yaml: objectives.anchor_vae); omit without")
    command.add_argument("--output-stem", required=True, type=Path, help="writes STEM.csv, .parquet, .md")
    command.add_argument("--figure", required=True, nargs="+", type=Path, help="one or more of .png, .pdf")
    _required_paths(command, "metrics")
    command.add_argument("--threshold", required=True, type=_finite_float,
                         help="influential above it (nats), for the label (params.yaml: analysis.influential_threshold)")
    command.add_argument("--title", default="", help="the figure's title")
    command.add_argument("--headline", type=Path, default=None,
                         help="also write the dataset's headline metrics JSON here (as headline-metrics does)")
    command.add_argument("--dataset", default="dataset", help="the headline metrics' top-level key")
    command.set_defaults(run=_summarize_runs)

    command = commands.add_parser("headline-metrics", help="a dataset's headline numbers per run, for dvc metrics")
    command.add_argument("--dataset", required=True, help="the dataset, the JSON's top-level key")
    command.add_argument("--runs", required=True, nargs="+", type=_run, metavar="OBJECTIVE:BETA",
                         help="one per run (params.yaml: vae.<dataset>.objectives and betas)")
    command.add_argument("--information", required=True, nargs="+", type=Path, help="one estimate-mi table per run")
    command.add_argument("--tables", required=True, nargs="+", type=Path,
                         help="one Table 1 (ablate-topk) or Table 2 (classify-topk) per run")
    _required_paths(command, "output")
    command.set_defaults(run=_headline_metrics)

    command = commands.add_parser("compare-paper", help="Tables 1 and 2 of this run next to the paper's")
    _required_paths(command, "output_stem")
    for table, data in (("table1", "the processed .npz"), ("table2", "the DEAP video folder")):
        command.add_argument(f"--{table}", type=Path, default=None, help="this run's table (CSV); omit to leave it out")
        command.add_argument(f"--{table}-data", type=Path, help=f"{data} it was computed on (counted for the note)")
        command.add_argument(f"--{table}-beta", type=_non_negative_float, help="the beta of the VAE behind it")
        command.add_argument(f"--{table}-epochs", type=int, help="the epochs that VAE trained")
        command.add_argument(f"--{table}-source", default="", help="which data, in words (embedded, simulated, real)")
    command.set_defaults(run=_compare_paper)

    command = commands.add_parser("tables-page", help="every Markdown table on one HTML page (the report)")
    command.add_argument("--tables", required=True, nargs="+", type=Path, help="Markdown tables written by save_table")
    _required_paths(command, "output")
    command.add_argument("--title", default="Tables", help="the page's title")
    command.set_defaults(run=_tables_page)
    return parser


MESSAGE_CHARS = 1000  # an error line longer than this is cut: its tail is file content, not news
# OSError numbers that mean the machine, not the program, refused: reported as one line, not a traceback.
WRITE_ERRORS = {errno.ENOSPC, errno.EDQUOT, errno.EROFS, errno.EFBIG, errno.EMFILE, errno.ENFILE}
ACCESS_ERRORS = {errno.EACCES, errno.EPERM}
_TEMPORARY = re.compile(r"^\.(?P<name>.+)\.[A-Za-z0-9_]+\.tmp(\.[A-Za-z0-9]+)?$")  # artifacts.atomic_* names
OUTPUT_OPTIONS = ("output", "output_dir", "output_stem", "agreement_stem", "metrics", "model", "live_dir", "figure")


def _as_written(filename) -> str:
    """`filename` with artifacts' hidden temporaries (`.model.pt.x1y2.tmp.pt`) named as the file they become."""
    parts = Path(str(filename)).parts
    return str(Path(*[(_TEMPORARY.match(part) or {"name": part})["name"] for part in parts])) if parts else ""


def _outputs(args) -> str:
    """The command's output paths, to name when an OSError names no file."""
    paths = []
    for name in OUTPUT_OPTIONS:
        value = getattr(args, name, None)
        paths += [str(item) for item in (value if isinstance(value, list) else [value]) if item is not None]
    return ", ".join(paths) or "the output"


def _one_line(message: str) -> str:
    message = " ".join(message.split())
    return message if len(message) <= MESSAGE_CHARS else message[:MESSAGE_CHARS] + f"... ({len(message)} characters)"


def user_error(error: BaseException, args) -> str | None:
    """The one-line message for an error caused by the input or the machine, None for a bug (a traceback).

    ValueError, FileNotFoundError, FloatingPointError: bad input (messages name the file). OSError with
    a full disk, a quota, a read-only or unwritable folder: `cannot write FILE: reason`. MemoryError and
    OverflowError: input too large for this machine or for the numbers it holds.
    """
    from .config import ParamsError

    if isinstance(error, ParamsError):
        return str(error)  # its own layout, one problem per line
    if isinstance(error, (ValueError, FileNotFoundError, FloatingPointError)):
        return _one_line(str(error))
    if isinstance(error, OSError) and (error.errno in WRITE_ERRORS or error.errno in ACCESS_ERRORS):
        target = _as_written(error.filename) if error.filename else _outputs(args)
        reading = (error.errno in ACCESS_ERRORS and error.filename and Path(error.filename).is_file()
                   and error.filename2 is None)
        verb = "cannot open" if reading else "cannot write"
        return _one_line(f"{verb} {target}: {error.strerror or errno.errorcode.get(error.errno, error.errno)}")
    if isinstance(error, MemoryError):
        return _one_line(f"out of memory ({type(error).__name__}{': ' + str(error) if str(error) else ''}): an input "
                         "is corrupt or too large for this machine")
    if isinstance(error, OverflowError):
        return _one_line(f"a number in the input is too large ({error})")
    return None


def main(argv: list[str] | None = None) -> int:
    from .checkout import warn_if_foreign
    from .profiling import profiled

    warn_if_foreign(str(Path.cwd()))
    args = build_parser().parse_args(argv)
    try:
        with profiled(args.command):
            args.run(args)
    except (ValueError, FileNotFoundError, FloatingPointError, OSError, MemoryError, OverflowError) as error:
        message = user_error(error, args)
        if message is None:
            raise
        print(f"influential-factors {args.command}: error: {message}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
