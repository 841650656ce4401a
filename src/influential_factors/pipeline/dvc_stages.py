"""dvc.yaml, generated from the Snakemake rules: one DVC stage per rule (or small group of rules), dataset,
objective, beta and seed, so that `dvc repro` runs what `snakemake` would, for the same params.yaml.

Each stage runs Snakemake on its own outputs with `--allowed-rules`: upstream files count as given, and
every command stays defined once, in workflow/rules/*.smk. What a stage lists is read off its rules:
- deps: the rules' inputs (a real-data root's raw files included) for the stage's dataset and objective,
  with the beta and seed left as DVC's `${item.beta}` and `${item.seed}`; among them each rule's code fingerprint (fingerprints.py: the hash
  of its .smk file and of the import closure of the CLI subcommands it runs, without comments and docstrings),
  written by the stage `code_fingerprints`, which runs first when a source file changed and rewrites only changed ones;
- outs: the rules' outputs; uncached (kept in git, `cache: false`): every metrics JSON (results/metrics/*.json,
  DVCLive's summary) and the .csv and .md of the tables a reader inspects (layout.READER_TABLES); in
  `metrics:` only each dataset's headline.json, so `dvc metrics show` and `dvc exp show` print a few columns
  per run; figures (PNG) as plots;
- params: the keys each rule declares it reads (`PARAMS_READ[rule]`, beside the rule).
Only the datasets of `datasets` get stages; each objective's beta grid times the dataset's seeds is a DVC `matrix`
over params.yaml (stages `train_mnist@10-0` for the beta-VAE at beta 10, seed 0, `train_mnist_isa_vae@10-0` for
another objective), and stages over
the whole grid depend on the grid's folders. The threshold's stage is one per dataset that names every run
(each DVC stage costs seconds of its own, mostly rewriting dvc.lock, where this stage's jobs take about one),
so a new beta changes dvc.yaml: Snakemake and `make reproduce` rewrite it before they run; under `dvc repro`
the first stage rewrites it and stops, and a second `dvc repro` goes on. Snakemake rewrites a stale dvc.yaml when it reads the workflow (`sync_dvc_yaml`);
`python -m influential_factors.pipeline.dvc_stages` does the same alone.
"""

from __future__ import annotations

import contextlib
import os
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from . import layout
from ..core.artifacts import atomic_path
from . import fingerprints
from .config import ParamsError
from ..models.objectives.settings import settings_section, supervised as supervised_objectives
from ..data.registry import DATASETS

FINGERPRINT_STAGE = "code_fingerprints"
FINGERPRINT_COMMAND = "python -m influential_factors.pipeline.fingerprints"
DVC_YAML = "dvc.yaml"
BETA, SEED = "${item.beta}", "${item.seed}"  # DVC's matrix item: one beta of the objective's grid, one seed
DEFAULT_OBJECTIVE = "beta_vae"  # its stages keep the plain names (train_mnist@10); others add their name
NO_SYNC = "INFLUENTIAL_FACTORS_NO_DVC_SYNC"  # set while this module itself loads the workflow
HEADER = """\
# GENERATED from the Snakemake rules and params.yaml by `python -m influential_factors.pipeline.dvc_stages`
# (Snakemake rewrites it when stale): do not edit by hand. One stage per rule, dataset, objective, beta and seed
# (a matrix over the objective's beta grid and the dataset's seeds); each runs Snakemake on its own outputs with --allowed-rules, so every command is
# defined once, in workflow/rules/*.smk. Deps, outs and params are the rules' own; a rule's code is its fingerprint
# (results/code/<rule>.sha256), which the stage code_fingerprints rewrites when what the code does changes.
"""


