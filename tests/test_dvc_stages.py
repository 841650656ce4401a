"""dvc.yaml is generated from the Snakemake rules and params.yaml: the committed file is the generator's
output, only the selected datasets get stages, real raw files are dependencies, a stage's code is its rules'
fingerprints (the import closure of what each runs, normalised: tests/test_fingerprints.py), and a stale
dvc.yaml stops `dvc repro` before any job."""

import copy
import json
import os
import re
import shutil
import subprocess
import sys

import pytest
import yaml

from conftest import REPO
from influential_factors.pipeline import fingerprints
from influential_factors.pipeline.code_deps import module_file, subcommand_modules
from influential_factors.pipeline.config import load_params
from influential_factors.pipeline.dvc_stages import (FINGERPRINT_COMMAND, FINGERPRINT_STAGE, beyond_snakemake_jobs,
                                                     dvc_stages, is_fingerprint, loaded_workflow, render,
                                                     snakemake_targets)
from influential_factors.pipeline.dvc_sync import StaleDvcYaml, sync_dvc_yaml
from influential_factors.pipeline.layout import code_fingerprint
from workflow_project import ScratchProject

SCHEMA = REPO / "workflow/schemas/params.schema.yaml"
PARAMS = load_params(REPO / "params.yaml", SCHEMA)
IMAGE_DATASETS = [dataset for dataset in PARAMS["datasets"] if dataset != "deap"]
IMAGE_RUNS = [(dataset, objective) for dataset in IMAGE_DATASETS
              for objective in ["beta_vae", *PARAMS["vae"][dataset].get("objectives", {})]]
ALL_RUNS = IMAGE_RUNS + [("deap", "beta_vae")]
ITEM = "beta${item.beta}_seed${item.seed}"  # a run's tag (layout.RUN_TAG) in a stage over DVC's matrix


def _stages_of(root, params=None):
    """The stages (name -> dvc.yaml entry) of the workflow in `root` under its params.yaml (or `params`)."""
    params = params or load_params(root / "params.yaml", SCHEMA)
    with loaded_workflow(root / "Snakefile") as workflow:
        return {name: entry for name, (_, entry) in dvc_stages(workflow, params).items()}


def _scratch(tmp_path, venv_bin, **changes):
    """A scratch copy of the workflow whose params.yaml is the repository's with `changes` (section -> dict)."""
    project = ScratchProject(tmp_path, venv_bin)
    params = load_params(REPO / "params.yaml", SCHEMA)
    for section, values in changes.items():
        params[section] = values if not isinstance(values, dict) else params[section] | values
    (tmp_path / "params.yaml").write_text(yaml.safe_dump(params, sort_keys=False))
    project.run("python", "-m", "influential_factors.pipeline.dvc_stages")
    return project


def test_committed_dvc_yaml_is_the_generators_output():
    """Fails when dvc.yaml is edited by hand, or rules, params or code change without regenerating it."""
    params = load_params(REPO / "params.yaml", SCHEMA)
    with loaded_workflow(REPO / "Snakefile") as workflow:
        assert (REPO / "dvc.yaml").read_text() == render(workflow, params)


