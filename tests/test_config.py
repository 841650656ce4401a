"""params.yaml validation: the shipped files pass; each bad value gives a line naming its key."""

import copy

import pytest
import yaml

from influential_factors.pipeline.config import ParamsError, load_params, validate_params, value_sources

from conftest import REPO, SCHEMA


def test_shipped_params_files_are_valid():
    for path in (REPO / "params.yaml", REPO / "tests" / "smoke_params.yaml"):
        assert "mnist" in load_params(path, SCHEMA)["datasets"]


def _set(params, dotted, value):
    *parents, leaf = dotted.split(".")
    node = params
    for key in parents:
        node = node[key]
    if value is KeyError:
        del node[leaf]
    else:
        node[leaf] = value


BAD_VALUES = [
    ("vae.mnist.betas", [1, -10], "vae.mnist.betas[1]: -10 is less than the minimum of 0"),
    ("datasets", ["mnist", "cifar"], "datasets[1]: 'cifar' is not one of ['mnist', 'celeba', 'deap', 'shapes', 'dsprites']"),
    ("analysis.topk_percent", [100, 120], "analysis.topk_percent[1]: 120 is greater than the maximum of 100"),
    ("analysis.topk_percent", [-1], "analysis.topk_percent[0]: -1 is less than the minimum of 0"),
    ("vae.mnist.sigma2_x", 0, "vae.mnist.sigma2_x: 0 is less than or equal to the minimum of 0"),
    ("vae.mnist.epochs", 2.5, "vae.mnist.epochs: 2.5 is not of type 'integer'"),
    ("data.mnist.split", [0.5, 0.2, 0.2], "data.mnist.split: [0.5, 0.2, 0.2] must sum to 1"),
    ("data.mnist.colour", True, "data.mnist: Additional properties are not allowed ('colour' was unexpected)"),
    ("seed", KeyError, "(top level): 'seed' is a required property"),
    ("vae.mnist.channels", [], "vae.mnist.channels: [] should be non-empty"),
    ("data.deap.baseline", "remove", "data.deap.baseline: 'remove' is not one of ['keep', 'drop', 'subtract']"),
    ("data.deap.bands", {"alpha": [13, 8]}, "data.deap.bands.alpha: [13, 8] must be [low, high] with low < high"),
    ("data.deap.subjects", [0], "data.deap.subjects[0]: 0 is less than the minimum of 1"),
    ("training.checkpoint_every", 0, "training.checkpoint_every: 0 is less than the minimum of 1"),
    ("training.every", 5, "training: Additional properties are not allowed ('every' was unexpected)"),
    ("training.precision", "fp16", "training.precision: 'fp16' is not one of ['float32', 'bf16']"),
    ("classifier.seeds", "0 1 2", "classifier.seeds: '0 1 2' is not of type 'array'"),
    ("data.mnist.root", "/nonexistent/mnist",
     "data.mnist.root: '/nonexistent/mnist' does not exist (real data selected; null uses the embedded data)"),
    ("data.celeba.root", "/nonexistent/celeba", "data.celeba.root: '/nonexistent/celeba' does not exist"),
    ("data.deap.root", "/nonexistent/deap", "data.deap.root: '/nonexistent/deap' does not exist"),
    ("data.deap.root", 32, "data.deap.root: 32 is not of type 'string', 'null'"),
]


@pytest.mark.parametrize("key, value, message", BAD_VALUES, ids=[case[0] for case in BAD_VALUES])
def test_bad_value_names_the_key_and_the_rule(default_params, key, value, message):
    params = copy.deepcopy(default_params)
    _set(params, key, value)
    with pytest.raises(ParamsError) as error:
        validate_params(params, SCHEMA)
    assert message in str(error.value).splitlines()[1]


def test_data_roots_are_checked_only_when_used(default_params, tmp_path):
    params = copy.deepcopy(default_params)
    (tmp_path / "a_file").write_text("")
    params["data"]["celeba"]["root"] = str(tmp_path / "a_file")
    params["data"]["mnist"]["root"] = str(tmp_path)
    with pytest.raises(ParamsError, match=r"data.celeba.root: '.*a_file' is a file, not a folder"):
        validate_params(params, SCHEMA)
    params["datasets"] = ["mnist", "deap"]  # faces not built: their root is not looked at
    params["data"]["mnist"]["root"] = str(tmp_path / "mnist")  # absent, but torchvision may download into it
    params["data"]["mnist"]["download"] = True
    assert validate_params(params, SCHEMA) is params


def test_every_violation_is_listed(default_params):
    params = copy.deepcopy(default_params)
    params["seed"] = -1
    params["vae"]["mnist"]["lr"] = "fast"
    with pytest.raises(ParamsError) as error:
        validate_params(params, SCHEMA)
    assert len(str(error.value).splitlines()) == 3


def test_unreadable_file_names_the_file(tmp_path):
    path = tmp_path / "params.yaml"
    path.write_text("seed: [unclosed\n")
    with pytest.raises(ParamsError, match=str(path)):
        load_params(path, SCHEMA)
    assert yaml.safe_load((REPO / "params.yaml").read_text())  # the real file is untouched


def test_value_sources_follow_snakemakes_merge():
    sources = [("params.yaml", {"seed": 0, "vae": {"mnist": {"betas": [1, 10], "lr": 0.001}}}),
               ("other.yaml", {"vae": {"mnist": {"betas": [1, -10]}}}), ("--config", {"seed": -1})]
    assert value_sources(("vae", "mnist", "betas", 1), sources) == ["other.yaml"]
    assert value_sources(("vae", "mnist", "lr"), sources) == ["params.yaml"]
    assert value_sources(("vae", "mnist"), sources) == ["params.yaml", "other.yaml"]  # merged key by key
    assert value_sources(("seed",), sources) == ["--config"]
    assert value_sources(("data",), sources) == []


def test_snakemake_errors_name_where_the_bad_value_came_from(tmp_path, venv_bin):
    """params.yaml, a --configfile and --config each set a bad value: each line names its value's source."""
    from workflow_project import ScratchProject

    project = ScratchProject(tmp_path, venv_bin)
    project.set_param("data", "mnist", dict(project.params["data"]["mnist"], split=[0.5, 0.2, 0.2]))
    other = tmp_path / "other.yaml"
    other.write_text("analysis:\n  topk_percent: [100, 150]\n")
    output = project.run("snakemake", "-n", "--configfile", str(other), "--config", "seed=-1", check=False)
    assert f"the parameters merged from params.yaml, {other}, --config are invalid:" in output
    assert "  data.mnist.split: [0.5, 0.2, 0.2] must sum to 1 (from params.yaml)" in output
    assert f"  analysis.topk_percent[1]: 150 is greater than the maximum of 100 (from {other})" in output
    assert "  seed: -1 is less than the minimum of 0 (from --config)" in output
    assert "Building DAG" not in output
