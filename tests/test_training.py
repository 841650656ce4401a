"""Training: byte-reproducible weights, checkpoints that survive SIGKILL and resume to the same bytes,
and a clear stop (keeping the last good checkpoint) when the loss turns non-finite."""

import json
import os
import signal
import subprocess
import sys
import time

import numpy as np
import pytest
import torch

import influential_factors.models as models
import influential_factors.training as training
from influential_factors.cli import main
from influential_factors.datasets import prepare_mnist
from influential_factors.models import load_model
from influential_factors.training import checkpoint_path, train_vae

from cli_settings import with_settings

SETTINGS = dict(objective="beta_vae", objective_settings={}, beta=4.0, sigma2_x=0.0112, channels=[4, 4], hidden=16, latents=3, batch_size=20, lr=1e-3, seed=0)


@pytest.fixture(scope="module")
def digits(tmp_path_factory):
    path = tmp_path_factory.mktemp("data") / "mnist.npz"
    prepare_mnist(path, None, (0.6, 0.2, 0.2), seed=0, limit=500)
    return path


def _outputs(folder):
    """Every file a training run leaves, by path relative to `folder`, with its bytes."""
    return {str(path.relative_to(folder)): path.read_bytes() for path in sorted(folder.rglob("*")) if path.is_file()}


def _train(digits, folder, epochs, **changes):
    train_vae(digits, folder / "model.pt", folder / "live", epochs=epochs, **(SETTINGS | changes))
    return _outputs(folder)


def _cli_args(digits, folder, epochs, every):
    settings = {key.replace("_", "-"): value for key, value in SETTINGS.items()}
    args = ["train-vae", "--data", str(digits), "--model", str(folder / "model.pt"), "--live-dir", str(folder / "live"),
            "--epochs", str(epochs), "--checkpoint-every", str(every)]
    for key, value in settings.items():
        args += [f"--{key}", *map(str, value if isinstance(value, list) else [value])]
    return with_settings(args)


def test_training_is_deterministic_to_the_byte(digits, tmp_path):
    """Same seed, same data: identical model and curves (so DVC's hashes do not move either)."""
    first, second = _train(digits, tmp_path / "a", epochs=1), _train(digits, tmp_path / "b", epochs=1)
    assert first == second and "model.pt" in first and "live/metrics.json" in first
    assert load_model(tmp_path / "a" / "model.pt").latents == 3


def test_a_killed_run_resumes_to_the_bytes_of_an_uninterrupted_one(digits, tmp_path, capsys):
    epochs, every = 12, 2
    uninterrupted = _train(digits, tmp_path / "whole", epochs)
    folder = tmp_path / "killed"
    checkpoint = checkpoint_path(folder / "model.pt")
    job = subprocess.Popen([sys.executable, "-m", "influential_factors", *_cli_args(digits, folder, epochs, every)],
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 120
    while not checkpoint.exists() and job.poll() is None and time.monotonic() < deadline:
        time.sleep(0.002)
    os.kill(job.pid, signal.SIGKILL)
    assert job.wait() == -signal.SIGKILL, "training finished before it could be killed"
    state = torch.load(checkpoint, weights_only=True)
    assert 0 < state["epoch"] < epochs and len(state["history"]) == state["epoch"]
    assert not (folder / "model.pt").exists()  # no model, and no half-written one

    assert main(_cli_args(digits, folder, epochs, every)) == 0
    assert f"resuming after epoch {state['epoch']} of {epochs}" in capsys.readouterr().err
    assert _outputs(folder) == uninterrupted  # weights, curves (every epoch once) and summary; no checkpoint left
    assert not checkpoint.exists()


def test_a_non_finite_loss_stops_training_and_keeps_the_last_good_checkpoint(digits, tmp_path, monkeypatch, capsys):
    folder, calls = tmp_path / "run", []
    real_loss = training.vae_loss

    def diverging_loss(*args):  # 15 training batches per epoch: the loss turns NaN in epoch 3
        terms = real_loss(*args)
        calls.append(torch.is_grad_enabled())
        if sum(calls) > 30:
            terms["loss"] = terms["loss"] * float("nan")
        return terms

    monkeypatch.setattr(training, "vae_loss", diverging_loss)
    assert main(_cli_args(digits, folder, 5, 1)) == 1
    error = capsys.readouterr().err
    checkpoint = checkpoint_path(folder / "model.pt")
    assert f"{folder / 'model.pt'}: training diverged at epoch 3 (loss nan)" in error
    assert f"the last good checkpoint {checkpoint} (epoch 2) is kept" in error
    assert not (folder / "model.pt").exists() and torch.load(checkpoint, weights_only=True)["epoch"] == 2

    monkeypatch.setattr(training, "vae_loss", real_loss)  # the cause fixed, the run resumes at epoch 2
    assert _train(digits, folder, 5) == _train(digits, tmp_path / "whole", 5)
    assert "resuming after epoch 2 of 5" in capsys.readouterr().err


def test_a_checkpoint_of_other_settings_is_not_resumed(digits, tmp_path, capsys):
    folder = tmp_path / "run"
    train_vae(digits, folder / "model.pt", folder / "live", epochs=2, **SETTINGS)
    checkpoint = checkpoint_path(folder / "model.pt")
    assert not checkpoint.exists()  # removed after success
    training.save_torch({"settings": {"lr": 0.5}, "epoch": 1, "history": []}, checkpoint)
    assert _train(digits, folder, 2) == _train(digits, tmp_path / "fresh", 2)
    assert "not resumed (settings differ: " in capsys.readouterr().err


def test_checkpoint_interval_must_be_positive(digits, tmp_path, capsys):
    with pytest.raises(SystemExit) as exit_code:
        main(_cli_args(digits, tmp_path, 2, 0))
    assert exit_code.value.code == 2 and "argument --checkpoint-every: '0' is not an integer >= 1" in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == []


def test_uint8_images_stay_uint8_on_the_device_and_each_batch_is_scaled_there():
    images = np.arange(2 * 1 * 4 * 4, dtype=np.uint8).reshape(2, 1, 4, 4) * 8
    stored = models.images_on_device(images, torch.device("cpu"))
    assert stored.dtype == torch.uint8  # a quarter of float32's memory for a whole data set
    assert torch.equal(models.as_float(stored[:1]), models.images_to_tensor(images[:1], torch.device("cpu")))
    assert models.as_float(stored).max().item() == pytest.approx(248 / 255)


def test_bf16_autocast_trains_close_to_float32(digits, tmp_path):
    """bf16 changes the bytes, not the result: the validation loss stays within 1% of float32's."""
    curves = {}
    for precision in ("float32", "bf16"):
        folder = tmp_path / precision
        train_vae(digits, folder / "model.pt", folder / "live", epochs=2, precision=precision, **SETTINGS)
        curves[precision] = json.loads((folder / "live" / "metrics.json").read_text())
    assert curves["bf16"] != curves["float32"]
    for name in ("loss", "sse"):
        assert curves["bf16"]["val"][name] == pytest.approx(curves["float32"]["val"][name], rel=0.01)
    assert curves["bf16"]["val"]["kl"] == pytest.approx(curves["float32"]["val"]["kl"], abs=0.1)  # nats, of ~0.4
