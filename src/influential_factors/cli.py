"""Command line: one subcommand per workflow rule, with explicit input and output paths."""

from __future__ import annotations

import argparse
import errno
import math
import re
import sys
from pathlib import Path

import numpy as np
import pandas as pd

from .artifacts import refuse_overlap


def _prepare_mnist(args) -> None:
    from .datasets import prepare_mnist

    if args.root:
        refuse_overlap(args.root, args.output, "--root", "--output")
    sizes = prepare_mnist(args.output, args.root, tuple(args.split), args.seed, args.limit, args.download)
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
    import numpy as np

    from .artifacts import save_json, save_table
    from .datasets import load_split
    from .encoding import load_posteriors
    from .mig import mutual_information_gap
    from .shapes import FACTOR_NAMES

    information = read_information(args.information)
    _, truth = load_split(args.data, "test")
    mu = load_posteriors(args.posteriors)["mu"]
    if truth.ndim != 2 or len(truth) != len(mu):
        raise ValueError(f"{args.data}: needs the true factors (N, K) of the {len(mu)} encoded test images")
    influential = information["influential"].to_numpy()
    result = mutual_information_gap(mu, truth)
    table = pd.DataFrame({"factor": FACTOR_NAMES[: truth.shape[1]], "entropy": result["entropy"],
                          "best_code": result["best_code"], "I_best": result["information"].max(axis=0),
                          "gap": result["gap_per_factor"]})
    metrics = {"mig": result["mig"], "true_factors": int(truth.shape[1]), "n_influential": int(influential.sum())}
    if influential.sum() >= 2:  # the same gap among the influential codes only: are the found factors aligned?
        among = mutual_information_gap(mu[:, influential], truth)
        table["best_influential_code"] = np.flatnonzero(influential)[among["best_code"]]
        table["gap_influential"] = among["gap_per_factor"]
        metrics["mig_influential"] = among["mig"]
    save_table(table, args.output_stem)
    save_json(args.metrics, metrics)
    print(table.to_string(index=False))
    print(", ".join(f"{name} {value:.3g}" for name, value in metrics.items()))


def _simulate_deap(args) -> None:
    from .deap_simulator import simulate_deap

    simulate_deap(args.output_dir, args.subjects, args.trials, args.seed)
    print(f"{args.output_dir}: {args.subjects} simulated subjects x {args.trials} trials in DEAP's format")


def _prepare_deap(args) -> None:
    from .deap import BANDS
    from .deap_videos import prepare_deap

    refuse_overlap(args.raw, args.output_dir, "--raw", "--output-dir")
    bands = BANDS
    if args.band:
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
    from .training import train_vae

    summary = train_vae(args.data, args.model, args.live_dir, beta=args.beta, sigma2_x=args.sigma2_x,
                        channels=args.channels, hidden=args.hidden, latents=args.latents, epochs=args.epochs,
                        batch_size=args.batch_size, lr=args.lr, seed=args.seed, likelihood=args.likelihood,
                        checkpoint_every=args.checkpoint_every, precision=args.precision,
                        compile_model=args.compile)
    print(f"{args.model}: " + ", ".join(f"{name} {value:.3f}" for name, value in summary.items()))


def _encode(args) -> None:
    from .encoding import encode_split

    count = encode_split(args.model, args.data, args.output, args.split)
    print(f"{args.output}: posteriors of {count} {args.split} samples")


def _estimate_mi(args) -> None:
    from .artifacts import save_table
    from .encoding import load_posteriors, posteriors_of_test_set
    from .mi import information_table

    table = information_table(*posteriors_of_test_set(load_posteriors(args.posteriors)), args.threshold)
    save_table(table, args.output_stem)
    print(f"{args.output_stem}: I_est total {table['I_est'].sum():.2f} nats, "
          f"{int(table['influential'].sum())} factors above {args.threshold:g}")


