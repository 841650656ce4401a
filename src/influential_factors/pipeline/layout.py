"""The workflow's file layout: every path pattern of the DAG, defined once.

Snakemake's rules (workflow/rules/common.smk imports this module), the dvc.yaml generator
(dvc_stages.py) and parameter validation (config.py: the folders a data root must stay clear of)
all read these patterns. `{dataset}`, `{objective}`, `{beta}` and `{seed}` are the rules' wildcards; a beta
appears as Python's str() of the number (`beta0.1_seed0`, `beta10_seed3`), a seed as the integer.
"""

from ..data.registry import names, wildcard

IMAGE_DATASETS = wildcard(names("image"))  # wildcard constraint: Table 1 (reconstruction); DEAP gets Table 2
VIDEO_DATASETS = wildcard(names("video"))
GENERIC_DATASETS = wildcard(names(generic=True))  # prepared by the generic rule prepare_dataset
KNOWN_FACTOR_DATASETS = wildcard(names(known_factors=True))  # labels that are the true factors: MIG

PROCESSED = "data/processed/{dataset}.npz"
# One run: a model of one objective at one beta, trained from one seed, and everything measured on it.
RUN_TAG = "beta{beta}_seed{seed}"
RUN = "{dataset}/{objective}/" + RUN_TAG
MODEL = f"results/models/{RUN}/model.pt"
TRAINING_SUMMARY = f"results/models/{RUN}/live/metrics.json"  # DVCLive; curves in live/plots
POSTERIORS = f"results/latents/{RUN}.npz"
INFORMATION = f"results/mi/{RUN}"  # I_est per factor and the `influential` flag (the threshold's cheap step)
# What the expensive steps write before any threshold applies, so that a threshold change re-runs only the
# cheap steps that read it (flag-influential, influential-metrics, summarize-estimators).
UNTHRESHOLDED = "results/unthresholded"
INFORMATION_ESTIMATES = f"{UNTHRESHOLDED}/mi/{RUN}"  # Algorithm 1 per factor, no flag
TOPK_METRICS = f"{UNTHRESHOLDED}/metrics/{RUN}.json"  # Table 1 or 2's metrics without n_influential
ESTIMATOR_JOINT = f"{UNTHRESHOLDED}/estimators/{RUN}.json"  # the joint mixture estimate and its M
TABLE1 = "results/tables/{dataset}/{objective}/table1_" + RUN_TAG
TABLE2 = "results/tables/deap/{objective}/table2_" + RUN_TAG
METRICS = f"results/metrics/{RUN}.json"
ESTIMATORS = f"results/estimators/{RUN}"  # every estimator per factor, ranks
AGREEMENT = "results/estimators/{dataset}/{objective}/agreement_" + RUN_TAG  # Spearman between the estimators' rankings
ESTIMATOR_METRICS = "results/metrics/{dataset}/{objective}/estimators_" + RUN_TAG + ".json"
ESTIMATOR_BENCHMARK = "results/estimators/synthetic"  # every estimator against known answers
ESTIMATOR_BENCHMARK_METRICS = "results/metrics/estimators_synthetic.json"
MIG = "results/tables/{dataset}/{objective}/mig_" + RUN_TAG  # a dataset's known true factors against the codes
MIG_METRICS = "results/metrics/{dataset}/{objective}/mig_" + RUN_TAG + ".json"
FIGURE1 = "results/figures/{dataset}/{objective}/information_" + RUN_TAG
TRAVERSALS = "results/figures/{dataset}/{objective}/traversals_" + RUN_TAG  # Figures 1, 3, 5-8: the influential factors swept
TOPK_GENERATION = "results/figures/{dataset}/{objective}/topk_generation_" + RUN_TAG  # Figure 4: decoded from the top k%
GENERATION = "results/figures/{dataset}/{objective}/generation_" + RUN_TAG  # decoded from the prior and from q* (001, 6.3)
GENERATION_METRICS = "results/metrics/{dataset}/{objective}/generation_" + RUN_TAG + ".json"
RUN_SUMMARY = "results/tables/{dataset}/runs"  # every run (objective, beta, seed) side by side
RUN_SUMMARY_FIGURE = "results/figures/{dataset}/runs"
RUN_SUMMARY_METRICS = "results/metrics/{dataset}/runs.json"
DISENTANGLEMENT = "results/tables/{dataset}/disentanglement"  # MIG and log p(x|z) over the seeds (ISA-VAE's Figure 5)
DISENTANGLEMENT_FIGURE = "results/figures/{dataset}/disentanglement"
DISENTANGLEMENT_METRICS = "results/metrics/{dataset}/disentanglement.json"
HEADLINE_METRICS = "results/metrics/{dataset}/headline.json"  # per run: I_total, n_influential, Table 1/2 at the top 10%
PAPER_COMPARISON = "results/tables/paper_comparison"  # Tables 1 and 2 next to the paper's
TABLES_PAGE = "results/report/tables.html"  # every table on one page, for the report
REPORT = "results/report.html"  # snakemake --report: every figure and the tables page
ATTRIBUTE_CLASSIFIER = "results/models/{dataset}/attribute_classifier.pt"  # the judge of the attribute swap
ATTRIBUTE_CLASSIFIER_METRICS = "results/metrics/{dataset}/attribute_classifier.json"
SUPERVISED_TABLE = "results/tables/{dataset}/{objective}/supervised_" + RUN_TAG  # MINE's I(z;y), I(z;c), I(c;y), swap
SUPERVISED_METRICS = "results/metrics/{dataset}/{objective}/supervised_" + RUN_TAG + ".json"
ATTRIBUTE_SWAP = "results/figures/{dataset}/{objective}/attribute_swap_" + RUN_TAG  # same z, each attribute value
EMOTION_FACTORS = "results/tables/deap/{objective}/emotion_factors_" + RUN_TAG  # Figure 5's numbers
EMOTION_METRICS = "results/metrics/deap/{objective}/emotion_factors_" + RUN_TAG + ".json"
FIGURE5 = "results/figures/deap/{objective}/emotion_factors_" + RUN_TAG
DEAP_PROCESSED = "data/processed/deap"  # the folder the CLI reads and writes
DEAP_VIDEOS = f"{DEAP_PROCESSED}/videos.npy"  # (trials, frames, bands, grid, grid), memory-mappable
DEAP_META = f"{DEAP_PROCESSED}/meta.npz"  # labels, split, normalisation, electrode positions
DEAP_GROUND_TRUTH = f"{DEAP_PROCESSED}/ground_truth.json"  # the simulator's planted patterns; real DEAP has none
DEAP_SIMULATED = "data/raw/deap_simulated"  # DEAP's format, simulated when data.deap.root is null
DEAP_SIMULATED_TRUTH = f"{DEAP_SIMULATED}/ground_truth.json"  # the patterns the simulator planted