@dataclass(frozen=True)
class Stage:
    """A DVC stage: `rules` run for one dataset (and per beta); what a rule's outputs do not say."""

    name: str
    rules: tuple[str, ...]
    per_beta: bool = True
    comment: str = ""
    extra_outs: tuple[str, ...] = ()
    extra_plots: dict = field(default_factory=dict)
    extra_deps: tuple[str, ...] = ()
    extra_commands: tuple[str, ...] = ()
    supervised: bool = False  # only for the supervised objectives (MMVAE and its baselines) of a dataset
    over_runs: bool = False  # one stage for every objective and beta of the dataset, each run named


DVCLIVE = str(Path(layout.TRAINING_SUMMARY).parent)
TRAIN = Stage("train_{dataset}", ("train_vae",), extra_outs=(f"{DVCLIVE}/params.yaml",),
              extra_plots={f"{DVCLIVE}/plots/metrics": {"x": "step"}})
MI = Stage("mi_{dataset}", ("estimate_mi",))
ESTIMATORS = Stage("estimators_{dataset}", ("compare_estimators",),
                   comment="Every estimator of I(x; z_h) on the test posteriors, their ranks and Spearman agreement.")
# Every step that reads analysis.influential_threshold, for every run of a dataset, in one cheap stage (its jobs side
# by side): a threshold change re-runs it and what reads its outputs, never the estimators, training or encoding
# (rules/thresholds.smk); one stage per dataset rather than per run, as each DVC stage costs seconds of its own.
INFLUENTIAL = Stage("influential_{dataset}", ("flag_influential", "influential_metrics", "summarize_estimators",
                                              "plot_information"), per_beta=False, over_runs=True,
                    comment="The influential threshold applied to every run: the information table's flag, the influential\n"
                            "count of Table 1 or 2's metrics, the estimators' summary and Figures 1 and 2 (information\n"
                            "per factor, the influential ones in red).")
IMAGE_STAGES = (
    Stage("prepare_{dataset}", ("prepare_{dataset}",), per_beta=False), TRAIN,
    Stage("encode_{dataset}", ("encode",)), MI, ESTIMATORS,
    Stage("ablate_{dataset}", ("ablate_topk",),
          comment="Table 1 and Figure 4: reconstruction error and test images decoded from the top-k% factors."),
    INFLUENTIAL,
    Stage("traversals_{dataset}", ("plot_traversals",), comment="Traversals of the influential factors."),
    Stage("generation_{dataset}", ("generate",), comment=(
        "Decoded from the prior and from q*, and how near each sampler's codes lie to the held-out aggregate\n"
        "posterior (Gao et al. section 6.3).")),
    Stage("attribute_classifier_{dataset}", ("train_attribute_classifier",), per_beta=False, supervised=True,
          comment="The CNN that judges the attribute of decoded images (the supervised runs' attribute swap)."),
    Stage("supervised_{dataset}", ("evaluate_supervised",), supervised=True, comment=(
        "A supervised run's MINE estimates of I(z; y), I(z; c), I(c; y), Algorithm 1's information in z and c,\n"
        "and the attribute swap (the thesis's Tables 2, 3 and Figure 10).")),
    Stage("summary_{dataset}", ("summarize_runs",), per_beta=False, comment=(
        "Every objective and beta side by side: information, its share in the top 10% of factors, reconstruction\n"
        "error, generation, MIG (known factors), anchored factors; and the dataset's headline metrics.")),
)
KNOWN_FACTOR_STAGES = (
    Stage("mig_{dataset}", ("mutual_information_gap",), comment=(
        "How many influential factors the VAE finds for the true ones, and the mutual information gap.")),
    Stage("disentanglement_{dataset}", ("disentanglement",), per_beta=False, comment=(
        "MIG against log p(x|z) per objective and beta over the seeds, next to ISA-VAE's Figure 5.")),
)
STAGES = {  # by the kind of dataset (registry.py)
    "image": IMAGE_STAGES,
    "video": (
        Stage("prepare_deap", ("simulate_deap", "prepare_deap"), per_beta=False, comment=(
            "Simulates DEAP when data.deap.root is null (data/raw/deap_simulated: regenerated from the seed\n"
            "when missing, so not cached), then writes the topographic-map videos.")),
        TRAIN, Stage("encode_deap", ("encode_videos",)), MI, ESTIMATORS,
        Stage("classify_deap", ("classify_topk",),
              comment="Table 2: emotion accuracy with the top-k% factors, mean and std over the classifier seeds."),
        INFLUENTIAL,
        Stage("traversals_deap", ("plot_traversals",), comment="Traversals of the influential factors as scalp maps."),
        Stage("emotion_factors_deap", ("emotion_factors",), comment=(
            "Figure 5: traversals of the top factors, the accuracy each one costs, and on simulated data\n"
            "their agreement with the planted patterns.")),
        Stage("summary_deap", ("headline_metrics",), per_beta=False,
              comment="The headline metrics of every run: total information, influential factors, Table 2 at 10%."),
    ),
}
GLOBAL_STAGES = (
    Stage("benchmark_estimators", ("benchmark_estimators",), per_beta=False,
          comment="Every estimator against synthetic encoders with known I(x; z_h): error and which bound holds."),
    Stage("compare_paper", ("compare_paper",), per_beta=False,
          comment="This run's Table 1 (MNIST) and Table 2 (DEAP) at the beta nearest the paper's, next to the paper's."),
    Stage("report", ("tables_page",), per_beta=False, extra_outs=(layout.REPORT,),
          extra_deps=("results/figures", "workflow/report", "workflow/rules/report.smk"),
          extra_commands=(f"snakemake --cores 1 --report {layout.REPORT}",),
          comment="Every table on one page, then Snakemake's report: every figure and that page, with the\n"
                  "captions of workflow/report/. Open results/report.html."),
)
INFORMATION_PLOT = {"x": "I_est", "y": "factor", "template": "bar_horizontal_sorted",
                    "title": "{dataset}, {objective}, beta {beta}, seed {seed}: information per latent factor, ranked",
                    "x_label": "I_est(x; z_h) [nats]", "y_label": "latent factor h"}
