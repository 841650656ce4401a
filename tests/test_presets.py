"""Presets switch parts of params.yaml off: an empty grid (`vae.<dataset>.objectives.<name>: []`) trains no run
of that objective, `datasets` (a list, which a --configfile replaces) picks the datasets; the paper presets run
the paper's beta-VAE runs alone."""

import copy
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from conftest import REPO, SCHEMA
from influential_factors.pipeline.config import ParamsError, validate_params

PRESETS = sorted((REPO / "workflow" / "presets").glob("paper-*.yaml"))
TRAINING = re.compile(r"rule train_vae:.*?wildcards: dataset=(\w+), objective=(\w+), beta=([\d.]+)", re.S)


def _trainings(preset: Path, tmp_path: Path) -> set[tuple[str, str, float]]:
    """(dataset, objective, beta) of every train_vae job of `snakemake -n` under the preset, its data roots set
    to null (the embedded data: real data need not be here for the dry run)."""
    roots = {"data": {dataset: {"root": None} for dataset in ("mnist", "celeba", "deap")}}
    override = tmp_path / "roots.yaml"
    override.write_text(yaml.safe_dump(roots))
    result = subprocess.run([str(Path(sys.executable).parent / "snakemake"), "-n", "--configfile", str(preset),
                             str(override)], cwd=REPO, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
    # Jobs are separated by blank lines: each train_vae block's wildcards come before the next "rule"
    return {(dataset, objective, float(beta)) for block in result.stdout.split("\n\n")
            for dataset, objective, beta in TRAINING.findall(block)}


@pytest.mark.parametrize("preset", PRESETS, ids=lambda path: path.stem)
def test_a_paper_preset_trains_the_runs_it_names_alone(preset, tmp_path):
    """The beta-VAE's grid and each objective's grid the preset names, no objective params.yaml adds: Liu et al.'s
    presets switch every other objective off (its runs are beta-VAEs), ISA-VAE's names the four it compares."""
    overrides = yaml.safe_load(preset.read_text())
    expected = {(dataset, objective, float(beta)) for dataset in overrides["datasets"]
                for objective, grid in {"beta_vae": overrides["vae"][dataset]["betas"],
                                        **overrides["vae"][dataset].get("objectives", {})}.items() for beta in grid}
    assert _trainings(preset, tmp_path) == expected
    if preset.stem != "paper-dsprites":
        assert {objective for _, objective, _ in expected} == {"beta_vae"}


def test_an_empty_grid_is_valid_and_switches_its_objective_off(default_params):
    params = copy.deepcopy(default_params)
    params["vae"]["mnist"]["objectives"]["isa_vae"] = []
    params["objectives"]["isa_vae"]["subspace_size"] = 3  # divides no dataset's latents: no run reads it now
    params["vae"]["shapes"]["objectives"]["isa_vae"] = []
    params["vae"]["dsprites"]["objectives"]["isa_vae"] = []
    params["vae"]["mnist"]["objectives"]["mmvae"] = []
    assert validate_params(params, SCHEMA) is params
    params["vae"]["mnist"]["objectives"]["isa_vae"] = [1]
    with pytest.raises(ParamsError, match=r"vae\.mnist\.objectives\.isa_vae: objectives\.isa_vae\.subspace_size: "):
        validate_params(params, SCHEMA)


def test_an_empty_grid_has_no_dvc_stages(default_params):
    from influential_factors.pipeline.dvc_stages import dvc_stages, loaded_workflow

    params = copy.deepcopy(default_params)
    params["vae"]["mnist"]["objectives"]["isa_vae"] = []
    params["vae"]["mnist"]["objectives"]["mmvae"] = []
    with loaded_workflow(REPO / "Snakefile") as workflow:
        stages = set(dvc_stages(workflow, params))
    assert "train_mnist_anchor_vae" in stages and "train_mnist_r_cvae" in stages
    assert not {name for name in stages if name.endswith(("_mnist_isa_vae", "_mnist_mmvae"))}
    assert "train_dsprites_isa_vae" in stages  # the other datasets keep theirs
