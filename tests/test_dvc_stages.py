"""dvc.yaml is generated from params.yaml: the committed file is the generator's output, only the selected
datasets get stages, real-data roots are dependencies, and a stale dvc.yaml stops `dvc repro` before any job."""

import copy
import shutil

import pytest
import yaml

from conftest import REPO
from influential_factors.config import load_params
from influential_factors.dvc_stages import StaleDvcYaml, check_dvc_yaml, dvc_stages, render, write_dvc_yaml
from workflow_project import ScratchProject


def _names(params):
    return set(dvc_stages(params))


def test_committed_dvc_yaml_is_the_generators_output():
    """Fails when dvc.yaml is edited by hand or the generator changes without regenerating it."""
    assert (REPO / "dvc.yaml").read_text() == render(load_params(REPO / "params.yaml", REPO / "workflow/schemas/params.schema.yaml"))


def test_only_the_selected_datasets_get_stages(default_params):
    params = copy.deepcopy(default_params)
    params["datasets"] = ["mnist"]
    names = _names(params)
    assert {name for name in names if name.endswith(("_celeba", "_deap", "_shapes"))} == set()
    assert {"prepare_mnist", "train_mnist", "ablate_mnist", "summary_mnist", "compare_paper", "report"} <= names
    params["datasets"] = ["celeba"]
    assert "compare_paper" not in _names(params)  # it compares MNIST and DEAP only
    assert _names(default_params) >= {f"train_{d}" for d in ("mnist", "celeba", "deap", "shapes")}


def test_every_stage_runs_snakemake_and_resumes_a_killed_run(default_params):
    for name, entry in dvc_stages(default_params).items():
        stage = entry["stage"].get("do", entry["stage"])
        command = stage["cmd"][0] if isinstance(stage["cmd"], list) else stage["cmd"]
        assert command.startswith("snakemake --cores all --rerun-incomplete --allowed-rules "), name


@pytest.mark.parametrize("dataset", ["mnist", "celeba", "deap"])
def test_a_real_data_root_is_a_dependency_of_its_preparation(default_params, dataset, tmp_path):
    root = tmp_path / "my data" / dataset
    params = copy.deepcopy(default_params)
    stage = dvc_stages(params)[f"prepare_{dataset}"]["stage"]
    assert not any("my data" in dep for dep in stage["deps"])
    params["data"][dataset]["root"] = str(root)
    stage = dvc_stages(params)[f"prepare_{dataset}"]["stage"]
    assert stage["deps"][0] == str(root)
    assert yaml.safe_load(render(params))["stages"][f"prepare_{dataset}"]["deps"][0] == str(root)  # quoted as needed


def test_a_stale_dvc_yaml_is_rewritten_and_stops_dvc(default_params, tmp_path, monkeypatch):
    path = tmp_path / "dvc.yaml"
    assert write_dvc_yaml(default_params, path) and not write_dvc_yaml(default_params, path)
    params = copy.deepcopy(default_params)
    params["datasets"] = ["mnist"]
    monkeypatch.delenv("DVC_STAGE", raising=False)
    check_dvc_yaml(params, path)  # plain Snakemake: rewritten, the run goes on
    assert path.read_text() == render(params)
    monkeypatch.setenv("DVC_STAGE", "prepare_celeba")
    check_dvc_yaml(params, path)  # up to date: nothing to say
    with pytest.raises(StaleDvcYaml, match="run `dvc repro` again"):
        check_dvc_yaml(default_params, path)
    assert path.read_text() == render(default_params)


@pytest.mark.slow
def test_dvc_repro_builds_only_the_selected_datasets(tmp_path, venv_bin):
    """params.yaml selects MNIST alone and names a bad CelebA root: the first `dvc repro` stops before any
    job, dvc.yaml then holds MNIST's stages only (the unused bad root is never read)."""
    project = ScratchProject(tmp_path, venv_bin)
    project.run("dvc", "init", "-q", "--force")
    params = project.params
    params["datasets"] = ["mnist"]
    params["data"]["celeba"]["root"] = str(tmp_path / "no such folder")
    (tmp_path / "params.yaml").write_text(yaml.safe_dump(params, sort_keys=False))
    failed = project.run("dvc", "repro", check=False)
    assert "has now been rewritten: run `dvc repro` again" in failed
    assert not (tmp_path / "data" / "processed").exists() and not (tmp_path / "results").exists()
    listed = project.run("dvc", "stage", "list", "--name-only")
    stages = {line.split("@")[0] for line in listed.split()}
    assert stages == {"prepare_mnist", "train_mnist", "encode_mnist", "mi_mnist", "estimators_mnist", "ablate_mnist",
                      "figures_mnist", "summary_mnist", "benchmark_estimators", "compare_paper", "report"}


@pytest.mark.slow
def test_new_raw_files_rerun_their_preparation_in_dvc(tmp_path, venv_bin):
    """Replacing a file under data.mnist.root makes `dvc status` list prepare_mnist: the root is a dependency."""
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
    project.run("python", "-m", "influential_factors.dvc_stages")
    project.run("dvc", "repro", "prepare_mnist")
    assert "prepare_mnist" not in project.run("dvc", "status", "prepare_mnist")
    images = np.random.default_rng(1).integers(0, 256, (20, 28, 28), dtype=np.uint8)
    _write_idx(root / "MNIST" / "raw" / "t10k-images-idx3-ubyte", images, 0x08)
    status = project.run("dvc", "status", "prepare_mnist")
    assert "prepare_mnist" in status and "modified" in status and str(root) in status


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