def _compare_estimators(args) -> None:
    from .artifacts import save_json, save_table
    from .comparison import estimator_summary, estimator_table, rank_agreement
    from .encoding import load_posteriors, posteriors_of_test_set
    from .estimators import mixture_information
    from .mi import information_per_factor, rank_order
    from .models import default_device

    mu, logvar = posteriors_of_test_set(load_posteriors(args.posteriors))
    device = default_device()
    mixture, joint = mixture_information(mu, logvar, samples=args.mixture_samples, seed=args.seed, device=device,
                                         progress=True)
    infonce = None
    if args.infonce_factors:
        from .neural_mi import infonce_information

        top = rank_order(information_per_factor(mu, logvar))[: args.infonce_factors]
        infonce = infonce_information(mu, logvar, factors=[int(h) for h in top], seed=args.seed, device=device)
    table = estimator_table(mu, logvar, mixture, infonce)
    save_table(table, args.output_stem)
    save_table(rank_agreement(table), args.agreement_stem)
    summary = estimator_summary(table, joint, len(mu), args.threshold)
    save_json(args.metrics, summary)
    print(f"{args.output_stem}: " + ", ".join(f"{name} {value:.3g}" for name, value in summary.items()))


def _benchmark_estimators(args) -> None:
    from .artifacts import save_json, save_table
    from .comparison import synthetic_benchmark

    infonce = None
    if args.infonce:
        from .neural_mi import infonce_information, infonce_joint_information

        def infonce(mu, logvar):
            return (infonce_information(mu, logvar, seed=args.seed),
                    infonce_joint_information(mu, logvar, seed=args.seed))

    table = synthetic_benchmark(args.samples, args.seed, infonce)
    save_table(table, args.output_stem)
    per_factor = table[table["target"] != "z"]
    worst = per_factor.assign(abs_error=per_factor["error"].abs()).groupby(["case", "estimator"])["abs_error"].max()
    joint = table[table["target"] == "z"]
    save_json(args.metrics, {
        "bounds_hold": bool(table["holds"].all()),
        "max_abs_error_per_factor": {f"{case}/{name}": float(value) for (case, name), value in worst.items()},
        "joint_error": {f"{case}/{name}": float(error) for case, name, error in joint[["case", "estimator", "error"]].values},
    })
    print(table.to_string(index=False))


def _ablate_topk(args) -> None:
    from .ablation import reconstruction_table
    from .datasets import load_split
    from .encoding import load_posteriors
    from .models import load_model

    information = read_information(args.information)
    posteriors = load_posteriors(args.posteriors)
    images, _ = load_split(args.data, "test")
    if len(images) != len(posteriors["mu"]) or len(information) != posteriors["mu"].shape[1]:
        raise ValueError(f"{args.posteriors}: does not match {args.data} (test images) or {args.information} (factors)")
    table = reconstruction_table(load_model(args.model), images, posteriors["mu"],
                                 information["I_est"].to_numpy(), args.percents)
    _save_topk_results(table, information, args, "mse")


def _encode_videos(args) -> None:
    from .deap_encoding import encode_videos

    count = encode_videos(args.model, args.data, args.output)
    print(f"{args.output}: posteriors of every frame of {count} videos")


def _classify_topk(args) -> None:
    from .classifier import topk_accuracy_table
    from .encoding import load_posteriors

    information = read_information(args.information)
    posteriors = load_posteriors(args.posteriors)
    if posteriors["mu"].ndim != 3 or len(information) != posteriors["mu"].shape[-1]:
        raise ValueError(f"{args.posteriors}: needs encoded videos with {len(information)} factors ({args.information})")
    codes, labels = posteriors["mu"], posteriors["labels"]
    splits = [(codes[posteriors[name]], labels[posteriors[name]]) for name in ("train", "val", "test")]
    table = topk_accuracy_table(*splits, information["I_est"].to_numpy(), args.percents, seeds=args.seeds,
                                retrain=args.retrain, hidden=args.hidden, epochs=args.epochs,
                                batch_size=args.batch_size, lr=args.lr)
    _save_topk_results(table, information, args, "accuracy_mean")


