"""Adding an objective, for real, the way docs/development.md says: a throwaway objective's module and its lines
in params.yaml, and nothing else (no schema, list or test file), take it through the smoke DAG."""

import json
import subprocess

import pytest
import yaml

from conftest import REPO
from workflow_project import ScratchProject

pytestmark = pytest.mark.slow

NAME = "dip_vae2"  # a digit in the name: the rules' wildcard pattern allows it
MODULE = '''"""A throwaway objective: the beta-VAE's penalty with the KL weighted by `scale` on top of beta."""

from __future__ import annotations

import torch

from .beta_vae import BetaVAE
from .settings import Declaration, Number

DECLARATION = Declaration("dip_vae2", {"scale": Number(positive=True, maximum=10)})


class DipVAE2(BetaVAE):
    declaration = DECLARATION

    def penalty(self, mu: torch.Tensor, logvar: torch.Tensor, z: torch.Tensor) -> dict[str, torch.Tensor]:
        terms = super().penalty(mu, logvar, z)
        return {**terms, "penalty": self.settings["scale"] * terms["penalty"]}
'''


def test_a_new_objective_touches_its_module_and_params_and_runs_through_the_dag(tmp_path, venv_bin):
    project = ScratchProject(tmp_path, venv_bin)
    project.env["PYTHONPATH"] = str(tmp_path / "src")  # the scratch copy's package, with the new module, runs
    (tmp_path / "src/influential_factors/models/objectives" / f"{NAME}.py").write_text(MODULE)
    params = project.params
    params["datasets"] = ["mnist"]  # small: one dataset, one beta, one epoch
    mnist = params["vae"]["mnist"]
    mnist.update(betas=[1], epochs=1, objectives={**{name: [] for name in mnist.get("objectives", {})}, NAME: [1]})
    params["objectives"][NAME] = {"scale": 0.5}
    (tmp_path / "params.yaml").write_text(yaml.safe_dump(params, sort_keys=False))

    project.run("snakemake", "--cores", "2", "all")

    metrics = json.loads((tmp_path / f"results/metrics/mnist/{NAME}/beta1_seed0.json").read_text())
    assert metrics["I_total"] > 0
    runs = (tmp_path / "results/tables/mnist/runs.csv").read_text()
    assert NAME in runs
    stages = yaml.safe_load((tmp_path / "dvc.yaml").read_text())["stages"]  # rewritten by Snakemake, not by hand
    assert f"train_mnist_{NAME}" in stages
    assert "results/code/train_vae.sha256" in stages[f"train_mnist_{NAME}"]["deps"]  # its code: a fingerprint
    fingerprint = (tmp_path / "results/code/train_vae.sha256").read_text()
    assert fingerprint != (REPO / "results/code/train_vae.sha256").read_text()  # which covers the new module
    touched = subprocess.run(["git", "status", "--porcelain"], cwd=tmp_path, capture_output=True, text=True,
                             check=True).stdout.split("\n")
    by_hand = {line[3:] for line in touched if line and line[3:] != "dvc.yaml" and not line[3:].startswith(
        ("data/", "results/", ".snakemake", ".dvc/"))}  # outputs, Snakemake's and DVCLive's own files
    assert by_hand == {"params.yaml", f"src/influential_factors/models/objectives/{NAME}.py"}
