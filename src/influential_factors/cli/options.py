"""The CLI's shared pieces: argparse types that check values, the path options, the help's layout."""

from __future__ import annotations

import argparse
import math
from pathlib import Path


def json_mapping(text: str) -> dict:
    """argparse type: a JSON object."""
    import json

    try:
        value = json.loads(text)
    except json.JSONDecodeError as error:
        raise argparse.ArgumentTypeError(f"not JSON ({error})") from None
    if not isinstance(value, dict):
        raise argparse.ArgumentTypeError("must be a JSON object")
    return value


def finite_float(text: str) -> float:
    """argparse type: a finite float (not nan, inf or -inf)."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"invalid float value: {text!r}") from None
    if not math.isfinite(value):
        raise argparse.ArgumentTypeError(f"{text!r} is not a finite number")
    return value


def bounded_float(low: float | None = None, high: float | None = None, low_open: bool = False):
    """argparse type: a finite float in [low, high] ((low, high] with `low_open`); None: unbounded."""
    def parse(text: str) -> float:
        value = finite_float(text)
        if (low is not None and (value < low or (low_open and value == low))) or (high is not None and value > high):
            left = "(" if low_open else "["
            raise argparse.ArgumentTypeError(f"{text!r} is not in {left}{low if low is not None else '-inf'}, "
                                             f"{high if high is not None else 'inf'}]")
        return value
    parse.__name__ = "float"
    return parse


fraction = bounded_float(0.0, 1.0)
positive_float = bounded_float(0.0, low_open=True)
non_negative_float = bounded_float(0.0)
percent = bounded_float(0.0, 100.0)


def positive_int(text: str) -> int:
    """argparse type: an integer >= 1."""
    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"{text!r} is not an integer >= 1")
    return int(text)


def at_least_two(text: str) -> int:
    """argparse type: an integer >= 2."""
    if not text.isdigit() or int(text) < 2:
        raise argparse.ArgumentTypeError(f"{text!r} is not an integer >= 2")
    return int(text)


def run(text: str) -> tuple[str, float, int]:
    """argparse type: OBJECTIVE:BETA:SEED, a run of one objective at one beta from one training seed."""
    objective, beta, seed = (text.split(":") + ["", ""])[:3] if text.count(":") == 2 else ("", "", "")
    if not objective or not seed.isdigit():
        raise argparse.ArgumentTypeError(f"{text!r} is not OBJECTIVE:BETA:SEED (a seed: a whole number >= 0)")
    return objective, non_negative_float(beta), int(seed)


PATH_HELP = {
    "output": "the file written",
    "output_dir": "the folder written",
    "output_stem": "writes STEM.csv, .parquet, .md",
    "agreement_stem": "the rank agreement table: writes STEM.csv, .parquet, .md",
    "metrics": "the metrics JSON written",
    "joint": "the joint mixture estimate and its sample count, JSON written (summarize-estimators reads it)",
    "estimates": "information table written by estimate-mi, without the influence flag (.parquet)",
    "estimators": "estimator table written by compare-estimators (.parquet)",
    "topk_metrics": "Table 1 or 2's metrics written by ablate-topk or classify-topk without a threshold",
    "posteriors": "posteriors written by encode or encode-videos (.npz)",
    "information": "information table written by estimate-mi (.csv)",
    "data": "the processed data set (.npz; DEAP: the video folder)",
    "model": "the trained VAE (.pt)",
    "classifier": "the attribute classifier written by train-attribute-classifier (.pt)",
    "live_dir": "folder for DVCLive's training curves and summary",
    "raw": "folder holding DEAP's sXX.dat files",
}


def required_paths(command: argparse.ArgumentParser, *names: str) -> None:
    """Add a required `--name PATH` option for each name (underscores become dashes)."""
    for name in names:
        command.add_argument("--" + name.replace("_", "-"), required=True, type=Path, help=PATH_HELP[name])


def classifier_options(command: argparse.ArgumentParser) -> None:
    """The emotion classifier's settings (params.yaml: classifier) and seeds."""
    command.add_argument("--seeds", required=True, nargs="+", type=int,
                         help="one classifier per seed (params.yaml: classifier.seeds)")
    command.add_argument("--hidden", required=True, type=int,
                         help="LSTM hidden units (params.yaml: classifier.hidden)")
    command.add_argument("--epochs", required=True, type=int, help="params.yaml: classifier.epochs")
    command.add_argument("--batch-size", required=True, type=int, help="params.yaml: classifier.batch_size")
    command.add_argument("--lr", required=True, type=positive_float, help="Adam's learning rate (params.yaml: classifier.lr)")


def attribute_options(command: argparse.ArgumentParser, required: bool = True) -> None:
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


class HelpFormatter(argparse.ArgumentDefaultsHelpFormatter):
    """Shows the default of every optional option; a required one has none."""

    def _get_help_string(self, action):
        return action.help if action.required else super()._get_help_string(action)