def _emotion_factors(args) -> None:
    import json

    import numpy as np

    from .artifacts import save_json, save_table
    from .classifier import accuracy, train_classifier
    from .deap_videos import load_videos
    from .emotion_factors import emotion_factor_table, ground_truth_summary
    from .encoding import load_posteriors
    from .figures import Scalp, plot_emotion_factors
    from .topomap import TopomapInterpolator
    from .models import load_model
    from .traversal import TRAVERSAL_VALUES

    information = read_information(args.information)["I_est"].to_numpy()
    posteriors = load_posteriors(args.posteriors)
    _, meta = load_videos(args.data)
    codes, labels = posteriors["mu"], posteriors["labels"]
    if codes.ndim != 3 or len(codes) != len(meta["classes"]) or len(information) != codes.shape[-1]:
        raise ValueError(f"{args.posteriors}: does not match the videos in {args.data} or the factors of {args.information}")
    truth = None
    if args.ground_truth is not None:
        try:
            truth = json.loads(args.ground_truth.read_text())
        except (OSError, json.JSONDecodeError) as error:
            raise ValueError(f"{args.ground_truth}: not a readable ground truth ({error})") from error
    split = {name: (codes[posteriors[name]], labels[posteriors[name]]) for name in ("train", "val", "test")}
    classifiers = [train_classifier(*split["train"], *split["val"], seed=seed, hidden=args.hidden, epochs=args.epochs,
                                    batch_size=args.batch_size, lr=args.lr)[0] for seed in args.seeds]
    interpolator = TopomapInterpolator(meta["positions"], meta["inside"].shape[0])
    band_names, channels = meta["band_names"].tolist(), meta["channels"].tolist()
    table, traversals = emotion_factor_table(
        load_model(args.model), codes, labels, meta["ratings"], posteriors, information, classifiers, interpolator,
        band_names, channels, n_factors=args.n_factors, min_loss_increase=args.min_loss_increase, truth=truth)
    save_table(table, args.output_stem)
    plot_emotion_factors(table, traversals, TRAVERSAL_VALUES, Scalp.from_layout(meta["positions"], meta["inside"]),
                         band_names, args.title, *args.figure)
    metrics = {"test_accuracy": float(np.mean([accuracy(model, *split["test"]) for model in classifiers])),
               "emotion_relevant": table.loc[table["emotion_relevant"], "factor"].tolist()}
    if truth is not None:
        metrics["ground_truth"] = ground_truth_summary(table, args.pattern_threshold)
    save_json(args.metrics, metrics)
    print(table.to_string(index=False))


def _save_topk_results(table: pd.DataFrame, information: pd.DataFrame, args, column: str) -> None:
    """Table 1 or 2 as CSV, Parquet and Markdown, and its headline numbers as the metrics JSON."""
    from .artifacts import save_json, save_table

    save_table(table, args.output_stem)
    save_json(args.metrics, {
        "I_total": float(information["I_est"].sum()),
        "n_influential": int(information["influential"].sum()),
        column.removesuffix("_mean"): {f"top{k:g}": value for k, value in zip(table["top_percent"], table[column])},
    })
    print(table.to_string(index=False))


