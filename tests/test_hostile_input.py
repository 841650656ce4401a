"""Hostile input and a hostile machine, through the command line (issue #14, round two).

Like test_bad_input.py: each case exits 1 with one short error line naming the file and the problem
and changes nothing it should not (option errors: argparse's exit 2). The crafted DEAP files run the
command in a subprocess under RLIMIT_AS, so a regression that allocates gigabytes fails the test
instead of exhausting the machine.

Disk full and read-only outputs: tests run as root here, and root ignores chmod 0o555, so a real
read-only condition needs a read-only mount. The monkeypatched cases (an OSError with ENOSPC / EROFS
raised where the file is written) always run; the real tmpfs cases (a 64 KiB tmpfs, a read-only tmpfs)
run only where mounting is permitted and are skipped elsewhere.
"""

import errno
import gzip
import os
import pickle
import re
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from cli_settings import main, with_settings  # the CLI with fixed settings where a case gives none
from influential_factors.data.deap import subject_path
from influential_factors.models.training import checkpoint_path

from test_bad_input import _snapshot, _train, good  # noqa: F401  (the module's fixture of valid inputs)
from test_deap import _content, _pickled

SOURCE = os.environ.get("PYTHONPATH") or str(Path(__file__).resolve().parents[1] / "src")  # this code, not an install
MEMORY_LIMIT = 3 << 30  # address space of the subprocess: imports fit, a crafted 10 GB allocation does not


def _error_line(stderr: str, command: str) -> str:
    prefix = f"influential-factors {command}: error: "
    assert prefix in stderr and "Traceback" not in stderr, stderr[-3000:]
    return stderr[stderr.index(prefix):].splitlines()[0]


def _check(args, code, stderr, bad, problem, folder, before):
    assert code == 1, stderr[-3000:]
    line = _error_line(stderr, args[0])
    assert str(bad) in line and re.search(problem, line), line
    assert len(line) < 1500, f"{len(line)} characters"
    assert _snapshot(folder) == before


# --- crafted DEAP subject files, in a memory-limited subprocess --------------------------------------------

class _Call:
    """Pickles as `function(*args)`, with `state` set by BUILD when given."""

    def __init__(self, function, args, state=None):
        self.reduced = (function, args) if state is None else (function, args, state)

    def __reduce__(self):
        return self.reduced


def _reconstruct():
    return np._core.multiarray._reconstruct


HOSTILE_DEAP = {
    # bytes(10**10) from a 70-byte file: allocated (lazily) by bytes(), then float64 would copy it
    "huge bytes": (lambda: _pickled({"data": _Call(bytes, (10**10,)), "labels": _Call(bytes, (10**10,))}),
                   "more than the file can hold"),
    "huge array shape": (lambda: _pickled({"data": _Call(_reconstruct(), (np.ndarray, (10**12,), b"b")),
                                           "labels": np.zeros((2, 4))}), "more than the file can hold"),
    "huge state shape (MemoryError)": (
        lambda: _pickled({"data": _Call(_reconstruct(), (np.ndarray, (0,), b"b"),
                                        (1, (10**15, 10**15), np.dtype("f8"), False, b"x" * 10)),
                          "labels": np.zeros((2, 4))}), r"needs \d+ bytes, the file holds 10"),
    "bytes length beyond sys.maxsize (OverflowError)": (
        lambda: b"\x80\x04\x8e" + (2**63 + 5).to_bytes(8, "little") + b".", "truncated or unreadable pickle"),
    "1 TB bytes field (MemoryError)": (lambda: b"\x80\x04\x8e" + (2**40).to_bytes(8, "little") + b".",
                                       "pickle data was truncated"),
    "bytes(10**20) (OverflowError)": (lambda: _pickled({"data": _Call(bytes, (10**20,))}),
                                      "more than the file can hold"),
    "one array repeated by reference": (lambda: _pickled(_content(data=[np.zeros((2, 40, 8064))] * 100_000)),
                                        r"'data' is not a numeric array \(got list\)"),
    "giant key in the message": (lambda: _pickled({"k" * 2_000_000: 1.0}), r"missing \['data', 'labels'\]"),
    "object array": (lambda: _pickled(_content(labels=np.array([["a"] * 4] * 2, dtype=object))),
                     "not a plain numeric type|not numeric|refusing"),
}


