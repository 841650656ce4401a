"""Bad input, every branch, through the command line: each case must exit 1 with one error line that
names the bad file and the problem, and leave the working folder exactly as it was (nothing written,
not even a temporary, nothing removed).

The cases, by what is fed to which subcommand (pytest lists them one by one; `pytest --co -q` counts them):
MNIST IDX files (prepare-mnist), processed .npz (train-vae), faces (prepare-faces), DEAP subject files
(prepare-deap), DEAP videos and metadata (train-vae), posteriors (estimate-mi), model checkpoints
(encode, and train-vae's resume checkpoint), information tables (plot-information).
"""

import re
import shutil
from types import SimpleNamespace

import numpy as np
import pytest
from PIL import Image

from cli_settings import main, with_settings  # the CLI with fixed settings where a case gives none
from influential_factors.data.datasets import prepare_mnist
from influential_factors.data.deap import TRIAL_SAMPLES, subject_path
from influential_factors.data.deap_simulator import simulate_deap
from influential_factors.data.deap_videos import META, VIDEOS, prepare_deap
from influential_factors.data.deap import BANDS
from influential_factors.models.encoding import encode_split
from influential_factors.models.training import checkpoint_path, train_vae

from test_datasets import _write_idx, fake_mnist_root
from test_deap import _content, _pickled
from test_faces import write_celeba


@pytest.fixture(scope="module")
def good(tmp_path_factory):
    """One valid input of every kind, which the cases copy and break."""
    root = tmp_path_factory.mktemp("good")
    fake_mnist_root(root / "mnist")
    prepare_mnist(root / "mnist.npz", None, (0.6, 0.2, 0.2), seed=0, limit=60)
    train_vae(root / "mnist.npz", root / "model.pt", root / "live", objective="beta_vae", objective_settings={}, beta=1.0, sigma2_x=0.05, channels=[4, 4],
              hidden=8, latents=3, epochs=1, batch_size=20, lr=1e-3, seed=0)
    encode_split(root / "model.pt", root / "mnist.npz", root / "latents.npz")
    assert main(["estimate-mi", "--posteriors", str(root / "latents.npz"), "--output-stem", str(root / "mi")]) == 0
    write_celeba(root / "celeba", kaggle=False)
    simulate_deap(root / "deap_raw", subjects=1, trials=10, seed=0)
    prepare_deap(root / "deap_raw", [1], root / "deap", montage="biosemi32", channels=None, bands=BANDS,
                 baseline="keep", split=(0.8, 0.1, 0.1), seed=0, grid_size=32, class_threshold=5.0)
    return SimpleNamespace(root=root, mnist_raw=root / "mnist" / "MNIST" / "raw", npz=root / "mnist.npz",
                           model=root / "model.pt", latents=root / "latents.npz", information=root / "mi.csv",
                           celeba=root / "celeba", deap_raw=root / "deap_raw", deap=root / "deap")


def _rewrite_npz(source, target, **changes):
    """`source`'s arrays with `changes` (None removes an array), saved to `target`."""
    with np.load(source) as data:
        arrays = {name: data[name] for name in data.files} | changes
    np.savez(target, **{name: array for name, array in arrays.items() if array is not None})
    return target