def _plot_traversals(args) -> None:
    from .encoding import load_posteriors
    from .figures import Scalp, plot_traversals
    from .mi import rank_order
    from .models import load_model
    from .traversal import TRAVERSAL_VALUES, seed_codes, traversal_grid

    information = read_information(args.information)["I_est"].to_numpy()
    posteriors = load_posteriors(args.posteriors)
    if posteriors["mu"].shape[-1] != len(information):
        raise ValueError(f"{args.posteriors}: needs codes with {len(information)} factors ({args.information})")
    order = rank_order(information)
    factors = [int(h) for h in order if information[h] > args.threshold][: args.max_factors]
    if not factors:
        raise ValueError(f"{args.information}: no factor carries more than {args.threshold:g} nats: nothing to traverse")
    labels = [f"z{h}: $I_{{est}}$ = {information[h]:.2f} nats" for h in factors]
    above = len(factors)
    if order[-1] not in factors:  # the paper's montage D: a factor without information changes nothing
        factors.append(int(order[-1]))
        labels.append(f"z{order[-1]}: $I_{{est}}$ = {information[order[-1]]:.2f} nats (least informative)")
    scalp = None
    if args.topomap_meta is not None:
        from .artifacts import load_arrays

        meta = load_arrays(args.topomap_meta, required=("positions", "inside"))
        scalp = Scalp.from_layout(meta["positions"], meta["inside"])
    traversals = traversal_grid(load_model(args.model), seed_codes(posteriors, args.seed_images), factors)
    plot_traversals(traversals, labels, TRAVERSAL_VALUES, args.title, *args.output, scalp=scalp)
    print(f"{args.output[0]}: {above} factors above {args.threshold:g} nats and the least informative"
          f" x {traversals.shape[1]} seed images")


def _plot_topk_generation(args) -> None:
    from .ablation import top_k_count, topk_reconstructions
    from .datasets import load_split
    from .encoding import load_posteriors
    from .figures import plot_topk_generation
    from .models import load_model

    information = read_information(args.information)["I_est"].to_numpy()
    mu = load_posteriors(args.posteriors)["mu"]
    images, _ = load_split(args.data, "test")
    if mu.ndim != 2 or len(mu) != len(images) or mu.shape[1] != len(information):
        raise ValueError(f"{args.posteriors}: does not match {args.data} (test images) or {args.information} (factors)")
    percents = sorted(args.percents, reverse=True)
    reconstructions = topk_reconstructions(load_model(args.model), mu[: args.images], information, percents)
    labels = [f"{percent:g}%\n({top_k_count(percent, len(information))})" for percent in percents]
    plot_topk_generation(images[: args.images] / 255.0, reconstructions, labels, args.title, *args.output)


def _summarize_betas(args) -> None:
    from .artifacts import save_table
    from .figures import plot_beta_summary

    if not len(args.betas) == len(args.information) == len(args.tables):
        raise ValueError(f"summarize-betas: {len(args.betas)} betas for {len(args.information)} information tables"
                         f" and {len(args.tables)} Table 1 files")
    rows = []
    for beta, information_path, table_path in zip(args.betas, args.information, args.tables):
        information = read_information(information_path)
        table = pd.read_csv(table_path)
        full = table.loc[table["top_percent"] == 100, "mse"] if "mse" in table else []
        if len(full) != 1:
            raise ValueError(f"{table_path}: a Table 1 with one top_percent = 100 row and its mse is needed")
        rows.append({"beta": beta, "I_total": float(information["I_est"].sum()),
                     "n_influential": int(information["influential"].sum()), "mse": float(full.iloc[0])})
    summary = pd.DataFrame(rows).sort_values("beta", kind="stable")
    save_table(summary, args.output_stem)
    plot_beta_summary(summary, args.threshold, args.title, *args.figure)
    print(summary.to_string(index=False))