TARGETS = " -- "  # in a stage's Snakemake command, what follows names the files the stage builds


def _rule_files(rule, dataset: str | None, objective: str | None, beta: str = BETA,
                seed: str = SEED) -> tuple[list[str], list[str]]:
    """A rule's inputs and outputs for `dataset`, `objective`, `beta` and `seed` (by default DVC's matrix item)."""
    from snakemake.iocontainers import Wildcards

    values = {"dataset": dataset, "objective": objective, "beta": beta, "seed": seed}
    wildcards = Wildcards(fromdict={name: values[name] for name in rule.wildcard_names})
    inputs = [str(path) for path in rule.expand_input(wildcards)[0]]
    outputs = [str(path) for path in rule.expand_output(wildcards)[0]]
    return inputs, outputs


ONE_RUN = re.compile(r"beta[^/]+_seed\d+")  # a run's tag (layout.RUN_TAG) in a file's path


def _grid_folder(path: str) -> str:
    """A file of one run, seen by a stage over the whole grid: its folder (a new beta or seed adds no dep); any
    other file (a dataset's runs table, a code fingerprint) stays a file."""
    return str(Path(path).parent) if path.startswith("results/") and ONE_RUN.search(path) else path


def is_fingerprint(path: str) -> bool:
    """Whether a dep is a rule's code fingerprint (layout.CODE_FINGERPRINT)."""
    return re.fullmatch(re.escape(layout.CODE_FINGERPRINT).replace(r"\{name\}", r"\w+"), path) is not None


def _concrete(pattern: str, dataset: str | None, objective: str | None, beta: str = BETA, seed: str = SEED) -> str:
    """A layout pattern for the stage's dataset, objective, beta and seed (by default DVC's matrix item)."""
    return pattern.format(dataset=dataset, objective=objective, beta=beta, seed=seed)


