"""reproduce.py on tiny DVC projects: what runs after Snakemake (a stage whose command does more than Snakemake's
jobs runs when it, or a stage upstream of it, changed or misses an output; otherwise not), the one commit pass
that leaves `dvc status` clean, and DVC reading each version of params.yaml once."""

import os
import subprocess
import time

import pytest
import yaml
from dvc.repo import Repo

from influential_factors.pipeline.reproduce import (ignore_outputs, params_parsed_once, prune_lock, run_beyond_snakemake,
                                                    written_since)

STAGES = {  # prepare -> train -> report -> publish; bench on its own. report and publish do more than Snakemake
    # code_fingerprints (always changed) -> prepare: its command is no Snakemake job, and runs before Snakemake
    "code_fingerprints": {"cmd": "python -m influential_factors.pipeline.fingerprints", "always_changed": True,
                          "outs": [{"prepare.sha256": {"cache": False}}]},
    "prepare": {"cmd": "snakemake --allowed-rules prepare -- prepare.txt", "deps": ["prepare.sha256"],
                "outs": ["prepare.txt"]},
    "train": {"cmd": "snakemake --allowed-rules train -- train.txt", "deps": ["prepare.txt"], "outs": ["train.txt"]},
    "report": {"cmd": ["snakemake --allowed-rules tables -- tables.txt", "snakemake --report report.html"],
               "deps": ["train.txt"], "outs": ["tables.txt", "report.html"]},
    "publish": {"cmd": "cp report.html public.html", "deps": ["report.html"], "outs": ["public.html"]},
    "bench": {"cmd": "snakemake --allowed-rules bench -- bench/runs.txt", "outs": ["bench"]},
}


@pytest.fixture
def project(tmp_path, monkeypatch):
    """The tiny DVC project, every output present and written an hour ago; the working folder is its root, as
    for `make reproduce` (stages are addressed relative to it)."""
    monkeypatch.chdir(tmp_path)
    Repo.init(str(tmp_path), no_scm=True).close()
    (tmp_path / "dvc.yaml").write_text(yaml.safe_dump({"stages": STAGES}))
    (tmp_path / "bench").mkdir()
    for name in ("prepare.sha256", "prepare.txt", "train.txt", "tables.txt", "report.html", "public.html", "bench/runs.txt"):
        (tmp_path / name).write_text(name)
        os.utime(tmp_path / name, (time.time() - 3600,) * 2)
    with Repo(str(tmp_path)) as repo:
        yield tmp_path, repo.index.graph


def test_a_stage_beyond_snakemake_runs_when_it_or_a_stage_upstream_changed(project):
    _, graph = project
    assert run_beyond_snakemake(graph, set()) == []
    assert run_beyond_snakemake(graph, {"bench"}) == []  # upstream of neither
    assert run_beyond_snakemake(graph, {"publish"}) == ["publish"]
    for changed in ({"report"}, {"train"}, {"prepare"}, {"prepare", "bench"}):
        assert run_beyond_snakemake(graph, changed) == ["report", "publish"], changed  # upstream first
    assert run_beyond_snakemake(graph, {"code_fingerprints"}) == []  # always changed: a changed fingerprint stales
    #                                                                    the stage that reads it


def test_a_missing_output_runs_its_stage_and_those_downstream(project):
    root, graph = project
    (root / "public.html").unlink()
    assert run_beyond_snakemake(graph, set()) == ["publish"]
    (root / "report.html").unlink()
    assert run_beyond_snakemake(graph, set()) == ["report", "publish"]


def test_stages_written_since_a_time_are_those_with_an_output_or_a_file_in_an_output_folder_newer(project):
    root, graph = project
    since = time.time()
    assert written_since(graph, since) == set()
    (root / "train.txt").write_text("again")
    (root / "bench/runs.txt").write_text("again")
    assert written_since(graph, since) == {"train", "bench"}


def test_one_commit_records_a_stage_reading_a_folder_that_a_later_stage_writes_into(tmp_path, monkeypatch):
    """`summary` (first in dvc.yaml) reads the folder where `mig` writes its table and DVC its .gitignore: with
    the .gitignore entries written first, one commit pass leaves nothing stale."""
    monkeypatch.chdir(tmp_path)
    subprocess.run(["git", "init", "-q"], check=True)
    Repo.init(str(tmp_path)).close()
    (tmp_path / "dvc.yaml").write_text(yaml.safe_dump({"stages": {
        "summary": {"cmd": "snakemake -- summary.txt", "deps": ["tables"], "outs": ["summary.txt"]},
        "mig": {"cmd": "snakemake -- tables/mig.txt", "outs": ["tables/mig.txt"]}}}, sort_keys=False))
    (tmp_path / "tables").mkdir()
    (tmp_path / "tables/mig.txt").write_text("mig")
    (tmp_path / "summary.txt").write_text("summary")
    with Repo() as repo:
        ignore_outputs(repo.index.stages)
    with Repo() as repo:
        assert [stage.addressing for stage in repo.commit(force=True, relink=False)] == ["summary", "mig"]
        assert repo.status() == {}