def _compare_paper(args) -> None:
    from .artifacts import save_table
    from .paper import PAPER_DATA, side_by_side

    notes, tables = [], {}
    for name in ("table1", "table2"):
        companions = [f"--{name}-{option}" for option in ("data", "beta", "epochs")
                      if getattr(args, f"{name}_{option}") is None]
        if getattr(args, name) is not None and companions:
            raise ValueError(f"{getattr(args, name)}: compare-paper needs {', '.join(companions)} with --{name}")
    if args.table1 is not None:
        from .datasets import load_split

        tables["table1"] = pd.read_csv(args.table1)
        train, test = (len(load_split(args.table1_data, split)[0]) for split in ("train", "test"))
        notes.append(f"Table 1: {args.table1_source}, beta = {args.table1_beta:g}, {train:,} training and {test:,} test"
                     f" images, {args.table1_epochs} epochs (paper: {PAPER_DATA['table1']}).")
    if args.table2 is not None:
        from .deap_videos import load_videos

        tables["table2"] = pd.read_csv(args.table2)
        _, meta = load_videos(args.table2_data)
        notes.append(f"Table 2: {args.table2_source}, beta = {args.table2_beta:g}, {len(set(meta['subjects'])):,} subjects"
                     f" ({len(meta['classes']):,} videos, {len(meta['test']):,} for testing), VAE {args.table2_epochs}"
                     f" epochs (paper: {PAPER_DATA['table2']}).")
    table = side_by_side(tables.get("table1"), tables.get("table2"))
    save_table(table, args.output_stem, note=" ".join(notes))
    print("\n".join(notes))
    print(table.to_string(index=False))


def _tables_page(args) -> None:
    from .artifacts import atomic_path
    from .report import tables_page

    page = tables_page(args.tables, args.title)
    with atomic_path(args.output) as tmp:
        tmp.write_text(page)
    print(f"{args.output}: {len(args.tables)} tables")


def _plot_information(args) -> None:
    from .figures import plot_information

    plot_information(read_information(args.information), args.threshold, args.title, *args.output)


def read_information(path: str | Path) -> pd.DataFrame:
    """An information table written by `estimate-mi`, checked for its columns."""
    try:
        table = pd.read_csv(path)
    except (OSError, pd.errors.ParserError, pd.errors.EmptyDataError) as error:
        raise ValueError(f"{path}: not a readable information table ({error})") from error
    missing = {"factor", "I_est", "variance", "influential"} - set(table.columns)
    if missing:
        raise ValueError(f"{path}: information table lacks columns {sorted(missing)}")
    values = table[["I_est", "variance"]].apply(pd.to_numeric, errors="coerce").to_numpy(dtype=float)
    if table.empty or not np.isfinite(values).all():
        raise ValueError(f"{path}: information table is empty or holds non-numeric, NaN or infinite I_est/variance")
    return table


def _validate_params(args) -> None:
    from .config import load_params

    load_params(args.params, args.schema)
    print(f"{args.params}: valid")


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


def _required_paths(command: argparse.ArgumentParser, *names: str) -> None:
    """Add a required `--name PATH` option for each name (underscores become dashes)."""
    for name in names:
        command.add_argument("--" + name.replace("_", "-"), required=True, type=Path)