def test_stages_are_read_off_the_rules():
    stages = _stages_of(REPO)
    train = stages["train_mnist"]
    assert train["cmd"] == ("snakemake --cores all --rerun-incomplete --allowed-rules train_vae -- "
                            f"results/models/mnist/beta_vae/{ITEM}/model.pt")
    assert train["deps"] == ["data/processed/mnist.npz", "results/code/train_vae.sha256"]
    assert "vae.mnist.epochs" in train["params"] and "vae.celeba.epochs" not in train["params"]
    assert stages["train_mnist"]["matrix"] == {"beta": "${vae.mnist.betas}", "seed": "${vae.mnist.seeds}"}
    assert "metrics" not in stages["ablate_mnist"]  # kept in git, but not one of `dvc metrics show`'s files
    assert f"results/unthresholded/metrics/mnist/beta_vae/{ITEM}.json" in stages["ablate_mnist"]["outs"]
    influential = stages["influential_mnist"]  # one stage for every run of the dataset, each named
    assert "matrix" not in influential and {"results/metrics/mnist/beta_vae/beta10_seed0.json": {"cache": False}} in influential["outs"]
    assert "results/figures/mnist/isa_vae/information_beta10_seed0.png" in influential["plots"]
    assert "results/unthresholded/mi/mnist/isa_vae" in influential["deps"]
    summary = stages["summary_mnist"]  # over the grid: the grid's folders, not one file per beta
    assert "matrix" not in summary and {"results/mi/mnist/beta_vae", "results/tables/mnist/isa_vae"} <= set(summary["deps"])
    assert "analysis.influential_threshold" in summary["params"]  # the rule reads it (the hand-written copy missed it)
    assert "results/code/summarize_runs.sha256" in summary["deps"]  # a fingerprint stays a file, not its folder
    for name, entry in stages.items():
        if name == FINGERPRINT_STAGE:
            continue
        command = entry["cmd"]
        assert (command if isinstance(command, str) else command[0]).startswith(
            "snakemake --cores all --rerun-incomplete --allowed-rules "), name
        assert not any(dep.startswith("/") for dep in entry["deps"]), name


def test_each_stage_names_its_own_outputs_to_snakemake():
    """What reproduce.py forces Snakemake to rebuild for a stale stage: its command's targets, one per rule,
    each an output of the stage (or simulated raw data its next rule reads); only the report's command does
    more than Snakemake's jobs."""
    for name, entry in _stages_of(REPO).items():
        if name == FINGERPRINT_STAGE:
            assert beyond_snakemake_jobs(entry["cmd"]) == [FINGERPRINT_COMMAND]
            continue
        outputs = [path for item in entry.get("outs", []) + entry.get("metrics", []) + entry.get("plots", [])
                   for path in ([item] if isinstance(item, str) else item)]
        targets = snakemake_targets(entry["cmd"])
        rules = (entry["cmd"] if isinstance(entry["cmd"], str) else entry["cmd"][0]).split(" -- ")[0].split()
        allowed = len(rules) - rules.index("--allowed-rules") - 1
        assert len(targets) == allowed or (name.startswith("influential_") and len(targets) % allowed == 0), name
        assert {path for path in targets if not path.startswith("data/raw/")} <= set(outputs), name
        assert beyond_snakemake_jobs(entry["cmd"]) == (["snakemake --cores 1 --report results/report.html"]
                                                      if name == "report" else []), name


def test_git_keeps_the_readers_tables_and_metrics_and_dvc_metrics_lists_only_the_headlines():
    """Uncached (`cache: false`, so in git and out of .gitignore): exactly the .csv and .md of Tables 1 and 2, the
    paper comparison, the runs side by side, the disentanglement over the seeds and the estimators' agreement and
    benchmark, and every metrics JSON; their Parquet and every other table stay cached. `metrics:` holds one
    headline.json per dataset, and the disentanglement's of a dataset with known factors."""
    uncached, cached, metrics = set(), set(), []
    for name, entry in _stages_of(REPO).items():
        if name == FINGERPRINT_STAGE:
            continue
        for item in entry.get("outs", []):
            path, flags = (item, {}) if isinstance(item, str) else next(iter(item.items()))
            (uncached if flags == {"cache": False} else cached).add(path)
        metrics += [next(iter(item)) for item in entry.get("metrics", [])]
    assert sorted(metrics) == sorted([f"results/metrics/{dataset}/headline.json" for dataset in PARAMS["datasets"]]
                                     + ["results/metrics/dsprites/disentanglement.json"])  # known factors: MIG over seeds
    tables = {path for path in uncached if not path.endswith(".json")}
    assert tables == {stem + suffix for stem in (
        "results/tables/paper_comparison", "results/estimators/synthetic", f"results/tables/deap/beta_vae/table2_{ITEM}",
        *(f"results/tables/{dataset}/runs" for dataset in IMAGE_DATASETS), "results/tables/dsprites/disentanglement",
        *(f"results/tables/{dataset}/{objective}/table1_{ITEM}" for dataset, objective in IMAGE_RUNS),
        *(f"results/estimators/{dataset}/{objective}/agreement_{ITEM}" for dataset, objective in ALL_RUNS))
        for suffix in (".csv", ".md")}
    assert all(path.startswith("results/metrics/") or path.endswith("/live/metrics.json")
               for path in uncached - tables)
    assert f"results/tables/mnist/beta_vae/table1_{ITEM}.parquet" in cached
    assert f"results/estimators/mnist/beta_vae/{ITEM}.csv" in cached  # per factor: heavy, stays cached
    assert f"results/tables/dsprites/beta_vae/mig_{ITEM}.csv" in cached


