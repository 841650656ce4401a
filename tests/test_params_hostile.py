"""Hostile params.yaml (issue #14): every problem is one short line naming its key (or file and line),
reported by validate-params and by Snakemake before any job, with nothing written."""

import copy
import math

import pytest

from influential_factors import cli
from influential_factors.pipeline.config import ParamsError, load_params, validate_params
from influential_factors.pipeline.relations import IMAGE_SIDES, LINE_WIDTH

from conftest import REPO, SCHEMA


def _set(params, dotted, value):
    *parents, leaf = dotted.split(".")
    node = params
    for key in parents:
        node = node[key]
    node[leaf] = value


def _problems(params, **kwargs) -> list[str]:
    """The lines of the ParamsError that validate_params must raise, without the heading."""
    with pytest.raises(ParamsError) as error:
        validate_params(params, SCHEMA, **kwargs)
    lines = str(error.value).splitlines()
    assert all(len(line) <= LINE_WIDTH + 2 for line in lines), lines
    return [line.strip() for line in lines[1:]]


def _with(default_params, **changes):
    params = copy.deepcopy(default_params)
    for key, value in changes.items():
        _set(params, key.replace("__", "."), value)
    return params


SHELL_NAMES = [
    ("data.deap.montage", "biosemi32; touch pwned #"),
    ("data.deap.montage", "-rf"),
    ("data.deap.montage", "$(touch pwned)"),
    ("data.deap.channels", ["Fp1", "AF3", "F3 && touch pwned"]),
    ("data.deap.bands", {"alpha": [8, 13], "beta;touch pwned": [13, 30], "gamma": [30, 45]}),
]


@pytest.mark.parametrize("key, value", SHELL_NAMES, ids=[f"{key}-{i}" for i, (key, _) in enumerate(SHELL_NAMES)])
def test_names_that_reach_shell_commands_are_restricted(default_params, key, value):
    params = _with(default_params, **{key.replace(".", "__"): value})
    problems = _problems(params)
    assert any(line.startswith(key) and "does not match" in line for line in problems), problems


def test_control_characters_are_refused_in_every_string(default_params):
    params = _with(default_params, data__deap__montage="biosemi32\n", data__celeba__split_mode="random\n")
    problems = _problems(params)
    assert "data.deap.montage: 'biosemi32\\n' contains a control character (e.g. a newline)" in problems
    assert any(line.startswith("data.celeba.split_mode: 'random\\n' contains a control") for line in problems)
    assert len(problems) == 2  # one line per key, not one more from the schema


NON_FINITE = [
    ("data.deap.class_threshold", math.nan, "data.deap.class_threshold"),
    ("analysis.influential_threshold", math.nan, "analysis.influential_threshold"),
    ("data.mnist.split", [math.nan, 0.5, 0.5], "data.mnist.split[0]"),
    ("analysis.topk_percent", [100, math.nan], "analysis.topk_percent[1]"),
    ("vae.mnist.betas", [1, math.inf], "vae.mnist.betas[1]"),
    ("vae.celeba.lr", math.inf, "vae.celeba.lr"),
    ("vae.deap.sigma2_x", math.nan, "vae.deap.sigma2_x"),
    ("classifier.lr", -math.inf, "classifier.lr"),
    ("analysis.traversals.threshold", math.nan, "analysis.traversals.threshold"),
    ("analysis.emotion_factors.pattern_threshold", math.nan, "analysis.emotion_factors.pattern_threshold"),
    ("data.deap.bands", {"alpha": [8, math.nan], "beta": [13, 30], "gamma": [30, 45]}, "data.deap.bands.alpha[1]"),
]


@pytest.mark.parametrize("key, value, path", NON_FINITE, ids=[case[2] for case in NON_FINITE])
def test_non_finite_numbers_are_refused_with_their_key(default_params, key, value, path):
    problems = _problems(_with(default_params, **{key.replace(".", "__"): value}))
    lines = [line for line in problems if line.startswith(path + ":")]
    assert len(lines) == 1 and "is not a finite number" in lines[0], problems


def test_every_non_finite_number_is_listed_at_once(default_params):
    params = _with(default_params, seed=math.nan, vae__mnist__lr=math.inf, vae__shapes__betas=[math.nan],
                   classifier__lr=math.nan)
    problems = _problems(params)
    assert [line.split(":")[0] for line in problems] == ["seed", "vae.mnist.lr", "vae.shapes.betas[0]",
                                                         "classifier.lr"]


TOO_LARGE = [
    ("vae.mnist.latents", 10 ** 8), ("data.deap.grid_size", 100_000), ("data.deap.subjects", [1, 33]),
    ("vae.mnist.epochs", 10 ** 9), ("vae.mnist.batch_size", 10 ** 9), ("vae.celeba.hidden", 10 ** 9),
    ("vae.shapes.channels", [32, 10 ** 6]), ("classifier.seeds", [0, 2 ** 40]), ("seed", 2 ** 64),
    ("data.shapes.count", 10 ** 10), ("data.mnist.limit", 10 ** 12), ("data.deap.simulated_trials", 10 ** 7),
    ("analysis.traversals.seed_images", 10 ** 6), ("analysis.estimators.benchmark_samples", 10 ** 12),
    ("training.checkpoint_every", 10 ** 9), ("classifier.epochs", 10 ** 9), ("vae.deap.betas", [6, 1e300]),
]


