# Shared by all rules: parameter validation, the file layout, and what `rule all` builds.
from pathlib import Path

from influential_factors.config import validate_params

validate_params(config, Path(workflow.basedir) / "workflow" / "schemas" / "params.schema.yaml")

IMAGE_DATASETS = "mnist|celeba|shapes"  # Table 1 (reconstruction); DEAP gets Table 2 (emotion accuracy)

wildcard_constraints:
    dataset="[a-z]+",
    beta=r"[0-9.]+(e[+-]?[0-9]+)?",

PROCESSED = "data/processed/{dataset}.npz"
MODEL = "results/models/{dataset}/beta{beta}/model.pt"
TRAINING_SUMMARY = "results/models/{dataset}/beta{beta}/live/metrics.json"  # DVCLive; curves in live/plots
POSTERIORS = "results/latents/{dataset}/beta{beta}.npz"
INFORMATION = "results/mi/{dataset}/beta{beta}"
TABLE1 = "results/tables/{dataset}/table1_beta{beta}"
TABLE2 = "results/tables/deap/table2_beta{beta}"
METRICS = "results/metrics/{dataset}/beta{beta}.json"
ESTIMATORS = "results/estimators/{dataset}/beta{beta}"  # every estimator per factor, ranks
AGREEMENT = "results/estimators/{dataset}/agreement_beta{beta}"  # Spearman between the estimators' rankings
ESTIMATOR_METRICS = "results/metrics/{dataset}/estimators_beta{beta}.json"
ESTIMATOR_BENCHMARK = "results/estimators/synthetic"  # every estimator against known answers
ESTIMATOR_BENCHMARK_METRICS = "results/metrics/estimators_synthetic.json"
MIG = "results/tables/shapes/mig_beta{beta}"  # the shapes' true factors against the codes
MIG_METRICS = "results/metrics/shapes/mig_beta{beta}.json"
FIGURE1 = "results/figures/{dataset}/information_beta{beta}"
TRAVERSALS = "results/figures/{dataset}/traversals_beta{beta}"  # Figures 1, 3, 5-8: the influential factors swept
TOPK_GENERATION = "results/figures/{dataset}/topk_generation_beta{beta}"  # Figure 4: decoded from the top k%
BETA_SUMMARY = "results/tables/beta_summary_{dataset}"  # total I, influential factors, error per beta
BETA_SUMMARY_FIGURE = "results/figures/{dataset}/beta_summary"
PAPER_COMPARISON = "results/tables/paper_comparison"  # Tables 1 and 2 next to the paper's
TABLES_PAGE = "results/report/tables.html"  # every table on one page, for the report
REPORT = "results/report.html"  # snakemake --report: every figure and the tables page
EMOTION_FACTORS = "results/tables/deap/emotion_factors_beta{beta}"  # Figure 5's numbers
EMOTION_METRICS = "results/metrics/deap/emotion_factors_beta{beta}.json"
FIGURE5 = "results/figures/deap/emotion_factors_beta{beta}"
DEAP_PROCESSED = "data/processed/deap"  # the folder the CLI reads and writes
DEAP_VIDEOS = f"{DEAP_PROCESSED}/videos.npy"  # (trials, frames, bands, grid, grid), memory-mappable
DEAP_META = f"{DEAP_PROCESSED}/meta.npz"  # labels, split, normalisation, electrode positions
DEAP_SIMULATED = "data/raw/deap_simulated"  # DEAP's format, simulated when data.deap.root is null
# The simulator's planted patterns, copied beside the videos; real DEAP has none.
DEAP_TRUTH = [] if config["data"]["deap"]["root"] else [f"{DEAP_PROCESSED}/ground_truth.json"]

# The files each phase produces, per kind of dataset, for `rule all`.
IMAGE_PHASES = {
    "prepare": [PROCESSED],
    "train": [MODEL],
    "encode": [POSTERIORS],
    "mi": [INFORMATION + ".csv"],
    "estimators": [ESTIMATORS + ".csv", AGREEMENT + ".csv", ESTIMATOR_METRICS],
    "ablate": [TABLE1 + ".csv", METRICS],
    "figures": [path + suffix for path in (FIGURE1, TRAVERSALS, TOPK_GENERATION) for suffix in (".png", ".pdf")],
}
SHAPES_PHASES = dict(IMAGE_PHASES, mi=IMAGE_PHASES["mi"] + [MIG + ".csv", MIG_METRICS])
DEAP_PHASES = dict(IMAGE_PHASES, prepare=[DEAP_VIDEOS, DEAP_META], ablate=[TABLE2 + ".csv", METRICS],
                   figures=[path + suffix for path in (FIGURE1, TRAVERSALS) for suffix in (".png", ".pdf")]
                   + [FIGURE5 + ".png", EMOTION_METRICS])


def betas(dataset):
    """The beta grid of a dataset as wildcard values: Python's str() of each number, as in dvc.yaml."""
    return [str(beta) for beta in config["vae"][dataset]["betas"]]


def phase_targets(dataset, phases):
    """The files of the given phases of a dataset, for every beta of its grid."""
    table = {"deap": DEAP_PHASES, "shapes": SHAPES_PHASES}.get(dataset, IMAGE_PHASES)
    return [path for phase in phases for path in expand(table[phase], dataset=dataset, beta=betas(dataset))]


def dataset_targets(dataset):
    """What `rule all` builds for a dataset: every phase, for every beta of its grid, and for image data
    the summary over the grid."""
    summary = [BETA_SUMMARY + ".csv", BETA_SUMMARY_FIGURE + ".png"] if dataset != "deap" else []
    return phase_targets(dataset, IMAGE_PHASES) + expand(summary, dataset=dataset)


def report_tables():
    """The Markdown tables of every phase of every dataset that the report's tables page shows."""
    stems = {"mnist": [TABLE1], "celeba": [TABLE1], "shapes": [TABLE1, MIG],
             "deap": [TABLE2, EMOTION_FACTORS]}
    tables = [PAPER_COMPARISON] if paper_tables() else []
    for dataset in config["datasets"]:
        tables += expand([BETA_SUMMARY] if dataset != "deap" else [], dataset=dataset)
        tables += expand(stems[dataset] + [AGREEMENT], dataset=dataset, beta=betas(dataset))
    return [stem + ".md" for stem in tables]


def paper_tables():
    """The runs compared with the paper's Tables 1 and 2: MNIST and DEAP at the beta of their grid
    nearest the paper's (10 and 6), where the branch is configured; {"table1": beta, ...}."""
    from influential_factors.paper import closest_beta

    chosen = {}
    for table, dataset in (("table1", "mnist"), ("table2", "deap")):
        if dataset in config["datasets"]:
            grid = config["vae"][dataset]["betas"]
            chosen[table] = betas(dataset)[grid.index(closest_beta(grid, table))]
    return chosen


def estimator_settings():
    """The options of compare-estimators from params.yaml (analysis.estimators), as a list of words for {...:q}."""
    settings = config["analysis"]["estimators"]
    return ["--mixture-samples", settings["mixture_samples"], "--infonce-factors", settings["infonce_factors"],
            "--seed", config["seed"]]


def processed_data(wildcards):
    """The prepared data a model of this dataset trains on (a folder of videos for DEAP)."""
    return [DEAP_VIDEOS, DEAP_META] if wildcards.dataset == "deap" else PROCESSED.format(dataset=wildcards.dataset)


def processed_path(wildcards):
    """What the CLI's --data takes: the .npz file, or DEAP's video folder."""
    return DEAP_PROCESSED if wildcards.dataset == "deap" else PROCESSED.format(dataset=wildcards.dataset)