def test_only_cheap_stages_read_the_influential_threshold():
    """A threshold change re-runs the step that applies it and the figures and summaries after it: no training,
    encoding or estimator stage reads it, nor one that reads their outputs but the threshold's own stage's."""
    readers = {name.split("_")[0] for name, entry in _stages_of(REPO).items()
               if "analysis.influential_threshold" in entry.get("params", [])}
    assert readers == {"influential", "summary"}


def test_a_stages_code_deps_are_its_rules_fingerprints():
    """No module file nor rule file is a dep: each stage's code is the fingerprint of each of its rules, which
    covers the rule's file and its subcommands' import closure (tests/test_fingerprints.py), all written by the
    stage code_fingerprints, run when a source changed, whose outs are kept in git."""
    stages = _stages_of(REPO)
    for name, entry in stages.items():
        deps = entry.get("deps", [])
        assert name == FINGERPRINT_STAGE or not [dep for dep in deps if dep.startswith("src/") or dep.endswith(".smk")
                                                  and name != "report"], name  # the report reads its captions' rule file
        rules = _allowed_rules(entry["cmd"])
        dataset = name.removeprefix("prepare_")  # the generic preparation runs each dataset's own module
        assert [dep for dep in deps if is_fingerprint(dep)] == [
            code_fingerprint(rule, dataset if rule == "prepare_dataset" else None) for rule in rules], name
    assert stages["estimators_mnist"]["deps"][-1] == "results/code/compare_estimators.sha256"
    fingerprint_stage = stages[FINGERPRINT_STAGE]
    assert fingerprint_stage["cmd"] == FINGERPRINT_COMMAND
    assert fingerprint_stage["deps"] == ["src/influential_factors", "workflow/rules"]  # no stage but this reads sources
    files = sorted(fingerprints.fingerprint_files(REPO))
    assert fingerprint_stage["outs"] == [{path: {"cache": False}} for path in files]
    rules = fingerprints.rule_code(REPO)
    assert "information.mi" in fingerprints.rule_modules(rules["compare_estimators"])  # through the estimators
    plot = fingerprints.rule_modules(rules["plot_information"])
    assert "reporting.figures" in plot and "information.neural_mi" not in plot


@pytest.mark.parametrize("subcommand", ["prepare-mnist", "train-vae", "encode", "estimate-mi", "compare-estimators",
                                        "ablate-topk", "plot-traversals", "classify-topk", "emotion-factors",
                                        "headline-metrics"])