def _run_limited(args):
    code = ("import resource, sys; resource.setrlimit(resource.RLIMIT_AS, ({0}, {0})); "
            "from influential_factors.cli import main; sys.exit(main(sys.argv[1:]))").format(MEMORY_LIMIT)
    env = dict(os.environ, PYTHONPATH=SOURCE, OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1",
               MKL_NUM_THREADS="1")
    result = subprocess.run([sys.executable, "-c", code, *with_settings(args)], capture_output=True, text=True,
                            timeout=300, env=env)
    return result.returncode, result.stderr


@pytest.mark.parametrize("case", list(HOSTILE_DEAP))
def test_crafted_deap_file_is_refused_before_allocating(case, tmp_path):
    make, problem = HOSTILE_DEAP[case]
    (tmp_path / "raw").mkdir()
    path = subject_path(tmp_path / "raw", 1)
    path.write_bytes(make())
    args = ["prepare-deap", "--raw", str(tmp_path / "raw"), "--subjects", "1", "--output-dir", str(tmp_path / "deap")]
    before = _snapshot(tmp_path)
    code, stderr = _run_limited(args)
    _check(args, code, stderr, path, problem, tmp_path, before)
    assert len(_error_line(stderr, "prepare-deap")) < 700  # file content in messages is cut to 200 characters


def test_crafted_pickle_is_small():
    assert len(HOSTILE_DEAP["huge bytes"][0]()) < 120


# --- preparation never writes into (or removes) its input ------------------------------------------------

def _overlap_cases():
    def deap(good, tmp, where):
        raw = tmp / "raw"
        shutil.copytree(good.deap_raw, raw)
        output = {"same": raw, "inside": raw / "videos", "holds": tmp}[where]
        return ["prepare-deap", "--raw", str(raw), "--subjects", "1", "--output-dir", str(output)], output

    def mnist(good, tmp, where):
        shutil.copytree(good.root / "mnist", tmp / "mnist")
        output = {"same": tmp / "mnist", "inside": tmp / "mnist" / "MNIST" / "raw" / "out.npz",
                  "holds": tmp}[where]
        return ["prepare-mnist", "--root", str(tmp / "mnist"), "--output", str(output)], output

    def faces(good, tmp, where):
        shutil.copytree(good.celeba, tmp / "celeba")
        output = {"same": tmp / "celeba", "inside": tmp / "celeba" / "faces.npz", "holds": tmp}[where]
        return ["prepare-faces", "--root", str(tmp / "celeba"), "--split-mode", "official", "--output",
                str(output)], output

    return {f"{name}: output {where} the input": (build, where) for name, build in
            (("prepare-deap", deap), ("prepare-mnist", mnist), ("prepare-faces", faces))
            for where in ("same", "inside", "holds")}


OVERLAP_CASES = _overlap_cases()


@pytest.mark.parametrize("case", list(OVERLAP_CASES))
def test_output_overlapping_the_input_data_is_refused(case, good, tmp_path, capsys):  # noqa: F811
    build, where = OVERLAP_CASES[case]
    args, output = build(good, tmp_path, where)
    before = _snapshot(tmp_path)
    code = main(args)
    _check(args, code, capsys.readouterr().err, output, "refusing to write there", tmp_path, before)


def test_simulate_deap_never_overwrites_files_it_did_not_write(good, tmp_path, capsys):  # noqa: F811
    real = tmp_path / "deap_real"
    real.mkdir()
    (real / "s01.dat").write_bytes((good.deap_raw / "s01.dat").read_bytes())  # "real" DEAP: no simulator truth
    (real / "notes.txt").write_text("mine")
    before = _snapshot(tmp_path)
    args = ["simulate-deap", "--output-dir", str(real), "--subjects", "2", "--trials", "4"]
    _check(args, main(args), capsys.readouterr().err, real, r"\['s01.dat'\] not written by simulate-deap",
           tmp_path, before)


def test_simulate_deap_reruns_into_its_own_folder_and_keeps_other_files(tmp_path):
    folder = tmp_path / "sim"
    assert main(["simulate-deap", "--output-dir", str(folder), "--subjects", "1", "--trials", "4"]) == 0
    (folder / "notes.txt").write_text("mine")
    assert main(["simulate-deap", "--output-dir", str(folder), "--subjects", "2", "--trials", "4"]) == 0
    assert sorted(path.name for path in folder.iterdir()) == ["ground_truth.json", "notes.txt", "s01.dat", "s02.dat"]


# --- gzipped IDX files, as MNIST and Fashion-MNIST ship them ---------------------------------------------