def _in_params(key: str, params: dict) -> bool:
    """Whether a dotted params.yaml key exists (the beta-VAE has no `objectives.beta_vae` section, and a
    dataset need not list `vae.<dataset>.objectives`)."""
    section = params
    for part in key.split("."):
        if not isinstance(section, dict) or part not in section:
            return False
        section = section[part]
    return True


READER_FILES = tuple(re.compile(re.escape(pattern + suffix).replace(r"\{dataset\}", "[^/]+")
                                .replace(r"\{objective\}", "[^/]+").replace(r"\{beta\}", ".+")
                                .replace(r"\{seed\}", ".+") + "$")
                     for pattern in layout.READER_TABLES for suffix in layout.READER_SUFFIXES)


def in_git(path: str) -> bool:
    """Whether an output is kept in git rather than DVC's cache (`cache: false`): a metrics JSON, or the .csv or
    .md of a table a reader inspects (layout.READER_TABLES)."""
    return (path.startswith("results/metrics/") or path.endswith("live/metrics.json")
            or any(pattern.match(path) for pattern in READER_FILES))


def is_headline(path: str) -> bool:
    """Whether an output is a dataset's headline metrics or its disentanglement over the seeds, the only files in
    dvc.yaml's `metrics:`."""
    return any(re.fullmatch(re.escape(pattern).replace(r"\{dataset\}", "[^/]+"), path) is not None
               for pattern in (layout.HEADLINE_METRICS, layout.DISENTANGLEMENT_METRICS))


def _unique(items) -> list:
    return list(dict.fromkeys(items))


def _stage_entry(stage: Stage, dataset: str | None, objective: str | None, workflow, params: dict,
                 runs: list[tuple[str, str, str]] | None = None) -> dict:
    """The dvc.yaml entry of `stage` for `dataset` and `objective` (or each (objective, beta, seed) of `runs`): deps,
    outs, metrics, plots and params read off its rules."""
    rules = [workflow.get_rule(name.format(dataset=dataset)) for name in stage.rules]
    runs = runs or [(objective, BETA, SEED)]
    inputs, outputs, keys, targets = [], [], [], []
    for rule in rules:
        for run in runs:
            rule_inputs, rule_outputs = _rule_files(rule, dataset, *run)
            targets.append(rule_outputs[0])  # one output names the job for Snakemake
            inputs += rule_inputs
            outputs += rule_outputs
        keys += [key.format(dataset=dataset, objective=key_objective,
                            objective_settings=settings_section(key_objective or ""))
                 for key in workflow.globals["PARAMS_READ"][rule.name]
                 for key_objective in _unique(run_objective for run_objective, _, _ in runs)]
    keys = [key for key in keys if _in_params(key, params)]
    produced, consumed = set(outputs), set(inputs)
    deps = [path for path in inputs if path not in produced]
    outputs = [path for path in outputs if path not in consumed]  # intermediates (simulated raw files) stay inside
    if not stage.per_beta:
        deps = [_grid_folder(path) for path in deps]
    metrics = [path for path in outputs if is_headline(path)]
    plots = [path for path in outputs if path.endswith(".png")]
    information = {_concrete(layout.INFORMATION, dataset, *run) + ".csv": run for run in runs}
    outs = [{path: {"cache": False}} if in_git(path) else path for path in outputs
            if path not in metrics and path not in plots and path not in information]
    command = f"snakemake --cores all --rerun-incomplete --allowed-rules {' '.join(r.name for r in rules)}" \
              + TARGETS + " ".join(targets)
    entry = {"cmd": [command, *stage.extra_commands] if stage.extra_commands else command,
             "deps": _unique(deps + list(stage.extra_deps))}
    if keys:
        entry["params"] = _unique(keys)
    outs += [_concrete(path, dataset, objective) for path in stage.extra_outs]
    if outs:
        entry["outs"] = outs
    if metrics:
        entry["metrics"] = [{path: {"cache": False}} for path in metrics]
    plot_entries = [{path: dict(INFORMATION_PLOT, title=INFORMATION_PLOT["title"].format(
        dataset=dataset, objective=information[path][0], beta=information[path][1], seed=information[path][2]))}
        for path in outputs if path in information]
    plot_entries += plots + [{_concrete(path, dataset, objective): props} for path, props in stage.extra_plots.items()]
    if plot_entries:
        entry["plots"] = plot_entries
    if stage.per_beta:
        grid = "betas" if objective == DEFAULT_OBJECTIVE else f"objectives.{objective}"
        entry = {"matrix": {"beta": f"${{vae.{dataset}.{grid}}}", "seed": f"${{vae.{dataset}.seeds}}"}, **entry}
    return entry