def test_static_closure_holds_every_module_a_subcommand_loads(subcommand):
    """Running the subcommand's handler (it fails on the dummy options after its imports) loads only modules
    that the static closure lists."""
    code = ("import sys, argparse\nfrom influential_factors import cli\n"
            f"parser = cli.build_parser({subcommand!r})\nhandler = [a for a in parser._subparsers._group_actions[0].choices.items()"
            f" if a[0] == {subcommand!r}][0][1].get_default('run')\n"
            "try:\n    handler(argparse.Namespace())\nexcept Exception:\n    pass\n"
            "print(' '.join(sorted(m.split('.', 1)[1] for m in sys.modules if m.startswith('influential_factors.'))))")
    loaded = set(subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                                cwd=REPO).stdout.split())
    assert "cli" in loaded and loaded <= subcommand_modules(subcommand)


def test_only_the_selected_datasets_get_stages(tmp_path, venv_bin):
    _scratch(tmp_path, venv_bin, datasets=["mnist"])
    names = set(_stages_of(tmp_path))
    assert {name for name in names if name.endswith(("_celeba", "_deap", "_shapes", "_dsprites"))} == set()
    assert {"prepare_mnist", "train_mnist", "ablate_mnist", "summary_mnist", "compare_paper", "report"} <= names


def test_a_new_beta_grid_or_seed_changes_only_the_threshold_stage_of_dvc_yaml(tmp_path, venv_bin):
    """The grid is DVC's matrix over params.yaml's betas and seeds, and stages over the grid depend on folders: a
    changed grid (as `dvc exp run -S vae.mnist.betas=...` makes) changes only the stage that names every run, the
    threshold's."""
    grid = dict(load_params(REPO / "params.yaml", SCHEMA)["vae"]["mnist"], betas=[0.5, 2, 6], seeds=[0, 7])
    _scratch(tmp_path, venv_bin, vae={"mnist": grid})
    before, after = _stages_of(REPO), _stages_of(tmp_path)
    assert [name for name in before if before[name] != after[name]] == ["influential_mnist"]
    targets = snakemake_targets(after["influential_mnist"]["cmd"])
    assert {"results/metrics/mnist/beta_vae/beta0.5_seed0.json", "results/metrics/mnist/isa_vae/beta10_seed7.json"} <= set(targets)


def test_real_raw_files_are_dependencies_of_their_preparation(tmp_path, venv_bin):
    from test_datasets import fake_mnist_root
    from influential_factors.data.deap_simulator import simulate_deap

    raw = tmp_path / "my data"
    fake_mnist_root(raw / "mnïst", n_train=20, n_test=10)
    simulate_deap(raw / "deap", subjects=1, trials=4, seed=0)
    project = tmp_path / "project"
    project.mkdir()
    data = load_params(REPO / "params.yaml", SCHEMA)["data"]
    data["mnist"]["root"], data["deap"]["root"], data["deap"]["subjects"] = str(raw / "mnïst"), str(raw / "deap"), [1]
    _scratch(project, venv_bin, data=data)
    stages = _stages_of(project)
    mnist_deps = stages["prepare_mnist"]["deps"]
    assert str(raw / "mnïst" / "MNIST" / "raw" / "t10k-images-idx3-ubyte") in mnist_deps
    assert stages["prepare_deap"]["deps"][0] == str(raw / "deap" / "s01.dat")
    assert "simulate_deap" not in stages["prepare_deap"]["cmd"]


def test_a_stale_dvc_yaml_is_rewritten_and_stops_dvc(tmp_path, monkeypatch):
    params = load_params(REPO / "params.yaml", SCHEMA)
    path = tmp_path / "dvc.yaml"
    path.write_text("stages: {}\n")
    with loaded_workflow(REPO / "Snakefile") as workflow:
        monkeypatch.delenv("DVC_STAGE", raising=False)
        sync_dvc_yaml(workflow, params, params, path)  # plain Snakemake: rewritten, the run goes on
        assert path.read_text() == render(workflow, params)
        monkeypatch.setenv("DVC_STAGE", "prepare_mnist")
        sync_dvc_yaml(workflow, params, params, path)  # up to date: nothing to say
        other = copy.deepcopy(params)
        other["analysis"]["influential_threshold"] = 0.5
        sync_dvc_yaml(workflow, other, params, path)  # a --config override: the rules describe another run
        path.write_text("stages: {}\n")
        sync_dvc_yaml(workflow, params, params, path)  # written after its sources: trusted (no render per stage)
        assert path.read_text() == "stages: {}\n"
        os.utime(path, (0, 0))  # written before params.yaml or a rule last changed: generated again, and stale
        with pytest.raises(StaleDvcYaml, match="run `dvc repro` again"):
            sync_dvc_yaml(workflow, params, params, path)
        assert path.read_text() == render(workflow, params)


