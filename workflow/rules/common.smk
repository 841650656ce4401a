# Shared by all rules: parameter validation, file layout, and one target rule per (dataset, phase).
from pathlib import Path

from influential_factors.config import validate_params

validate_params(config, Path(workflow.basedir) / "workflow" / "schemas" / "params.schema.yaml")

wildcard_constraints:
    dataset="[a-z]+",
    beta=r"[0-9.]+(e[+-]?[0-9]+)?",

PROCESSED = "data/processed/{dataset}.npz"
MODEL = "results/models/{dataset}/beta{beta}/model.pt"
TRAINING_SUMMARY = "results/models/{dataset}/beta{beta}/live/metrics.json"  # DVCLive; curves in live/plots
POSTERIORS = "results/latents/{dataset}/beta{beta}.npz"
INFORMATION = "results/mi/{dataset}/beta{beta}"
TABLE1 = "results/tables/{dataset}/table1_beta{beta}"
METRICS = "results/metrics/{dataset}/beta{beta}.json"
FIGURE1 = "results/figures/{dataset}/information_beta{beta}"
DEAP_VIDEOS = "data/processed/deap/videos.npy"  # (trials, frames, bands, grid, grid), memory-mappable
DEAP_META = "data/processed/deap/meta.npz"  # labels, split, normalisation, electrode positions

# The files each phase produces, for `rule all`.
PHASES = {
    "prepare": [PROCESSED],
    "train": [MODEL],
    "encode": [POSTERIORS],
    "mi": [INFORMATION + ".csv"],
    "ablate": [TABLE1 + ".csv", METRICS],
    "figures": [FIGURE1 + ".png", FIGURE1 + ".pdf"],
}


def betas(dataset):
    """The beta grid of a dataset as wildcard values: Python's str() of each number, as in dvc.yaml."""
    return [str(beta) for beta in config["vae"][dataset]["betas"]]


def phase_targets(dataset, phase):
    return expand(PHASES[phase], dataset=dataset, beta=betas(dataset))


def dataset_targets(dataset):
    """What `rule all` builds for a dataset: every phase for images; the videos for DEAP so far."""
    if dataset == "deap":
        return [DEAP_VIDEOS, DEAP_META]
    return [target for phase in PHASES for target in phase_targets(dataset, phase)]
