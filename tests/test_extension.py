"""Adding a dataset, for real: a tiny image dataset defined here reaches every phase of the workflow and
dvc.yaml by touching its own module, one registry entry, params.yaml and the schema, and nothing else."""

import subprocess

import pandas as pd
import pytest
import yaml

from influential_factors.models.objectives.settings import supervised
from workflow_project import ScratchProject

pytestmark = pytest.mark.slow

TINY_MODULE = '''"""Tiny squares: one bright square per 16x16 image, at a seeded position (the label)."""

import numpy as np


def images(settings: dict, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """`settings["count"]` images (uint8, N x 1 x 16 x 16) and their squares' (row, column)."""
    rng = np.random.default_rng(seed)
    corners = rng.integers(0, 12, size=(settings["count"], 2))
    pictures = np.zeros((settings["count"], 1, 16, 16), dtype=np.uint8)
    for picture, (row, column) in zip(pictures, corners):
        picture[0, row:row + 4, column:column + 4] = 255
    return pictures, corners
'''
REGISTRY_ENTRY = '\nDATASETS["tiny"] = Dataset("image", 16, module="tinyset")\n'


def test_a_new_dataset_touches_four_files_and_runs_every_phase(tmp_path, venv_bin):
    project = ScratchProject(tmp_path, venv_bin)
    project.env["PYTHONPATH"] = str(tmp_path / "src")  # the scratch copy's package, with the new module, runs
    package = tmp_path / "src" / "influential_factors" / "data"
    (package / "tinyset.py").write_text(TINY_MODULE)
    with open(package / "registry.py", "a") as registry:
        registry.write(REGISTRY_ENTRY)
    params = project.params
    params["datasets"] = ["tiny"]
    params["data"]["tiny"] = {"count": 300, "split": [0.6, 0.2, 0.2]}
    params["vae"]["tiny"] = dict(params["vae"]["shapes"], betas=[1], channels=[8, 8], latents=8, epochs=2)
    params["vae"]["tiny"]["objectives"] = {name: grid for name, grid in params["vae"]["tiny"].get("objectives", {}).items()
                                          if name not in supervised()}  # its images carry no attribute
    (tmp_path / "params.yaml").write_text(yaml.safe_dump(params, sort_keys=False))
    schema_path = tmp_path / "workflow" / "schemas" / "params.schema.yaml"
    schema = yaml.safe_load(schema_path.read_text())
    schema["properties"]["datasets"]["items"]["enum"].append("tiny")
    schema["properties"]["data"]["properties"]["tiny"] = {
        "type": "object", "additionalProperties": False, "required": ["count", "split"],
        "properties": {"count": {"type": "integer", "minimum": 10}, "split": {"$ref": "#/$defs/split"}}}
    schema["properties"]["vae"]["properties"]["tiny"] = {"$ref": "#/$defs/vae"}
    schema_path.write_text(yaml.safe_dump(schema, sort_keys=False))

    project.run("snakemake", "--cores", "2", "all")

    table = pd.read_csv(tmp_path / "results/tables/tiny/beta_vae/table1_beta1_seed0.csv")
    assert table["top_percent"].iloc[0] == 100 and table["mse"].iloc[-1] >= table["mse"].iloc[0]
    assert (tmp_path / "results/figures/tiny/beta_vae/traversals_beta1_seed0.png").stat().st_size > 1000
    assert (tmp_path / "results/logs/prepare_dataset/tiny.log").read_text().startswith("data/processed/tiny.npz:")
    stages = yaml.safe_load((tmp_path / "dvc.yaml").read_text())["stages"]  # rewritten by Snakemake, not by hand
    assert {"prepare_tiny", "train_tiny", "ablate_tiny", "summary_tiny"} <= set(stages)
    assert "results/code/prepare_dataset_tiny.sha256" in stages["prepare_tiny"]["deps"]  # covers its module
    touched = subprocess.run(["git", "status", "--porcelain"], cwd=tmp_path, capture_output=True, text=True,
                             check=True).stdout.split("\n")
    by_hand = {line[3:] for line in touched if line and line[3:] != "dvc.yaml" and not line[3:].startswith(
        ("data/", "results/", ".snakemake", ".dvc/"))}  # outputs, Snakemake's and DVCLive's own files
    assert by_hand == {"params.yaml", "src/influential_factors/data/registry.py", "src/influential_factors/data/tinyset.py",
                       "workflow/schemas/params.schema.yaml"}
