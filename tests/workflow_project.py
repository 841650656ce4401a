"""A scratch copy of the workflow (git + DVC repository) running the smoke configuration."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import yaml

from conftest import REPO

SMOKE = yaml.safe_load((REPO / "tests" / "smoke_params.yaml").read_text())  # the smoke configuration


def smoke_runs(dataset: str) -> list[tuple[str, str, str]]:
    """The smoke configuration's runs of `dataset` as (objective, beta, seed) in wildcard form (str of each
    number): the beta-VAE's grid, then each objective's non-empty grid, each beta over the dataset's seeds, as
    the rules' `runs()` lists them."""
    vae = SMOKE["vae"][dataset]
    grids = {"beta_vae": vae["betas"], **(vae.get("objectives") or {})}
    return [(objective, str(beta), str(seed)) for objective, grid in grids.items() for beta in grid
            for seed in vae["seeds"]]


WORKFLOW_FILES = ("Snakefile", "dvc.yaml", "workflow", "src", ".dvc/config", ".dvcignore")


class ScratchProject:
    """The repository's workflow files in `root` with tests/smoke_params.yaml as params.yaml (or, with
    `copy=False`, an existing checkout such as a clone)."""

    def __init__(self, root: Path, venv_bin: str, copy: bool = True):
        self.root, self.venv_bin = root, venv_bin
        self.env = dict(os.environ, PATH=f"{venv_bin}{os.pathsep}{os.environ['PATH']}", DVC_NO_ANALYTICS="1",
                        GIT_AUTHOR_NAME="test", GIT_AUTHOR_EMAIL="test@example.org",
                        GIT_COMMITTER_NAME="test", GIT_COMMITTER_EMAIL="test@example.org")
        if copy:
            self._copy_workflow()

    def _copy_workflow(self) -> None:
        for name in WORKFLOW_FILES:
            source, target = REPO / name, self.root / name
            target.parent.mkdir(parents=True, exist_ok=True)
            if source.is_dir():
                shutil.copytree(source, target, ignore=shutil.ignore_patterns("__pycache__", "*.egg-info"))
            elif source.exists():
                shutil.copy2(source, target)
        shutil.copy2(REPO / "tests" / "smoke_params.yaml", self.root / "params.yaml")
        self.run("python", "-m", "influential_factors.pipeline.dvc_stages")  # dvc.yaml for the smoke params
        self.run("git", "init", "-q")
        self.run("git", "add", "-A")
        self.run("git", "commit", "-qm", "scratch")  # DVCLive needs a commit in a git repository

    def clone(self, root: Path) -> "ScratchProject":
        """A `git clone` of this repository in `root`, as a teammate gets it (DVC-tracked files absent)."""
        subprocess.run(["git", "clone", "-q", str(self.root), str(root)], check=True, capture_output=True)
        return ScratchProject(root, self.venv_bin, copy=False)

    def run(self, *command: str, check: bool = True) -> str:
        """stdout and stderr of `command` run in the project; a failure raises unless `check` is false."""
        result = subprocess.run(command, cwd=self.root, env=self.env, capture_output=True, text=True)
        if check and result.returncode != 0:
            raise AssertionError(f"{' '.join(command)} failed ({result.returncode}):\n{result.stdout}\n{result.stderr}")
        return result.stdout + result.stderr

    @property
    def params(self) -> dict:
        return yaml.safe_load((self.root / "params.yaml").read_text())

    def set_param(self, section: str, key: str, value) -> None:
        params = self.params
        params[section][key] = value
        (self.root / "params.yaml").write_text(yaml.safe_dump(params, sort_keys=False))