def _gzip_all(raw: Path, keep_plain: bool = False):
    for path in sorted(raw.glob("*-ubyte")):
        path.with_name(path.name + ".gz").write_bytes(gzip.compress(path.read_bytes()))
        if not keep_plain:
            path.unlink()


def _prepare_mnist_args(tmp):
    return ["prepare-mnist", "--root", str(tmp / "mnist"), "--output", str(tmp / "mnist.npz")]


def _prepared(path):
    with np.load(path) as data:
        return {name: data[name] for name in data.files}


@pytest.mark.parametrize("form", ["gz", "plain", "both"])
def test_idx_files_read_gzipped_or_plain(form, good, tmp_path):  # noqa: F811
    shutil.copytree(good.root / "mnist", tmp_path / "mnist")
    raw = tmp_path / "mnist" / "MNIST" / "raw"
    reference = tmp_path / "reference"
    reference.mkdir()
    assert main(["prepare-mnist", "--root", str(tmp_path / "mnist"), "--output", str(reference / "m.npz")]) == 0
    if form != "plain":
        _gzip_all(raw, keep_plain=form == "both")
    if form == "both":  # plain preferred: a broken .gz beside a good plain file is never read
        for path in raw.glob("*.gz"):
            path.write_bytes(b"not gzip")
    assert main(_prepare_mnist_args(tmp_path)) == 0
    expected, got = _prepared(reference / "m.npz"), _prepared(tmp_path / "mnist.npz")
    assert expected.keys() == got.keys() and all(np.array_equal(expected[key], got[key]) for key in expected)