@pytest.mark.slow
def test_dvc_repro_builds_only_the_selected_datasets(tmp_path, venv_bin):
    """params.yaml selects MNIST alone and names a bad CelebA root: the first `dvc repro` stops before any
    job, and dvc.yaml then holds MNIST's stages only (the unused bad root is never read)."""
    project = ScratchProject(tmp_path, venv_bin)
    project.run("dvc", "init", "-q", "--force")
    params = project.params
    params["datasets"] = ["mnist"]
    params["data"]["celeba"]["root"] = str(tmp_path / "no such folder")
    (tmp_path / "params.yaml").write_text(yaml.safe_dump(params, sort_keys=False))
    failed = project.run("dvc", "repro", check=False)
    assert "has now been rewritten: run `dvc repro` again" in failed
    assert not (tmp_path / "data" / "processed").exists()  # in results/ only the code fingerprints
    assert [path.name for path in (tmp_path / "results").iterdir()] == ["code"]
    listed = project.run("dvc", "stage", "list", "--name-only")
    stages = {line.split("@")[0] for line in listed.split()}
    assert stages == {"code_fingerprints", "prepare_mnist", "train_mnist", "encode_mnist", "mi_mnist", "estimators_mnist",
                      "ablate_mnist",
                      "influential_mnist", "traversals_mnist", "generation_mnist", "summary_mnist",
                      "benchmark_estimators", "compare_paper", "report"}


@pytest.mark.slow
def test_new_raw_files_rerun_their_preparation_in_dvc(tmp_path, venv_bin):
    """Replacing a file under data.mnist.root makes `dvc status` list prepare_mnist: its raw files are deps."""
    from test_datasets import _write_idx, fake_mnist_root
    import numpy as np

    project = ScratchProject(tmp_path / "project", venv_bin)
    project.run("dvc", "init", "-q", "--force")
    root = tmp_path / "raw mnist"
    fake_mnist_root(root, n_train=60, n_test=20)
    params = project.params
    params["datasets"] = ["mnist"]
    params["data"]["mnist"].update(root=str(root), limit=None)
    (project.root / "params.yaml").write_text(yaml.safe_dump(params, sort_keys=False))
    project.run("python", "-m", "influential_factors.pipeline.dvc_stages")
    project.run("dvc", "repro", "prepare_mnist")
    assert "prepare_mnist" not in project.run("dvc", "status", "prepare_mnist")
    images = np.random.default_rng(1).integers(0, 256, (20, 28, 28), dtype=np.uint8)
    _write_idx(root / "MNIST" / "raw" / "t10k-images-idx3-ubyte", images, 0x08)
    status = project.run("dvc", "status", "prepare_mnist")
    assert "prepare_mnist" in status and "modified" in status and str(root) in status


def _placeholders(root, stages):
    """An empty file (or folder) at every path the stages read or write, so `dvc commit` can record them."""
    for entry in stages.values():
        betas = ["1"] if "matrix" in entry else [None]
        paths = list(entry.get("deps", [])) + [next(iter(item)) if isinstance(item, dict) else item
                                      for key in ("outs", "metrics", "plots") for item in entry.get(key, [])]
        for beta in betas:
            for path in paths:
                target = root / (path.replace("${item.beta}", beta).replace("${item.seed}", "0") if beta else path)
                if target.exists():
                    continue
                if target.suffix or target.name.endswith(".dat"):
                    target.parent.mkdir(parents=True, exist_ok=True)
                    target.write_text("placeholder\n")
                else:
                    target.mkdir(parents=True, exist_ok=True)
                    (target / "placeholder").write_text("placeholder\n")