def test_uncached_outputs_stay_out_of_gitignore_and_lose_entries_left_from_when_they_were_cached(tmp_path,
                                                                                              monkeypatch):
    """A reader's table (`cache: false`, kept in git) is never gitignored, and an entry left from when it was a
    cached output goes; the cached Parquet beside it and every other line of the .gitignore stay."""
    monkeypatch.chdir(tmp_path)
    subprocess.run(["git", "init", "-q"], check=True)
    Repo.init(str(tmp_path)).close()
    (tmp_path / "dvc.yaml").write_text(yaml.safe_dump({"stages": {"ablate": {
        "cmd": "snakemake -- tables/table1.csv",
        "outs": [{"tables/table1.csv": {"cache": False}}, "tables/table1.parquet", {"tables/table1.md": {"cache": False}}],
        "metrics": [{"tables/headline.json": {"cache": False}}]}}}, sort_keys=False))
    (tmp_path / "tables").mkdir()
    for name in ("table1.csv", "table1.parquet", "table1.md", "headline.json"):
        (tmp_path / "tables" / name).write_text("{}")
    (tmp_path / "tables/.gitignore").write_text("/table1.csv\n/table1.parquet\n/other.bin\n/table1.md\n")
    with Repo() as repo:
        ignore_outputs(repo.index.stages)
    assert (tmp_path / "tables/.gitignore").read_text().splitlines() == ["/table1.parquet", "/other.bin"]
    ignored = subprocess.run(["git", "status", "--porcelain", "--untracked-files=all", "tables"], capture_output=True,
                             text=True, check=True).stdout.split()
    assert {"tables/table1.csv", "tables/table1.md", "tables/headline.json"} <= set(ignored)
    assert "tables/table1.parquet" not in ignored


def test_dvc_parses_each_version_of_params_yaml_once_and_records_what_it_would_record_parsing_it_every_time(
        tmp_path, monkeypatch):
    """Three stages read params.yaml: DVC's status and commit parse it for each of them (and again for the
    run-cache); within `params_parsed_once` each version is parsed once, and dvc.lock and the status are the same.
    A changed params.yaml (a new version) is parsed anew, and its stage is stale."""
    from dvc.dependency import param

    monkeypatch.chdir(tmp_path)
    Repo.init(str(tmp_path), no_scm=True).close()
    (tmp_path / "params.yaml").write_text(yaml.safe_dump({"train": {"epochs": 3, "lr": 0.1}, "seed": 0}))
    (tmp_path / "dvc.yaml").write_text(yaml.safe_dump({"stages": {
        name: {"cmd": f"snakemake -- {name}.txt", "params": keys, "outs": [f"{name}.txt"]}
        for name, keys in {"a": ["train.epochs"], "b": ["train.lr", "seed"], "c": ["train"]}.items()}}))
    for name in "abc":
        (tmp_path / f"{name}.txt").write_text(name)
    parses = []

    def counted(path, fs, **kwargs):
        parses.append(path)
        return parse(path, fs, **kwargs)

    parse = param.load_path
    monkeypatch.setattr(param, "load_path", counted)
    with Repo() as repo:
        repo.commit(force=True, relink=False)
    parsed_each_time, every_time = len(parses), (tmp_path / "dvc.lock").read_text()
    (tmp_path / "dvc.lock").unlink()
    parses.clear()
    with params_parsed_once():
        with Repo() as repo:
            repo.commit(force=True, relink=False)
            assert repo.status() == {}
        assert parses == [str(tmp_path / "params.yaml")] and parsed_each_time >= 6
        assert (tmp_path / "dvc.lock").read_text() == every_time
        (tmp_path / "params.yaml").write_text(yaml.safe_dump({"train": {"epochs": 30, "lr": 0.1}, "seed": 0}))
        with Repo() as repo:
            assert set(repo.status()) == {"a", "c"}
        assert len(parses) == 2
    assert param.load_path is counted


def test_the_lock_loses_the_entries_of_stages_dvc_yaml_no_longer_has(project):
    """A stage renamed or switched off (here `train_old`) leaves dvc.lock; the others' entries stay byte for byte."""
    root, _ = project
    with Repo(str(root)) as repo:
        repo.commit(force=True)
        kept = (root / "dvc.lock").read_text()
        lock = yaml.safe_load(kept)
        lock["stages"]["train_old"] = {"cmd": "snakemake -- old.txt", "outs": [{"path": "old.txt", "md5": "0" * 32}]}
        (root / "dvc.lock").write_text(yaml.safe_dump(lock, sort_keys=False))
        assert prune_lock(repo.index.stages) == ["train_old"]
        assert yaml.safe_load((root / "dvc.lock").read_text()) == yaml.safe_load(kept)
        assert prune_lock(repo.index.stages) == [] and "train_old" not in (root / "dvc.lock").read_text()