# The tables a reader inspects: their .csv and .md are kept in git (DVC outputs with `cache: false`), so a clone
# shows them and `git diff` shows their change; their .parquet and every heavier output stay in DVC's cache.
READER_TABLES = (TABLE1, TABLE2, PAPER_COMPARISON, RUN_SUMMARY, DISENTANGLEMENT, AGREEMENT, ESTIMATOR_BENCHMARK)
READER_SUFFIXES = (".csv", ".md")

# The sha256 of the normalised code each rule runs (fingerprints.py), kept in git: an input of the rule and a dep
# of its DVC stage. The generic prepare_dataset runs each dataset's own module: one per dataset.
CODE_FINGERPRINT = "results/code/{name}.sha256"

LOGS = "results/logs"  # one log per job: results/logs/<rule>/<wildcards>.log (what the job printed, also on failure)

# Every folder the workflow writes into (and may replace): a real-data root must stay clear of them.
OUTPUT_FOLDERS = ("data/processed", DEAP_SIMULATED, "results", ".snakemake", ".dvc")


def for_dataset(pattern: str, dataset: str) -> str:
    """`pattern` for one dataset, other wildcards left in place: for_dataset(POSTERIORS, "deap")."""
    return pattern.replace("{dataset}", dataset)


def code_fingerprint(rule: str, dataset: str | None = None) -> str:
    """The code fingerprint of `rule` (for the generic preparation, of `dataset`; "{dataset}" as a wildcard)."""
    return CODE_FINGERPRINT.format(name=f"{rule}_{dataset}" if dataset else rule)