# A module of each kind: one dataset's stage, an objective's, most stages through the objectives package, every
# stage (the CLI's package), none (the generator).
CHANGED_MODULES = ("evaluation.emotion_factors", "information.mig", "data.topomap", "models.objectives.lp_nested",
                   "cli", "pipeline.dvc_stages", "information.mi")


def _allowed_rules(command) -> list[str]:
    """The rules a stage's command runs (`--allowed-rules ... --`), in the order of its targets."""
    line = command if isinstance(command, str) else command[0]
    return line.split(" -- ")[0].split("--allowed-rules ")[1].split() if "--allowed-rules " in line else []


def _rule_targets(command) -> list[tuple[str, str]]:
    """Each target of a stage's command with the rule that builds it: the targets go rule by rule, the same
    number for each (one, or one per run for the threshold's stage over every run of a dataset)."""
    rules, targets = _allowed_rules(command), snakemake_targets(command)
    per_rule = len(targets) // len(rules)
    return [(rule, target) for index, rule in enumerate(rules) for target in targets[index * per_rule:(index + 1) * per_rule]]


def _snakemake_jobs(project, rules) -> set[str]:
    """The first output of each job of `rules` that `snakemake -n` would run."""
    jobs = re.split(r"^(?=(?:local)?rule \w+:$)", project.run("snakemake", "-n"), flags=re.M)
    return {re.search(r"^    output: ([^,\n]+)", job, re.M).group(1) for job in jobs
            if re.match(r"(?:local)?rule (\w+):", job) and re.match(r"(?:local)?rule (\w+):", job).group(1) in rules}


def _downstream(root, stages: set[str]) -> set[str]:
    """The stages that read, directly or not, what `stages` write (DVC's graph)."""
    import networkx as nx
    from dvc.repo import Repo

    with Repo(str(root)) as repo:
        graph = repo.index.graph  # an edge runs from a stage to each stage whose outputs it reads
        return {downstream.name for stage in graph if stage.name in stages for downstream in nx.ancestors(graph, stage)}