def _dataset_stages(dataset: str) -> tuple[Stage, ...]:
    """The stages of one dataset, from its registry entry: a dataset with a module of its own is prepared
    by the generic rule."""
    entry = DATASETS[dataset]
    stages = STAGES[entry.kind] + (KNOWN_FACTOR_STAGES if entry.known_factors else ())
    if entry.module is not None:
        stages = tuple(Stage(stage.name, ("prepare_dataset",), per_beta=False) if stage.name == "prepare_{dataset}"
                       else stage for stage in stages)
    return stages


FINGERPRINT_COMMENT = ("Each rule's code fingerprint (results/code), a dep of its stages: run when a source file's\n"
                       "bytes change (well under a second), it rewrites only those whose code changed in what it does,\n"
                       "not in a comment or docstring; so `dvc status` is clean while the code is as recorded.")
FINGERPRINT_SOURCES = ("src/influential_factors", "workflow/rules")  # what the fingerprints are computed from


def fingerprint_stage(base: Path) -> dict:
    """The stage that writes every rule's code fingerprint, kept in git, whatever the params."""
    return {"cmd": FINGERPRINT_COMMAND, "deps": list(FINGERPRINT_SOURCES),
            "outs": [{path: {"cache": False}} for path in sorted(fingerprints.fingerprint_files(base))]}


def dvc_stages(workflow, params: dict) -> dict:
    """Every stage of dvc.yaml for the parsed Snakemake `workflow` under `params`, as {name: (comment, entry)}:
    per dataset, its stages over the whole grid once and its per-beta stages once per objective."""
    base = Path(workflow.basedir)
    stages = {FINGERPRINT_STAGE: (FINGERPRINT_COMMENT, fingerprint_stage(base))}
    for dataset in params["datasets"]:
        grids = params["vae"][dataset].get("objectives") or {}
        objectives = [DEFAULT_OBJECTIVE, *(objective for objective, grid in grids.items() if grid)]  # []: none
        supervised = [objective for objective in objectives if objective in supervised_objectives()]
        for stage in _dataset_stages(dataset):
            if stage.name == "prepare_deap" and params["data"]["deap"]["root"]:
                stage = Stage(stage.name, ("prepare_deap",), per_beta=False)  # real DEAP: nothing to simulate
            if stage.supervised and not supervised:
                continue
            runs = [(objective, str(beta), str(seed)) for objective in objectives
                    for beta in (params["vae"][dataset]["betas"] if objective == DEFAULT_OBJECTIVE else grids[objective])
                    for seed in params["vae"][dataset]["seeds"]]
            for objective in (supervised if stage.supervised else objectives) if stage.per_beta else [None]:
                name = stage.name.format(dataset=dataset)
                if objective not in (None, DEFAULT_OBJECTIVE):
                    name += f"_{objective}"
                comment = stage.comment if objective in (None, DEFAULT_OBJECTIVE) else ""
                stages[name] = (comment, _stage_entry(stage, dataset, objective, workflow, params,
                                                      runs if stage.over_runs else None))
    for stage in GLOBAL_STAGES:
        if stage.name == "compare_paper" and not {"mnist", "deap"} & set(params["datasets"]):
            continue
        stages[stage.name] = (stage.comment, _stage_entry(stage, None, None, workflow, params))
    return stages


