# Influential latent factors of VAEs (Liu et al.) as one Snakemake workflow.
# Parameters: params.yaml (validated before any job starts). Rules: workflow/rules/*.smk, formatted by snakefmt.
# Every rule runs the project's own CLI from one locked environment (requirements.lock), which each rule names
# as `conda: "../envs/cluster.yaml"` (workflow/envs/, as `snakemake --lint` and the workflow catalog ask). Rules
# run in the environment Snakemake runs in unless --software-deployment-method conda; this file imports the
# project, so Snakemake itself runs from that environment either way (docs/scaling.md).
import os

from influential_factors.pipeline.checkout import warn_if_foreign
from influential_factors.pipeline.config import check_config_file

# Two clones sharing one environment: say when the code that runs is not this checkout's.
warn_if_foreign(workflow.basedir)

# An empty or scalar params.yaml, or a repeated key: one line naming the file, before Snakemake reads it.
check_config_file("params.yaml")


configfile: "params.yaml"


report: "workflow/report/workflow.rst"  # `snakemake --cores 1 --report results/report.html`: figures and tables


include: "workflow/rules/common.smk"
include: "workflow/rules/data.smk"
include: "workflow/rules/train.smk"
include: "workflow/rules/analysis.smk"
include: "workflow/rules/thresholds.smk"
include: "workflow/rules/figures.smk"
include: "workflow/rules/supervised.smk"
include: "workflow/rules/report.smk"


rule all:
    input:
        [dataset_targets(dataset) for dataset in config["datasets"]],
        f"{ESTIMATOR_BENCHMARK}.csv",
        ESTIMATOR_BENCHMARK_METRICS,
        TABLES_PAGE,


# Each rule's code fingerprint, an input of the rule and a dep of its DVC stage: rewritten only when what the code
# does changes (not for a comment or docstring), so its time tells Snakemake what DVC's hash tells DVC. They do not
# depend on the config (influential_factors.pipeline.fingerprints); cluster jobs, reading this file again, leave them.
from influential_factors.pipeline.fingerprints import write_fingerprints

if workflow.is_main_process and not os.environ.get("DVC_STAGE"):  # under dvc repro, code_fingerprints ran first
    write_fingerprints(workflow.basedir)

# dvc.yaml is generated from these rules and params.yaml (what DVC reads): rewritten here when stale, so
# that `dvc repro` runs what `snakemake` would (influential_factors.pipeline.dvc_stages).
from influential_factors.pipeline.config import load_params
from influential_factors.pipeline.dvc_sync import sync_dvc_yaml

sync_dvc_yaml(
    workflow, config, load_params(Path(workflow.basedir) / "params.yaml", SCHEMA), Path(workflow.basedir) / "dvc.yaml"
)
