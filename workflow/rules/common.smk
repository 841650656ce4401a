# Shared by all rules: parameter validation, the file layout, and what `rule all` builds.
import json
import sys
from pathlib import Path

from influential_factors.config import validate_params
from influential_factors.snakemake_locks import release_stale_locks

SCHEMA = Path(workflow.basedir) / "workflow" / "schemas" / "params.schema.yaml"
# Every config file Snakemake read is also checked for repeated keys, which Snakemake would silently resolve to
# the last. They are passed in the order Snakemake applies them (params.yaml, unless --replace-workflow-config
# discarded it, then each --configfile, then --config), so that an error names where its bad value came from.
CLI_CONFIGFILES = list(workflow.config_settings.configfiles)
WORKFLOW_CONFIGFILES = [] if workflow.config_settings.replace_workflow_config else [
    path for path in workflow.configfiles if path not in CLI_CONFIGFILES]
validate_params(config, SCHEMA, files=WORKFLOW_CONFIGFILES + CLI_CONFIGFILES,
                overrides=dict(workflow.config_settings.config))
if workflow.is_main_process and "--nolock" not in sys.argv and release_stale_locks():
    print("Removed the lock of a Snakemake run that is no longer running (killed?).", file=sys.stderr)

from influential_factors.deap import subject_path
from influential_factors.layout import *  # every path pattern of the DAG
from influential_factors.objective_settings import SUPERVISED, settings_section
from influential_factors.registry import DATASETS, data_source

wildcard_constraints:
    dataset="[a-z]+",
    objective="[a-z][a-z_]*",
    beta=r"[0-9.]+(e[+-]?[0-9]+)?",

# Every job runs on one thread (Snakemake's default; it sets OMP_NUM_THREADS for the job's shell), so
# `--cores N` runs N jobs side by side, which on CPU beats N threads in one job for these small networks,
# and a result's bytes do not depend on --cores. More threads for a rule: `--set-threads train_vae=8`.
# The params.yaml keys each rule's command reads, declared beside the rule ({dataset}: the job's): the
# params of its DVC stage (influential_factors.dvc_stages), so that changing a key re-runs what reads it.
PARAMS_READ = {}

# The simulator's planted patterns, copied beside the videos; real DEAP has none.
DEAP_TRUTH = [] if config["data"]["deap"]["root"] else [DEAP_GROUND_TRUTH]

# The files each phase produces, per kind of dataset, for `rule all`.
IMAGE_PHASES = {
    "prepare": [PROCESSED],
    "train": [MODEL],
    "encode": [POSTERIORS],
    "mi": [INFORMATION + ".csv"],
    "estimators": [ESTIMATORS + ".csv", AGREEMENT + ".csv", ESTIMATOR_METRICS],
    "ablate": [TABLE1 + ".csv", METRICS],
    "figures": [path + suffix for path in (FIGURE1, TRAVERSALS, TOPK_GENERATION) for suffix in (".png", ".pdf")],
    "generation": [GENERATION + ".png", GENERATION_METRICS],
}
KNOWN_FACTORS_PHASES = dict(IMAGE_PHASES, mi=IMAGE_PHASES["mi"] + [MIG + ".csv", MIG_METRICS])
VIDEO_PHASES = dict(IMAGE_PHASES, prepare=[DEAP_VIDEOS, DEAP_META], ablate=[TABLE2 + ".csv", METRICS],
                    figures=[path + suffix for path in (FIGURE1, TRAVERSALS) for suffix in (".png", ".pdf")]
                    + [FIGURE5 + ".png", EMOTION_METRICS], generation=[])


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
    grid = config["vae"][dataset]["betas"] if objective == "beta_vae" else config["vae"][dataset]["objectives"][objective]
    return [str(beta) for beta in grid]


def dataset_title(dataset):
    """A figure's name for a dataset's data: the real one when data.<dataset>.root is set, else its stand-in."""
    return data_source(dataset, config["data"].get(dataset, {}).get("root"))


def run_title(wildcards):
    """A figure's title: the data and run it shows (DEAP's own rules have no dataset wildcard)."""
    return f"{dataset_title(getattr(wildcards, 'dataset', 'deap'))}, {wildcards.objective}, beta={wildcards.beta}"


def objective_settings(wildcards):
    """The run's objective settings (params.yaml objectives.<objective>, MMVAE's for its baselines; none for the
    beta-VAE) as JSON."""
    return json.dumps(config.get("objectives", {}).get(settings_section(wildcards.objective), {}), sort_keys=True)


def supervised_attribute_files(dataset):
    """Real CelebA's attribute file, an input of the supervised objectives' jobs on celeba; else none."""
    from influential_factors.attributes import celeba_attribute_file

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
    """The objectives trained on a dataset: the beta-VAE, then those of vae.<dataset>.objectives."""
    return ["beta_vae", *config["vae"][dataset].get("objectives", {})]


def runs(dataset):
    """Every run of a dataset as (objective, beta) wildcard values: each objective over its beta grid."""
    return [(objective, beta) for objective in objectives(dataset) for beta in betas(dataset, objective)]


def run_paths(patterns, dataset, supervised_only=False):
    """`patterns` for every run of a dataset (or only its supervised runs: MMVAE and its baselines), run by run."""
    return [pattern.format(dataset=dataset, objective=objective, beta=beta)
            for objective, beta in runs(dataset) if objective in SUPERVISED or not supervised_only
            for pattern in patterns]


def phase_targets(dataset, phases):
    """The files of the given phases of a dataset, for every run."""
    table = phases_of(dataset)
    return [path for phase in phases for path in run_paths(table[phase], dataset)]


def dataset_targets(dataset):
    """What `rule all` builds for a dataset: every phase of every run, for image data the runs side by side,
    and the evaluation of each supervised run."""
    summary = [RUN_SUMMARY + ".csv", RUN_SUMMARY_FIGURE + ".png"] if DATASETS[dataset].kind == "image" else []
    summary.append(HEADLINE_METRICS)  # summarize_runs writes an image dataset's, headline_metrics a video's
    supervised = run_paths([SUPERVISED_TABLE + ".csv", SUPERVISED_METRICS, ATTRIBUTE_SWAP + ".png"], dataset,
                           supervised_only=True)
    return phase_targets(dataset, IMAGE_PHASES) + expand(summary, dataset=dataset) + supervised


def report_tables():
    """The Markdown tables of every phase of every dataset that the report's tables page shows."""
    tables = [PAPER_COMPARISON] if paper_tables() else []
    for dataset in config["datasets"]:
        entry = DATASETS[dataset]
        stems = [TABLE2, EMOTION_FACTORS] if entry.kind == "video" else [TABLE1] + ([MIG] if entry.known_factors else [])
        tables += expand([RUN_SUMMARY] if entry.kind == "image" else [], dataset=dataset)
        tables += run_paths(stems + [AGREEMENT], dataset)
        tables += run_paths([SUPERVISED_TABLE], dataset, supervised_only=True)
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