@pytest.mark.parametrize("key, value", TOO_LARGE, ids=[case[0] for case in TOO_LARGE])
def test_absurd_sizes_are_refused_before_any_job(default_params, key, value):
    problems = _problems(_with(default_params, **{key.replace(".", "__"): value}))
    assert any(line.startswith(key) and "greater than the maximum" in line for line in problems), problems


RELATIONS = [
    ("analysis.topk_percent", [20, 10, 0], "analysis.topk_percent: [20, 10, 0] must contain 100"),
    ("analysis.topk_percent_emotion", [50, 0], "analysis.topk_percent_emotion: [50, 0] must contain 100"),
    ("vae.mnist.channels", [32, 32, 32], "vae.mnist.channels: 3 conv layers each halve the 28x28 images"),
    ("data.deap.grid_size", 36, "vae.deap.channels: 4 conv layers each halve the 36x36 images"),
    ("data.celeba.split_mode", "official", "data.celeba.split_mode: 'official' needs real CelebA"),
    ("data.shapes", {"count": 10, "split": [0.9, 0.05, 0.05]},
     "data.shapes.split: [0.9, 0.05, 0.05] leaves a part of 10 samples empty (val)"),
    ("data.deap.bands", {"alpha": [8.2, 8.7], "beta": [13, 30], "gamma": [30, 45]},
     "data.deap.bands.alpha: [8.2, 8.7] holds no FFT bin"),
    ("data.deap.bands", {"alpha": [8, 13], "beta": [13, 30]}, "data.deap.bands: 2 bands; the figures draw 1"),
    ("data.deap.channels", ["Fp1", "AF3", "Cz9"], "data.deap.channels: ['Cz9'] are not among DEAP's 32"),
]


@pytest.mark.parametrize("key, value, message", RELATIONS, ids=[f"{case[0]}-{i}" for i, case in enumerate(RELATIONS)])
def test_late_failures_are_caught_before_the_first_job(default_params, key, value, message):
    problems = _problems(_with(default_params, **{key.replace(".", "__"): value}))
    assert any(line.startswith(message) for line in problems), problems


def test_simulated_deap_split_must_leave_every_part_some_trials(default_params):
    params = _with(default_params, data__deap__subjects=[1], data__deap__simulated_trials=4)
    assert any(line.startswith("data.deap.split: [0.8, 0.1, 0.1] leaves a part of 4 samples empty")
               for line in _problems(params))


def test_image_sides_match_the_data_modules():
    from influential_factors.data import datasets, dsprites, faces, shapes

    assert IMAGE_SIDES == {"mnist": datasets.MNIST_SHAPE[1], "celeba": faces.FACE_SIZE, "shapes": shapes.SIZE,
                           "dsprites": dsprites.SIDE}


def test_huge_values_give_short_lines(default_params):
    params = _with(default_params, data__deap__montage="x" * 100_000, data__deap__channels=["Fp1"] * 10_000,
                   vae__mnist__betas=list(range(10_000)), data__mnist__colour="y" * 100_000)
    problems = _problems(params)  # asserts every line is short
    assert len(problems) >= 4


# --- duplicate keys and files that are not a mapping ----------------------------------------------------------

def _write(tmp_path, text, name="params.yaml"):
    path = tmp_path / name
    path.write_text(text)
    return path


def test_duplicate_keys_name_the_file_line_and_key(tmp_path):
    text = (REPO / "params.yaml").read_text()
    text = text.replace("    latents: 128\n", "    latents: 128\n    latents: 64\n", 1) + "seed: 1\n"
    path = _write(tmp_path, text)
    with pytest.raises(ParamsError) as error:
        load_params(path, SCHEMA)
    lines = str(error.value).splitlines()[1:]
    latents = text.splitlines().index("    latents: 64") + 1
    assert lines[0].strip().startswith(f"{path}:{latents}: duplicate key 'latents' (first on line {latents - 1}")
    assert lines[1].strip().startswith(f"{path}:{len(text.splitlines())}: duplicate key 'seed' (first on line 3")
    assert sum("duplicate key" in line for line in lines) == 2  # (Snakemake's last value, 64, is also checked)


def test_duplicate_keys_in_json_config_are_refused(tmp_path, default_params):
    import json

    text = json.dumps(default_params)
    path = _write(tmp_path, text[:-1] + ', "seed": 3}', "params.json")
    with pytest.raises(ParamsError, match=r"params.json: duplicate key 'seed'"):
        load_params(path, SCHEMA)


