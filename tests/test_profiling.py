"""Per-command profiles (profiling.py) and their sum over a run (tests/benchmarks/profile_run.py): the repeated
work a job must not do is counted from them."""

import runpy
from pathlib import Path

import pytest

from influential_factors.models.vae import BetaVAE, load_model, load_trained, save_torch
from influential_factors.pipeline.profiling import PROFILE, profiled

BENCH = Path(__file__).parent / "benchmarks" / "profile_run.py"


@pytest.fixture
def saved_model(tmp_path):
    architecture = dict(image_shape=(1, 28, 28), channels=[4, 4], hidden=8, latents=3)
    path = tmp_path / "model.pt"
    save_torch({"architecture": architecture, "state_dict": BetaVAE(**architecture).state_dict(), "beta": 4.0,
                "sigma2_x": 0.0112, "epochs": 1}, path)
    return path


def test_no_profile_is_written_unless_asked(tmp_path, monkeypatch, saved_model):
    monkeypatch.delenv(PROFILE, raising=False)
    with profiled("encode"):
        load_model(saved_model)
    assert not list(tmp_path.glob("**/*.prof"))


def test_the_run_summary_counts_each_jobs_model_loads(tmp_path, monkeypatch, saved_model):
    folder = tmp_path / "profiles"
    monkeypatch.setenv(PROFILE, str(folder))
    with profiled("plot-traversals"):  # a job that loads its model twice: repeated work
        load_model(saved_model)
        load_model(saved_model)
    with profiled("generate"):  # model and objective from one read of the file
        model, objective = load_trained(saved_model)
    assert model.latents == 3 and objective.beta == 4.0
    profiles = sorted(path.name.rpartition("-")[0] for path in folder.glob("*.prof"))
    assert profiles == ["generate", "plot-traversals"]

    report = runpy.run_path(str(BENCH))["summary"](folder, top=5)
    lines = report.splitlines()
    assert lines[0].startswith("2 jobs")
    assert len([line for line in lines if line.startswith(("generate ", "plot-traversals "))]) == 2
    load_line = next(line for line in lines if line.strip().startswith("load_model"))
    assert load_line.split()[1] == "2" and "plot-traversals-" in load_line
    assert next(line for line in lines if line.strip().startswith("torch.load")).split()[1] == "2"
    assert "top 5 functions by own time" in report


def test_a_folder_without_profiles_is_an_error(tmp_path):
    with pytest.raises(SystemExit, match="no profiles"):
        runpy.run_path(str(BENCH))["summary"](tmp_path, top=5)
