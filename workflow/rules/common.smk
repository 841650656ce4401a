# Shared by all rules: parameter validation, file layout, and one target rule per (dataset, phase).
from pathlib import Path

from influential_factors.config import validate_params

validate_params(config, Path(workflow.basedir) / "workflow" / "schemas" / "params.schema.yaml")

wildcard_constraints:
    dataset="[a-z]+",
    beta=r"[0-9.]+(e[+-]?[0-9]+)?",

PROCESSED = "data/processed/{dataset}.npz"
MODEL = "results/models/{dataset}/beta{beta}/model.pt"
TRAINING_LOG = "results/models/{dataset}/beta{beta}/live"
POSTERIORS = "results/latents/{dataset}/beta{beta}.npz"
INFORMATION = "results/mi/{dataset}/beta{beta}"
TABLE1 = "results/tables/{dataset}/table1_beta{beta}"
METRICS = "results/metrics/{dataset}/beta{beta}.json"
FIGURE1 = "results/figures/{dataset}/information_beta{beta}"

# The files each phase produces; every phase has a target rule `<dataset>_<phase>` that dvc.yaml calls.
PHASES = {
    "prepare": [PROCESSED],
    "train": [MODEL],
    "encode": [POSTERIORS],
    "mi": [INFORMATION + ".csv"],
    "ablate": [TABLE1 + ".csv", METRICS],
    "figures": [FIGURE1 + ".png", FIGURE1 + ".pdf"],
}


def betas(dataset):
    """The beta grid of a dataset as wildcard values (1.0 -> '1', 0.5 -> '0.5')."""
    return [f"{beta:g}" for beta in config["vae"][dataset]["betas"]]


def phase_targets(dataset, phase):
    return expand(PHASES[phase], dataset=dataset, beta=betas(dataset))


for _dataset in config["datasets"]:
    for _phase in PHASES:

        rule:
            name:
                f"{_dataset}_{_phase}"
            input:
                phase_targets(_dataset, _phase),
            localrule: True