def _truncated(source, target):
    content = source.read_bytes()
    target.write_bytes(content[: len(content) // 2])
    return target


# --- MNIST IDX files: prepare-mnist --root ---------------------------------------------------------------

def _mnist(good, tmp, file, content):
    shutil.copytree(good.root / "mnist", tmp / "mnist")
    path = tmp / "mnist" / "MNIST" / "raw" / file
    if content is None:
        path.unlink()
    elif isinstance(content, bytes):
        path.write_bytes(content)
    else:
        _write_idx(path, *content)
    return ["prepare-mnist", "--root", str(tmp / "mnist"), "--output", str(tmp / "mnist.npz")], path


MNIST_CASES = {
    "mnist idx: labels file missing": ("t10k-labels-idx1-ubyte", None, "MNIST IDX file missing"),
    "mnist idx: truncated images": ("train-images-idx3-ubyte", "half", r"expected 23536 .* \(truncated\?\)"),
    "mnist idx: empty file": ("train-labels-idx1-ubyte", b"", r"not an IDX file .* \(header empty\)"),
    "mnist idx: float pixels": ("train-images-idx3-ubyte", (np.zeros((30, 28, 28), ">f4"), 0x0D), "not an IDX file"),
    "mnist idx: 20x20 images": ("t10k-images-idx3-ubyte", (np.zeros((10, 20, 20), np.uint8), 0x08),
                                r"images \(10, 20, 20\) are not 28x28 digits"),
    "mnist idx: fewer labels": ("train-labels-idx1-ubyte", (np.zeros(25, np.uint8), 0x08),
                                "25 labels for the 30 images of train-images"),
    "mnist idx: label 12": ("train-labels-idx1-ubyte", (np.full(30, 12, np.uint8), 0x08), r"label 12 outside 0\.\.9"),
}
MNIST_ROOT_CASES = {
    "mnist: root missing": (lambda tmp: ["--root", str(tmp / "nowhere")], "nowhere", "data.mnist.root does not exist"),
    "mnist: empty split": (lambda tmp: ["--split", "1", "0", "0", "--limit", "20"], "mnist.npz", "val split is empty"),
}


def _mnist_root_case(options, bad_name, problem):
    def build(good, tmp):
        return (["prepare-mnist", "--output", str(tmp / "mnist.npz"), *options(tmp)], tmp / bad_name, problem)
    return build


def _mnist_case(file, content, problem):
    def build(good, tmp):
        data = _truncated(good.mnist_raw / file, tmp / "half").read_bytes() if content == "half" else content
        return (*_mnist(good, tmp, file, data), problem)
    return build


# --- processed image data: train-vae --data ---------------------------------------------------------------

def _train(data, tmp):
    return ["train-vae", "--data", str(data), "--model", str(tmp / "out" / "model.pt"), "--live-dir",
            str(tmp / "out" / "live"), "--beta", "1", "--sigma2-x", "0.05", "--channels", "4", "4", "--hidden", "8",
            "--latents", "3", "--epochs", "1"]


def _npz_case(problem, **changes):
    def build(good, tmp):
        data = _rewrite_npz(good.npz, tmp / "mnist.npz", **changes)
        return _train(data, tmp), data, problem
    return build


def _npz_bytes_case(make, problem):
    def build(good, tmp):
        data = make(good, tmp / "mnist.npz")
        return _train(data, tmp), data, problem
    return build


NPZ_CASES = {
    "processed npz: truncated": _npz_bytes_case(lambda good, path: _truncated(good.npz, path), "not a readable .npz"),
    "processed npz: text file": _npz_bytes_case(lambda good, path: path.write_text("x,y\n") and path,
                                                "not a readable .npz"),
    "processed npz: float64 images": _npz_case("x_train must be uint8", x_train=np.zeros((36, 1, 28, 28))),
    "processed npz: images without channels": _npz_case(r"got uint8 \(36, 28, 28\)",
                                                        x_train=np.zeros((36, 28, 28), np.uint8)),
    "processed npz: empty train split": _npz_case("the train split is empty",
                                                  x_train=np.zeros((0, 1, 28, 28), np.uint8), y_train=np.zeros(0)),
    "processed npz: labels count differs": _npz_case("y_val has 3 labels for 12 images", y_val=np.zeros(3)),
    "processed npz: no validation split": _npz_case(r"missing arrays \['x_val', 'y_val'\]", x_val=None, y_val=None),
}


# --- faces: prepare-faces --root (CelebA layout) ----------------------------------------------------------

def _faces_case(change, problem, file="img_align_celeba/000004.jpg"):
    def build(good, tmp):
        shutil.copytree(good.celeba, tmp / "celeba")
        path = tmp / "celeba" / file
        change(path)
        return (["prepare-faces", "--root", str(tmp / "celeba"), "--split-mode", "official", "--output",
                 str(tmp / "faces.npz")], path, problem)
    return build


FACE_CASES = {
    "faces: truncated jpeg": _faces_case(lambda path: _truncated(path, path), "000004.jpg"),
    "faces: 100x100 image": _faces_case(lambda path: Image.new("RGB", (100, 100)).save(path, format="JPEG"),
                                        "image is 100x100, expected 178x218"),
    "faces: text instead of an image": _faces_case(lambda path: path.write_text("not a jpeg"), "000004.jpg"),
    "faces: partition file missing": _faces_case(lambda path: path.unlink(), "CelebA partition file missing",
                                                 file="list_eval_partition.txt"),
    "faces: no CelebA in the folder": _faces_case(lambda path: shutil.rmtree(path), "no CelebA found", file=""),
}


# --- DEAP subject files: prepare-deap --raw ---------------------------------------------------------------

def _deap_file_case(make_bytes, problem):
    def build(good, tmp):
        (tmp / "raw").mkdir()
        path = subject_path(tmp / "raw", 1)
        path.write_bytes(make_bytes())
        return ["prepare-deap", "--raw", str(tmp / "raw"), "--subjects", "1", "--output-dir", str(tmp / "deap")], \
            path, problem
    return build


def _deap_raw_case(problem, subjects=("1",), extra=(), raw=None):
    def build(good, tmp):
        folder = raw(tmp) if raw else good.deap_raw
        return (["prepare-deap", "--raw", str(folder), "--subjects", *subjects, "--output-dir", str(tmp / "deap"),
                 *extra], folder, problem)
    return build


DEAP_FILE_CASES = {
    "deap dat: truncated": (lambda: _pickled(_content())[:5000], "truncated or unreadable pickle"),
    "deap dat: not a pickle": (lambda: b"Fp1,AF3,F3\n1.0,2.0,3.0\n", "truncated or unreadable pickle"),
    "deap dat: code in the pickle": (lambda: _pickled(print), "refusing to load .*print"),
    "deap dat: not a dict": (lambda: _pickled([1.0, 2.0]), "expected a dict .* got list"),
    "deap dat: no labels": (lambda: _pickled({"data": np.zeros((2, 40, TRIAL_SAMPLES))}), r"missing \['labels'\]"),
    "deap dat: text data": (lambda: _pickled(_content(data="eeg")), "'data' is not a numeric array"),
    "deap dat: 2-D data": (lambda: _pickled(_content(data=np.zeros((40, TRIAL_SAMPLES)))),
                           r"'data' must have shape .* got \(40, 8064\)"),
    "deap dat: 7000 samples": (lambda: _pickled(_content(data=np.zeros((2, 40, 7000)))), r"got \(2, 40, 7000\)"),
    "deap dat: 31 channels": (lambda: _pickled(_content(data=np.zeros((2, 31, TRIAL_SAMPLES)))), r"channels >= 32"),
    "deap dat: no trials": (lambda: _pickled(_content(trials=0)), r"trials >= 1"),
    "deap dat: 3 ratings": (lambda: _pickled(_content(labels=np.full((2, 3), 5.0))),
                            r"'labels' must have shape \(2, 4\)"),
    "deap dat: mismatched trials": (lambda: _pickled(_content(labels=np.full((3, 4), 5.0))),
                                    r"match 2 trials .* got \(3, 4\)"),
    "deap dat: NaN in data": (lambda: _pickled(_content(data=((1, 5, 100), np.nan))),
                              r"'data' holds 1 NaN .* \(1, 5, 100\)"),
    "deap dat: inf in labels": (lambda: _pickled(_content(labels=((0, 3), np.inf))),
                                r"'labels' holds 1 NaN or infinite"),
    "deap dat: rating 0": (lambda: _pickled(_content(labels=((1, 0), 0.0))),
                           r"outside \[1, 9\] .* valence 0 of trial index 1"),
    "deap dat: rating 10": (lambda: _pickled(_content(labels=((0, 1), 10.0))), r"outside \[1, 9\] .* arousal 10"),
}
DEAP_RAW_CASES = {
    "deap raw: folder missing": _deap_raw_case("DEAP folder does not exist", raw=lambda tmp: tmp / "nowhere"),
    "deap raw: subject file missing": _deap_raw_case(r"missing subject files \['s07.dat'\]", subjects=("1", "7")),
    "deap raw: unknown channel": _deap_raw_case("channels .*'Xx9'.* are not among",
                                                extra=("--channels", "Fp1", "Fz", "Xx9")),
    "deap raw: empty split": _deap_raw_case("the val split is empty", extra=("--split", "1", "0", "0")),
}


# --- DEAP videos and metadata: train-vae --data <folder> -------------------------------------------------

def _videos_case(problem, videos=None, **meta_changes):
    def build(good, tmp):
        shutil.copytree(good.deap, tmp / "deap")
        path = tmp / "deap" / (VIDEOS if videos else META)
        if videos:
            videos(path)
        else:
            _rewrite_npz(path, path, **meta_changes)
        return _train(tmp / "deap", tmp), path, problem
    return build


def _video_array(change):
    def write(path):
        array = np.load(path)
        np.save(path, change(array.copy()))
    return write


def _with_nan(array):
    array[3, 10, 1, 5, 5] = np.nan
    return array


VIDEO_CASES = {
    "deap videos: truncated": _videos_case("not a readable video array", videos=lambda path: _truncated(path, path)),
    "deap videos: NaN frame": _videos_case(r"NaN or infinite values in trials 0\.\.63", videos=_video_array(_with_nan)),
    "deap videos: float64": _videos_case("float32, 5 dimensions", videos=_video_array(lambda a: a.astype(np.float64))),
    "deap meta: class 7": _videos_case(r"emotion class 7 outside 0\.\.3", classes=np.full(10, 7)),
    "deap meta: empty validation split": _videos_case("the val split is empty", val=np.zeros(0, np.int64)),
    "deap meta: split beyond the trials": _videos_case("indexes beyond 10 trials", test=np.array([12])),
    "deap meta: no ratings": _videos_case(r"missing arrays \['ratings'\]", ratings=None),
}


# --- posteriors: estimate-mi --posteriors ----------------------------------------------------------------

def _posteriors_case(problem, make=None, **changes):
    def build(good, tmp):
        path = tmp / "latents.npz"
        if make:
            make(good, path)
        else:
            _rewrite_npz(good.latents, path, **changes)
        return ["estimate-mi", "--posteriors", str(path), "--output-stem", str(tmp / "out" / "mi")], path, problem
    return build


def _posteriors(good, change):
    with np.load(good.latents) as data:
        return change(data["mu"].copy(), data["logvar"].copy())


def _at(array, value):
    array[4, 1] = value
    return array


POSTERIOR_CASES = {
    "posteriors: missing": _posteriors_case("No such file", make=lambda good, path: None),
    "posteriors: truncated": _posteriors_case("not a readable .npz",
                                              make=lambda good, path: _truncated(good.latents, path)),
    "posteriors: NaN mu": _posteriors_case(r"mu holds 1 NaN or infinite values \(first at index \(4, 1\)\)",
                                           mu=_at(np.zeros((12, 3), np.float32), np.nan)),
    "posteriors: sigma = 0": _posteriors_case(r"logvar is -inf at index \(4, 1\): sigma = 0",
                                              logvar=_at(np.zeros((12, 3), np.float32), -np.inf)),
    "posteriors: infinite logvar": _posteriors_case("logvar holds 1 NaN or infinite",
                                                    logvar=_at(np.zeros((12, 3), np.float32), np.inf)),
    "posteriors: shapes disagree": _posteriors_case(r"mu \(12, 3\), logvar \(12, 2\) .* disagree",
                                                    logvar=np.zeros((12, 2), np.float32)),
    "posteriors: no logvar": _posteriors_case(r"missing arrays \['logvar'\]", logvar=None),
}


# --- model checkpoints: encode --model, and train-vae's resume checkpoint ----------------------------------

def _model_case(problem, make):
    def build(good, tmp):
        path = tmp / "model.pt"
        make(good, path)
        return (["encode", "--model", str(path), "--data", str(good.npz), "--output", str(tmp / "out" / "latents.npz")],
                path, problem)
    return build


def _nan_weights(good, path):
    import torch

    checkpoint = torch.load(good.model, weights_only=True)
    next(iter(checkpoint["state_dict"].values())).fill_(float("nan"))
    torch.save(checkpoint, path)


def _resume_checkpoint_case(good, tmp):
    run = tmp / "run"
    run.mkdir()
    checkpoint = _truncated(good.model, checkpoint_path(run / "model.pt"))
    args = _train(good.npz, tmp)
    args[args.index("--model") + 1] = str(run / "model.pt")
    return args, checkpoint, "unreadable training checkpoint .* delete it to train from the start"


MODEL_CASES = {
    "model: missing": _model_case("No such file", lambda good, path: None),
    "model: truncated": _model_case("not a readable beta-VAE checkpoint",
                                    lambda good, path: _truncated(good.model, path)),
    "model: JSON instead of weights": _model_case("not a readable beta-VAE checkpoint",
                                                  lambda good, path: path.write_text('{"beta": 1}')),
    "model: NaN weights": _model_case("NaN or infinite weights in", _nan_weights),
    "model: resume checkpoint truncated": _resume_checkpoint_case,
}


# --- information tables: plot-information --information --------------------------------------------------

def _table_case(text, problem):
    def build(good, tmp):
        path = tmp / "mi.csv"
        path.write_text(text(good.information.read_text()) if callable(text) else text)
        return ["plot-information", "--information", str(path), "--output", str(tmp / "out" / "f.png")], path, problem
    return build


TABLE_CASES = {
    "information: columns missing": _table_case("factor,value\n0,1.0\n", r"lacks columns \['I_est'"),
    "information: empty file": _table_case("", "not a readable information table"),
    "information: header only": _table_case(lambda text: text.splitlines()[0] + "\n", "is empty or holds"),
    "information: NaN I_est": _table_case(lambda text: re.sub(r"\n0,[^,]*,", "\n0,nan,", text), "NaN or infinite"),
    "information: text I_est": _table_case(lambda text: re.sub(r"\n0,[^,]*,", "\n0,high,", text), "non-numeric"),
}


CASES = ({name: _mnist_case(*case) for name, case in MNIST_CASES.items()}
         | {name: _mnist_root_case(*case) for name, case in MNIST_ROOT_CASES.items()} | NPZ_CASES | FACE_CASES
         | {name: _deap_file_case(*case) for name, case in DEAP_FILE_CASES.items()} | DEAP_RAW_CASES | VIDEO_CASES
         | POSTERIOR_CASES | MODEL_CASES | TABLE_CASES)


def _snapshot(folder):
    return {str(path.relative_to(folder)): path.read_bytes() if path.is_file() else None
            for path in sorted(folder.rglob("*"))}


@pytest.mark.parametrize("case", list(CASES))
def test_bad_input_names_the_file_exits_1_and_writes_nothing(case, good, tmp_path, capsys):
    args, bad_file, problem = CASES[case](good, tmp_path)
    before = _snapshot(tmp_path)
    assert main(args) == 1
    stderr, prefix = capsys.readouterr().err, f"influential-factors {args[0]}: error: "
    assert prefix in stderr, stderr  # after any progress bar
    error = stderr[stderr.index(prefix):].splitlines()[0]  # one line (a worker's progress bar may follow)
    assert str(bad_file) in error and re.search(problem, error), error
    assert _snapshot(tmp_path) == before