@pytest.mark.slow
def test_a_changed_module_stales_exactly_the_stages_that_run_it(tmp_path, venv_bin):
    """For a module of each kind: a comment appended to it (and the fingerprint step run, as `dvc repro` does
    first) leaves `dvc status` with no stage but code_fingerprints itself, and `snakemake -n` with nothing to do;
    code appended to it makes `dvc status` name exactly the stages one of whose rules runs it (its import closure
    holds it), and `snakemake -n` run those rules' jobs and no job but of the stages after them (DVC's graph: the
    next `dvc repro` runs those too, as their deps change). That a fingerprint covers the whole closure,
    module by module, tests/test_fingerprints.py checks without DVC."""
    vae = load_params(REPO / "params.yaml", SCHEMA)["vae"]
    one_beta = {name: vae[name] | {"betas": [1]} | ({"objectives": {objective: [1] for objective in vae[name]["objectives"]}}
                                                   if "objectives" in vae[name] else {})
                for name in ("mnist", "celeba", "deap", "shapes")}  # every objective's grid too: each stage @1
    project = _scratch(tmp_path, venv_bin, datasets=["mnist", "deap", "shapes"], vae=one_beta)
    project.run("dvc", "init", "-q", "--force")
    stages = _stages_of(tmp_path)
    _placeholders(tmp_path, stages)
    project.run("dvc", "commit", "--force")  # writes .gitignore files into folders that stages over the grid
    project.run("dvc", "commit", "--force")  # depend on: the second commit records those folders as they stay
    assert set(json.loads(project.run("dvc", "status", "--json"))) <= {FINGERPRINT_STAGE}
    project.run("snakemake", "--cores", "1", "--touch", "all")  # every output newer than the fingerprints
    assert "Nothing to be done" in project.run("snakemake", "-n")
    rules = fingerprints.rule_code(tmp_path)
    for module in CHANGED_MODULES:
        path = tmp_path / module_file(module)
        expected = {name + ("@1-0" if "matrix" in entry else "") for name, entry in stages.items()
                    if any(dep.startswith("results/code/") and module in fingerprints.rule_modules(
                        rules[dep.removeprefix("results/code/").removesuffix(".sha256")])
                           for dep in entry.get("deps", []))}
        if module == "information.mi":  # Algorithm 1: its estimates and their readers re-run, no training nor encoding
            assert "mi_mnist@1-0" in expected and not [name for name in expected if name.startswith(("train", "encode"))]
        original = path.read_bytes()
        path.write_bytes(original + b"\n# a comment\n")
        project.run("python", "-m", "influential_factors.pipeline.fingerprints")
        assert set(json.loads(project.run("dvc", "status", "--json"))) <= {FINGERPRINT_STAGE}, module
        assert "Nothing to be done" in project.run("snakemake", "-n"), module
        path.write_bytes(original + b"\n_FINGERPRINT_PROBE = 1\n")
        project.run("python", "-m", "influential_factors.pipeline.fingerprints")
        assert set(json.loads(project.run("dvc", "status", "--json"))) - {FINGERPRINT_STAGE} == expected, module
        # Snakemake runs the jobs of those rules, and jobs after them: stages downstream in DVC's graph (which
        # a stage over the grid joins through its folder deps, so it holds more than Snakemake re-runs)
        downstream = _downstream(tmp_path, expected)
        direct, after = set(), set()
        for name, entry in stages.items():
            if name == FINGERPRINT_STAGE:
                continue
            for rule, target in _rule_targets(entry["cmd"]):
                if module in fingerprints.rule_modules(rules[rule]):
                    direct.add(target.replace("${item.beta}", "1").replace("${item.seed}", "0"))
                elif name + ("@1-0" if "matrix" in entry else "") in downstream:
                    after.add(target.replace("${item.beta}", "1").replace("${item.seed}", "0"))
        assert direct <= _snakemake_jobs(project, rules) <= direct | after, module
        path.write_bytes(original)
        project.run("python", "-m", "influential_factors.pipeline.fingerprints")
        if expected:
            project.run("snakemake", "--cores", "1", "--touch", "all")
    assert set(json.loads(project.run("dvc", "status", "--json"))) <= {FINGERPRINT_STAGE}


@pytest.mark.slow
def test_an_output_edited_in_place_never_reaches_the_cache(tmp_path, venv_bin):
    """The cache is reflinked or copied, never hard-linked: editing a result in the workspace (as root,
    whom read-only modes do not stop) leaves the cached copy intact, DVC reports the edit, and
    `dvc checkout` brings the computed bytes back."""
    project = ScratchProject(tmp_path, venv_bin)
    project.run("dvc", "init", "-q", "--force")
    shutil.copy2(REPO / ".dvc" / "config", tmp_path / ".dvc" / "config")  # `dvc init` wrote its own
    project.run("dvc", "repro", "prepare_shapes")
    output = tmp_path / "data/processed/shapes.npz"
    computed = output.read_bytes()
    with open(output, "r+b") as handle:  # in place: same inode, as an editor or a script would
        handle.seek(len(computed) // 2)
        handle.write(bytes([computed[len(computed) // 2] ^ 0xFF]))
    assert "modified:           data/processed/shapes.npz" in project.run("dvc", "status", "prepare_shapes")
    project.run("dvc", "checkout", "--force", "prepare_shapes")
    assert output.read_bytes() == computed