def render(workflow, params: dict) -> str:
    """dvc.yaml's text: the header, then each stage with its comment."""
    lines = [HEADER.rstrip("\n"), "stages:"]
    for name, (comment, entry) in dvc_stages(workflow, params).items():
        body = yaml.safe_dump({name: entry}, sort_keys=False, width=120, allow_unicode=True)
        text = "".join("  " + line if line.strip() else line for line in body.splitlines(keepends=True))
        first, _, rest = text.partition("\n")
        lines.append(first + "\n" + "".join(f"    # {line}\n" for line in comment.splitlines()) + rest.rstrip("\n"))
        lines.append("")
    return "\n".join(lines).rstrip("\n") + "\n"


def snakemake_targets(command: str | list[str]) -> list[str]:
    """The files a stage's command (one or a list, as in dvc.yaml) asks Snakemake to build: one per rule."""
    return [target for line in _lines(command) if TARGETS in line for target in line.partition(TARGETS)[2].split()]


def beyond_snakemake_jobs(command: str | list[str]) -> list[str]:
    """The lines of a stage's command that do more than build Snakemake targets (the report: Snakemake's
    --report); none for a stage of Snakemake's jobs alone."""
    return [line for line in _lines(command) if TARGETS not in line]


def _lines(command: str | list[str]) -> list[str]:
    return [command] if isinstance(command, str) else command


def write_dvc_yaml(workflow, params: dict, path: str | os.PathLike = DVC_YAML) -> bool:
    """Write dvc.yaml for `params` (atomically); True when changed. Else touched: found current now (sync_dvc_yaml)."""
    text = render(workflow, params)
    target = Path(path)
    if target.exists() and target.read_text() == text:
        os.utime(target)
        return False
    with atomic_path(target) as tmp:
        tmp.write_text(text)
    return True


@contextlib.contextmanager
def loaded_workflow(snakefile: str | os.PathLike = "Snakefile"):
    """The parsed Snakemake workflow (rules, globals) of `snakefile`, run from its folder (Snakemake changes the
    working folder there while the block runs), its config from its configfile."""
    from snakemake.api import SnakemakeApi
    from snakemake.settings.types import ConfigSettings, OutputSettings, ResourceSettings

    with SnakemakeApi(OutputSettings()) as api:
        workflow_api = api.workflow(resource_settings=ResourceSettings(cores=1), config_settings=ConfigSettings(),
                                    snakefile=Path(snakefile).resolve(), workdir=Path(snakefile).resolve().parent)
        os.environ[NO_SYNC] = "1"  # the Snakefile's own sync would write dvc.yaml while we read the rules
        try:
            workflow = workflow_api._workflow  # parsed; Snakemake's API has no public accessor for the rules
        finally:
            del os.environ[NO_SYNC]
        yield workflow


def main(argv: list[str] | None = None) -> int:
    """`python -m influential_factors.pipeline.dvc_stages [Snakefile]`: write dvc.yaml beside the Snakefile."""
    from .config import load_params

    args = sys.argv[1:] if argv is None else argv
    snakefile = Path(args[0] if args else "Snakefile").resolve()
    try:
        params = load_params(snakefile.parent / "params.yaml", snakefile.parent / "workflow/schemas/params.schema.yaml")
        with loaded_workflow(snakefile) as workflow:
            changed = write_dvc_yaml(workflow, params, snakefile.parent / DVC_YAML)
    except ParamsError as error:
        print(error, file=sys.stderr)
        return 1
    print(f"{DVC_YAML}: {'written' if changed else 'up to date'} (rules of {snakefile.name}, params.yaml)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