def test_duplicate_keys_in_snakemake_config_files_are_refused(tmp_path, default_params):
    path = _write(tmp_path, "seed: 0\nseed: 1\n")
    problems = _problems(copy.deepcopy(default_params), files=[path])
    assert problems == [f"{path}:2: duplicate key 'seed' (first on line 1; Snakemake would keep the last, "
                        "DVC refuses the file)"]


@pytest.mark.parametrize("text, got", [("", "an empty file"), ("# nothing\n", "an empty file"), ("42\n", "an int (42)"),
                                       ("[1, 2]\n", "a list ([1, 2])"), ("just words\n", "a str ('just words')")])
def test_a_file_that_is_not_a_mapping_is_one_line(tmp_path, capsys, text, got):
    path = _write(tmp_path, text)
    message = f"{path}: expected a mapping of parameters, got {got}"
    with pytest.raises(ParamsError) as error:
        load_params(path, SCHEMA)
    assert str(error.value) == message
    assert cli.main(["validate-params", str(path), "--schema", str(SCHEMA)]) == 1
    assert capsys.readouterr().err == f"influential-factors validate-params: error: {message}\n"
    with pytest.raises(ParamsError, match="^params.yaml: expected a mapping of parameters, got an empty file$"):
        validate_params(None, SCHEMA)


# --- real-data roots overlapping the workflow's output folders ------------------------------------------------

OVERLAPS = [("data/processed/deap", "lies inside the workflow's output folder data/processed"),
            ("data/processed", "is the workflow's output folder data/processed"),
            ("data", "contains the workflow's output folder data/processed"),
            (".", "contains the workflow's output folder data/processed"),
            ("results/raw", "lies inside the workflow's output folder results"),
            ("data/raw/deap_simulated", "is the workflow's output folder data/raw/deap_simulated"),
            ("./data/raw/../processed/", "is the workflow's output folder data/processed"),
            (".dvc/cache", "lies inside the workflow's output folder .dvc")]


@pytest.mark.parametrize("root, message", OVERLAPS, ids=[case[0] for case in OVERLAPS])
@pytest.mark.parametrize("dataset", ["deap", "mnist"])
def test_roots_overlapping_output_folders_are_refused(default_params, tmp_path, monkeypatch, root, message, dataset):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "data" / "processed" / "deap").mkdir(parents=True)
    (tmp_path / "data" / "processed" / "deap" / "s01.dat").write_bytes(b"the user's raw data")
    params = _with(default_params, **{f"data__{dataset}__root": root})
    assert _problems(params) == [f"data.{dataset}.root: '{root}' {message} (its files could be overwritten or "
                                 "deleted); keep real data elsewhere"]


def test_absolute_and_symlinked_roots_are_compared_resolved(default_params, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "results").mkdir()
    (tmp_path / "link").symlink_to(tmp_path / "results")
    params = _with(default_params, data__celeba__root=str(tmp_path / "results"), data__deap__root="link")
    assert [line.split(":")[0] for line in _problems(params)] == ["data.celeba.root", "data.deap.root"]
    (tmp_path / "raw" / "deap").mkdir(parents=True)  # a root beside the outputs is fine
    params = _with(default_params, data__celeba__root=None, data__deap__root="raw/deap")
    assert validate_params(params, SCHEMA) is params


def test_problems_of_unselected_branches_are_reported_too(default_params):
    params = _with(default_params, datasets=["mnist"], vae__deap__latents=10 ** 8, data__deap__montage="a b")
    assert [line.split(":")[0] for line in _problems(params)] == ["data.deap.montage", "vae.deap.latents"]


# --- through Snakemake: one clear error before any job, nothing written ---------------------------------------

def test_snakemake_refuses_hostile_params_before_any_job(tmp_path, venv_bin):
    from workflow_project import ScratchProject

    project = ScratchProject(tmp_path, venv_bin)
    smoke = (project.root / "params.yaml").read_text()
    cases = [("", "params.yaml: expected a mapping of parameters, got an empty file"),
             ("42\n", "params.yaml: expected a mapping of parameters, got an int (42)"),
             (smoke + "seed: 1\n", f"params.yaml:{len(smoke.splitlines()) + 1}: duplicate key 'seed'"),
             (smoke.replace("montage: biosemi32", "montage: 'biosemi32; touch pwned #'"),
              "data.deap.montage: 'biosemi32; touch pwned #' does not match"),
             (smoke.replace("class_threshold: 5", "class_threshold: .nan"),
              "data.deap.class_threshold: nan is not a finite number")]
    for text, message in cases:
        (project.root / "params.yaml").write_text(text)
        output = project.run("snakemake", "--cores", "1", "all", check=False)
        assert any(line.strip().startswith(message) for line in output.splitlines()), output
        assert "Building DAG" not in output and "rule " not in output
    assert not (project.root / "data").exists()  # results/ holds only the code fingerprints, written with the workflow
    assert [path.name for path in (project.root / "results").iterdir()] == ["code"]
    assert not (project.root / "pwned").exists()