def _classifier_options(command: argparse.ArgumentParser) -> None:
    """The emotion classifier's settings (params.yaml: classifier) and seeds."""
    command.add_argument("--seeds", nargs="+", type=int, default=[0, 1, 2])
    command.add_argument("--hidden", type=int, default=128)
    command.add_argument("--epochs", type=int, default=30)
    command.add_argument("--batch-size", type=int, default=16)
    command.add_argument("--lr", type=_positive_float, default=1e-3)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="influential-factors", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)

    command = commands.add_parser("validate-params", help="check params.yaml against the schema")
    command.add_argument("params", type=Path)
    command.add_argument("--schema", type=Path, default=Path("workflow/schemas/params.schema.yaml"))
    command.set_defaults(run=_validate_params)

    command = commands.add_parser("prepare-mnist", help="load MNIST (real or embedded), split, save .npz")
    _required_paths(command, "output")
    command.add_argument("--root", default=None, help="real MNIST in torchvision's layout; omit for the embedded digits")
    command.add_argument("--download", action="store_true")
    command.add_argument("--split", nargs=3, type=_fraction, default=[0.6, 0.2, 0.2])
    command.add_argument("--seed", type=int, default=0)
    command.add_argument("--limit", type=int, default=None)
    command.set_defaults(run=_prepare_mnist)

    command = commands.add_parser("prepare-faces", help="CelebA (or the embedded ORL faces) -> 64x64 RGB .npz")
    _required_paths(command, "output")
    command.add_argument("--root", default=None, help="CelebA folder, official or Kaggle layout; omit for ORL faces")
    command.add_argument("--crop", type=int, default=148, help="side of the centred square crop (CelebA)")
    command.add_argument("--split-mode", choices=["random", "official"], default="random")
    command.add_argument("--split", nargs=3, type=_fraction, default=[0.8, 0.1, 0.1])
    command.add_argument("--seed", type=int, default=0)
    command.add_argument("--limit", type=int, default=None)
    command.add_argument("--workers", type=int, default=1, help="processes decoding JPEGs")
    command.add_argument("--skip-corrupt", action="store_true", help="leave unreadable images out (count logged)")
    command.set_defaults(run=_prepare_faces)

    command = commands.add_parser("prepare-shapes", help="draw the shapes data set with 5 known factors -> .npz")
    _required_paths(command, "output")
    command.add_argument("--count", type=int, default=6000)
    command.add_argument("--split", nargs=3, type=_fraction, default=[0.6, 0.2, 0.2])
    command.add_argument("--seed", type=int, default=0)
    command.set_defaults(run=_prepare_shapes)

    command = commands.add_parser("mig", help="mutual information gap of the test codes against the true factors")
    _required_paths(command, "posteriors", "information", "data", "output_stem", "metrics")
    command.set_defaults(run=_mutual_information_gap)

    command = commands.add_parser("simulate-deap", help="write simulated EEG in DEAP's exact file format")
    _required_paths(command, "output_dir")
    command.add_argument("--subjects", type=int, default=4, help="writes s01.dat .. sNN.dat")
    command.add_argument("--trials", type=int, default=40)
    command.add_argument("--seed", type=int, default=0)
    command.set_defaults(run=_simulate_deap)

    command = commands.add_parser("prepare-deap", help="DEAP sXX.dat files -> topographic-map videos")
    _required_paths(command, "raw", "output_dir")
    command.add_argument("--subjects", nargs="+", type=int, required=True)
    command.add_argument("--montage", default="biosemi32")
    command.add_argument("--channels", nargs="+", default=None, help="default: DEAP's 32 EEG channels")
    command.add_argument("--band", nargs=3, action="append", metavar=("NAME", "LOW_HZ", "HIGH_HZ"),
                         help="repeat per band, in colour-channel order (default: alpha 8 13, beta 13 30, gamma 30 45)")
    command.add_argument("--baseline", choices=["keep", "drop", "subtract"], default="keep")
    command.add_argument("--split", nargs=3, type=_fraction, default=[0.8, 0.1, 0.1])
    command.add_argument("--seed", type=int, default=0)
    command.add_argument("--grid-size", type=int, default=32)
    command.add_argument("--class-threshold", type=_finite_float, default=5.0)
    command.set_defaults(run=_prepare_deap)

    command = commands.add_parser("train-vae", help="train a beta-VAE on a processed data set")
    _required_paths(command, "data", "model", "live_dir")
    command.add_argument("--beta", required=True, type=_non_negative_float)
    command.add_argument("--sigma2-x", required=True, type=_positive_float)
    command.add_argument("--likelihood", choices=["gaussian", "mixture"], default="gaussian")
    command.add_argument("--channels", nargs="+", type=int, default=[32, 32])
    command.add_argument("--hidden", type=int, default=256)
    command.add_argument("--latents", type=int, default=128)
    command.add_argument("--epochs", type=int, default=20)
    command.add_argument("--batch-size", type=int, default=64)
    command.add_argument("--lr", type=_positive_float, default=1e-3)
    command.add_argument("--seed", type=int, default=0)
    command.add_argument("--checkpoint-every", type=_positive_int, default=1,
                         help="save a resumable checkpoint beside the model every N epochs (removed on success)")
    command.add_argument("--precision", choices=["float32", "bf16"], default="float32",
                         help="bf16: the network under bfloat16 autocast (GPUs), the loss in float32")
    command.add_argument("--compile", action="store_true", help="train through torch.compile (GPUs)")
    command.set_defaults(run=_train_vae)

    command = commands.add_parser("encode", help="posterior mean and log-variance of every sample of a split")
    _required_paths(command, "model", "data", "output")
    command.add_argument("--split", default="test", choices=["train", "val", "test"])
    command.set_defaults(run=_encode)

    command = commands.add_parser("encode-videos", help="posteriors of every frame of every DEAP video")
    _required_paths(command, "model", "data", "output")
    command.set_defaults(run=_encode_videos)

    command = commands.add_parser("classify-topk", help="Table 2: emotion accuracy with the top-k%% factors")
    _required_paths(command, "posteriors", "information", "output_stem", "metrics")
    command.add_argument("--percents", nargs="+", type=_percent, default=[100, 50, 10, 7, 5, 4, 3, 2, 1, 0])
    command.add_argument("--retrain", action="store_true", help="train one classifier per k instead of zeroing")
    _classifier_options(command)
    command.set_defaults(run=_classify_topk)

    command = commands.add_parser("emotion-factors", help="Figure 5: traversals and accuracy drop of the top factors")
    _required_paths(command, "model", "posteriors", "information", "data", "output_stem", "metrics")
    command.add_argument("--figure", required=True, nargs="+", type=Path, help="one or more of .png, .pdf")
    command.add_argument("--ground-truth", type=Path, default=None, help="the simulator's ground_truth.json, if any")
    command.add_argument("--n-factors", type=int, default=8, help="how many of the top factors by I_est")
    command.add_argument("--min-loss-increase", type=_finite_float, default=0.05,
                         help="rise of the test cross-entropy (nats) that flags a factor as emotion-relevant")
    command.add_argument("--pattern-threshold", type=_fraction, default=0.7,
                         help="|r| with a planted pattern's channel weights that counts as varying it")
    command.add_argument("--title", default="")
    _classifier_options(command)
    command.set_defaults(run=_emotion_factors)

    command = commands.add_parser("estimate-mi", help="Algorithm 1: I_est(x; z_h) per factor")
    _required_paths(command, "posteriors")
    command.add_argument("--output-stem", required=True, type=Path, help="writes STEM.csv, .parquet, .md")
    command.add_argument("--threshold", type=_finite_float, default=0.7)
    command.set_defaults(run=_estimate_mi)

    command = commands.add_parser("compare-estimators", help="every estimator of I(x; z_h), ranks and agreement")
    _required_paths(command, "posteriors", "output_stem", "agreement_stem", "metrics")
    command.add_argument("--threshold", type=_finite_float, default=0.7, help="influential above it (nats)")
    command.add_argument("--mixture-samples", type=int, default=1, help="z draws per sample, mixture estimator")
    command.add_argument("--infonce-factors", type=int, default=0, help="InfoNCE on this many top factors (slow)")
    command.add_argument("--seed", type=int, default=0)
    command.set_defaults(run=_compare_estimators)

    command = commands.add_parser("benchmark-estimators", help="every estimator against synthetic known answers")
    _required_paths(command, "output_stem", "metrics")
    command.add_argument("--samples", type=int, default=10_000)
    command.add_argument("--infonce", action="store_true", help="add the neural InfoNCE bound (slow)")
    command.add_argument("--seed", type=int, default=0)
    command.set_defaults(run=_benchmark_estimators)

    command = commands.add_parser("ablate-topk", help="Table 1: reconstruction error with the top-k%% factors")
    _required_paths(command, "model", "data", "posteriors", "information", "output_stem", "metrics")
    command.add_argument("--percents", nargs="+", type=_percent, default=[100, 20, 10, 7, 5, 4, 3, 2, 1, 0])
    command.set_defaults(run=_ablate_topk)

    command = commands.add_parser("plot-traversals", help="Figures 1, 3, 5-8: traversals of the influential factors")
    _required_paths(command, "model", "posteriors", "information")
    command.add_argument("--output", required=True, nargs="+", type=Path, help="one or more of .png, .pdf")
    command.add_argument("--threshold", type=_finite_float, default=0.5, help="traverse factors with I_est above it (nats)")
    command.add_argument("--max-factors", type=int, default=16)
    command.add_argument("--seed-images", type=int, default=4,
                         help="the first test images (DEAP: the first test videos' middle frames), one row each")
    command.add_argument("--title", default="")
    command.add_argument("--topomap-meta", type=Path, default=None,
                         help="DEAP's meta.npz: draw the decoded maps as scalp maps with the head outline")
    command.set_defaults(run=_plot_traversals)

    command = commands.add_parser("plot-topk-generation", help="Figure 4: reconstructions from the top-k%% factors")
    _required_paths(command, "model", "data", "posteriors", "information")
    command.add_argument("--output", required=True, nargs="+", type=Path, help="one or more of .png, .pdf")
    command.add_argument("--percents", nargs="+", type=_percent, default=[100, 20, 10, 7, 5, 4, 3, 2, 1, 0])
    command.add_argument("--images", type=int, default=4, help="the first test images, one row each")
    command.add_argument("--title", default="")
    command.set_defaults(run=_plot_topk_generation)

    command = commands.add_parser("summarize-betas", help="total information, influential factors, error against beta")
    command.add_argument("--betas", required=True, nargs="+", type=_non_negative_float)
    command.add_argument("--information", required=True, nargs="+", type=Path, help="one estimate-mi table per beta")
    command.add_argument("--tables", required=True, nargs="+", type=Path, help="one Table 1 per beta")
    command.add_argument("--output-stem", required=True, type=Path, help="writes STEM.csv, .parquet, .md")
    command.add_argument("--figure", required=True, nargs="+", type=Path, help="one or more of .png, .pdf")
    command.add_argument("--threshold", type=_finite_float, default=0.7, help="influential above it (nats), for the label")
    command.add_argument("--title", default="")
    command.set_defaults(run=_summarize_betas)

    command = commands.add_parser("compare-paper", help="Tables 1 and 2 of this run next to the paper's")
    _required_paths(command, "output_stem")
    for table, data in (("table1", "the processed .npz"), ("table2", "the DEAP video folder")):
        command.add_argument(f"--{table}", type=Path, default=None, help="this run's table (CSV); omit to leave it out")
        command.add_argument(f"--{table}-data", type=Path, help=f"{data} it was computed on (counted for the note)")
        command.add_argument(f"--{table}-beta", type=_non_negative_float)
        command.add_argument(f"--{table}-epochs", type=int)
        command.add_argument(f"--{table}-source", default="", help="which data, in words (embedded, simulated, real)")
    command.set_defaults(run=_compare_paper)

    command = commands.add_parser("tables-page", help="every Markdown table on one HTML page (the report)")
    command.add_argument("--tables", required=True, nargs="+", type=Path)
    _required_paths(command, "output")
    command.add_argument("--title", default="Tables")
    command.set_defaults(run=_tables_page)

    command = commands.add_parser("plot-information", help="Figure 1: I_est (up) and variance (down) per factor")
    _required_paths(command, "information")
    command.add_argument("--output", required=True, nargs="+", type=Path, help="one or more of .png, .pdf")
    command.add_argument("--threshold", type=_finite_float, default=0.7)
    command.add_argument("--title", default="")
    command.set_defaults(run=_plot_information)
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
    args = build_parser().parse_args(argv)
    try:
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