@pytest.mark.parametrize("damage, problem", [
    (lambda data: data[: len(data) // 2], "not a readable gzip file"),
    (lambda data: b"\x1f\x8b" + b"\xff" * 40, "not a readable gzip file"),
    (lambda data: gzip.compress(gzip.decompress(data)[:-100]), r"expected 23536 .* \(truncated\?\)"),
    (lambda data: gzip.compress(gzip.decompress(data) + b"\0" * 10), r"more bytes, expected 23536"),
])
def test_corrupt_gzipped_idx_is_one_line(damage, problem, good, tmp_path, capsys):  # noqa: F811
    shutil.copytree(good.root / "mnist", tmp_path / "mnist")
    raw = tmp_path / "mnist" / "MNIST" / "raw"
    _gzip_all(raw)
    bad = raw / "train-images-idx3-ubyte.gz"
    bad.write_bytes(damage(bad.read_bytes()))
    args, before = _prepare_mnist_args(tmp_path), _snapshot(tmp_path)
    _check(args, main(args), capsys.readouterr().err, bad, problem, tmp_path, before)


# --- a decompression bomb among the faces ----------------------------------------------------------------

def _jpeg_bomb(path: Path, side: int = 30000):
    """A valid JPEG whose frame header claims side x side pixels (PIL refuses > 2 x 89 M at open)."""
    from io import BytesIO

    buffer = BytesIO()
    Image.new("RGB", (16, 16)).save(buffer, format="JPEG")
    data = bytearray(buffer.getvalue())
    sof = data.index(b"\xff\xc0")
    data[sof + 5: sof + 9] = side.to_bytes(2, "big") * 2
    path.write_bytes(bytes(data))


def _faces_args(tmp, *extra):
    return ["prepare-faces", "--root", str(tmp / "celeba"), "--split-mode", "official", "--output",
            str(tmp / "faces.npz"), *extra]


@pytest.mark.parametrize("side", [30000, 10000])
def test_decompression_bomb_is_refused_in_one_line(side, good, tmp_path, capsys):  # noqa: F811
    shutil.copytree(good.celeba, tmp_path / "celeba")
    bomb = tmp_path / "celeba" / "img_align_celeba" / "000004.jpg"
    _jpeg_bomb(bomb, side)
    args, before = _faces_args(tmp_path), _snapshot(tmp_path)
    _check(args, main(args), capsys.readouterr().err, bomb, "decompression bomb", tmp_path, before)


def test_decompression_bomb_is_skipped_and_counted_with_skip_corrupt(good, tmp_path, caplog):  # noqa: F811
    shutil.copytree(good.celeba, tmp_path / "celeba")
    _jpeg_bomb(tmp_path / "celeba" / "img_align_celeba" / "000004.jpg")
    assert main(_faces_args(tmp_path, "--skip-corrupt")) == 0
    assert "skipped 1 unreadable or wrongly sized images of 12" in caplog.text
    assert 4 not in _prepared(tmp_path / "faces.npz")["y_train"]


# --- a training checkpoint missing a key or holding the wrong types --------------------------------------

def _checkpoint_case(good, tmp, change, monkeypatch, capsys):
    """A real epoch-1 checkpoint of a 2-epoch run (the second epoch 'diverges', which keeps it), then `change`d."""
    import influential_factors.models.training as training

    run = tmp / "run"
    args = _train(good.npz, tmp)
    args[args.index("--model") + 1] = str(run / "model.pt")
    args[args.index("--epochs") + 1] = "2"
    real, calls = training.train_epoch, []

    def diverging_second_epoch(*arguments, **options):
        calls.append(1)
        totals = real(*arguments, **options)
        return totals if len(calls) == 1 else totals | {"loss": float("nan")}

    with monkeypatch.context() as patch:
        patch.setattr(training, "train_epoch", diverging_second_epoch)
        assert main(args) == 1
    checkpoint = checkpoint_path(run / "model.pt")
    torch.save(change(torch.load(checkpoint, weights_only=True)), checkpoint)
    capsys.readouterr()
    return args, checkpoint


CHECKPOINT_CASES = {
    "missing optimizer": (lambda state: {k: v for k, v in state.items() if k != "optimizer"},
                          r"missing \['optimizer'\]"),
    "history as text": (lambda state: state | {"history": "epoch 1"}, "history is str, not list"),
    "generator state as a list": (lambda state: state | {"generator": [1, 2]}, "generator is list, not Tensor"),
    "epoch as text": (lambda state: state | {"epoch": "1"}, "epoch is str, not int"),
    "settings as a list": (lambda state: state | {"settings": [1, 2]}, "settings is list, not dict"),
    "not a dict": (lambda state: [1, 2, 3], "expected a dict, got list"),
}


@pytest.mark.parametrize("case", list(CHECKPOINT_CASES))
def test_broken_training_checkpoint_is_one_line(case, good, tmp_path, capsys, monkeypatch):  # noqa: F811
    change, problem = CHECKPOINT_CASES[case]
    args, checkpoint = _checkpoint_case(good, tmp_path, change, monkeypatch, capsys)
    before = _snapshot(tmp_path)
    _check(args, main(args), capsys.readouterr().err, checkpoint, problem, tmp_path, before)


def test_resumable_checkpoint_with_wrong_weights_is_one_line(good, tmp_path, capsys, monkeypatch):  # noqa: F811
    """A checkpoint that is resumed (its settings match) but holds another network's weights."""
    args, checkpoint = _checkpoint_case(good, tmp_path, lambda state: state | {
        "model": {"nonsense.weight": torch.zeros(2)}}, monkeypatch, capsys)
    before = _snapshot(tmp_path)
    _check(args, main(args), capsys.readouterr().err, checkpoint, r"unreadable training checkpoint \(RuntimeError: Error\(s\) in loading state_dict",
           tmp_path, before)


# --- the machine: disk full, read-only output ------------------------------------------------------------

def _estimate_args(good, out):
    return ["estimate-mi", "--posteriors", str(good.latents), "--output-stem", str(out / "mi")]


@pytest.mark.parametrize("number, with_name", [(errno.ENOSPC, True), (errno.ENOSPC, False), (errno.EROFS, True),
                                               (errno.EDQUOT, True), (errno.EACCES, True)])
def test_write_errors_are_one_line(number, with_name, good, tmp_path, capsys, monkeypatch):  # noqa: F811
    """The write raises as a full disk (a quota, a read-only mount, no permission) would: monkeypatched,
    because root ignores chmod and a real full disk is not available everywhere (see the tmpfs tests)."""
    import pandas as pd

    def failing_to_csv(self, path, *args, **kwargs):
        if with_name:
            raise OSError(number, os.strerror(number), str(path))  # the temporary beside the output
        raise OSError(number, os.strerror(number))  # a failed write() names no file

    monkeypatch.setattr(pd.DataFrame, "to_csv", failing_to_csv)
    args = _estimate_args(good, tmp_path / "out")
    code = main(args)
    line = _error_line(capsys.readouterr().err, "estimate-mi")
    assert code == 1 and f"cannot write {tmp_path / 'out' / 'mi'}" in line and os.strerror(number) in line, line
    assert ".tmp" not in line  # named as the file it becomes, not the hidden temporary
    assert list((tmp_path / "out").iterdir()) == []


def test_a_real_bug_stays_a_traceback(good, tmp_path, monkeypatch):  # noqa: F811
    import pandas as pd

    monkeypatch.setattr(pd.DataFrame, "to_csv", lambda *args, **kwargs: [][1])
    with pytest.raises(IndexError):
        main(_estimate_args(good, tmp_path / "out"))


@pytest.fixture
def mount_tmpfs(tmp_path):
    mounted = []

    def mount(folder: Path, options: str):
        folder.mkdir(parents=True, exist_ok=True)
        result = subprocess.run(["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(folder)], capture_output=True)
        if result.returncode != 0:
            pytest.skip(f"mounting a tmpfs is not permitted here: {result.stderr.decode().strip()}")
        mounted.append(folder)
        return folder

    yield mount
    for folder in reversed(mounted):
        subprocess.run(["umount", str(folder)], check=False)


def test_real_full_disk_is_one_line(good, mount_tmpfs, tmp_path, capsys):  # noqa: F811
    out = mount_tmpfs(tmp_path / "out", "size=64k")
    args = ["encode", "--model", str(good.model), "--data", str(good.npz), "--output", str(out / "latents.npz")]
    with open(out / "filler", "wb", buffering=0) as filler:  # the disk filled up to the last byte
        with pytest.raises(OSError):
            while True:
                filler.write(b"\1" * 4096)
    code = main(args)
    line = _error_line(capsys.readouterr().err, "encode")
    assert code == 1 and "cannot write" in line and str(out / "latents.npz") in line and "No space" in line, line
    assert sorted(path.name for path in out.iterdir()) == ["filler"]


def test_real_read_only_output_is_one_line(good, mount_tmpfs, tmp_path, capsys):  # noqa: F811
    out = mount_tmpfs(tmp_path / "out", "ro,size=64k")
    code = main(_estimate_args(good, out))
    line = _error_line(capsys.readouterr().err, "estimate-mi")
    assert code == 1 and "cannot write" in line and str(out) in line and "Read-only file system" in line, line
    assert list(out.iterdir()) == []


# --- non-finite and out-of-range numbers in options: argparse's exit 2 and usual message -----------------

FLOAT_OPTIONS = [
    (["flag-influential", "--estimates", "p.parquet", "--output-stem", "o", "--threshold"], ["nan", "inf", "-inf"]),
    (["prepare-mnist", "--output", "o.npz", "--split", "0.6", "0.2"], ["nan", "inf", "-0.2", "1.5"]),
    (["train-vae", "--data", "d", "--model", "m", "--live-dir", "l", "--sigma2-x", "0.1", "--beta"], ["nan", "-1"]),
    (["train-vae", "--data", "d", "--model", "m", "--live-dir", "l", "--beta", "1", "--sigma2-x"], ["inf", "0"]),
    (["train-vae", "--data", "d", "--model", "m", "--live-dir", "l", "--beta", "1", "--sigma2-x", "0.1", "--lr"],
     ["nan", "0", "-1e-3"]),
    (["prepare-deap", "--raw", "r", "--output-dir", "o", "--subjects", "1", "--class-threshold"], ["nan"]),
    (["ablate-topk", "--model", "m", "--data", "d", "--posteriors", "p", "--information", "i", "--output-stem", "o",
      "--metrics", "m.json", "--figure", "f.png", "--images", "4", "--percents"], ["nan", "101", "-5"]),
]


@pytest.mark.parametrize("prefix, value", [(prefix, value) for prefix, values in FLOAT_OPTIONS for value in values])
def test_non_finite_or_out_of_range_float_options_are_argparse_errors(prefix, value, capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    option = [word for word in prefix if word.startswith("--")][-1]
    args = [*prefix[:-1], f"{option}={value}"] if prefix[-1] == option else [*prefix, value]  # --x=-inf: a value
    with pytest.raises(SystemExit) as exit_:
        main(args)
    assert exit_.value.code == 2  # argparse's convention for option errors, not 1
    stderr = capsys.readouterr().err
    assert f"error: argument {option}: {value!r} is not" in stderr, stderr
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("band, problem", [(["alpha", "nan", "13"], "not a finite number"),
                                           (["alpha", "13", "8"], "LOW_HZ < HIGH_HZ")])
def test_band_edges_must_be_finite_and_ordered(band, problem, good, tmp_path, capsys):  # noqa: F811
    args = ["prepare-deap", "--raw", str(good.deap_raw), "--subjects", "1", "--output-dir", str(tmp_path / "o"),
            "--band", *band]
    assert main(args) == 1
    assert re.search(problem, _error_line(capsys.readouterr().err, "prepare-deap"))
    assert list(tmp_path.iterdir()) == []
