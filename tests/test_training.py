"""Training: byte-reproducible weights, checkpoints that survive SIGKILL and resume to the same bytes,
a clear stop (keeping the last good checkpoint) when the loss turns non-finite, and an epoch's loop and
logged means checked against a plain reference loop."""

import json
import os
import resource
import signal
import subprocess
import sys
import time

import numpy as np
import pytest
import torch

import influential_factors.models.vae as models
import influential_factors.models.training as training
from influential_factors.cli import main
from influential_factors.data.datasets import prepare_mnist
from influential_factors.models.vae import BetaVAE, as_float, load_model, vae_loss
from influential_factors.models.objectives.registry import build_objective
from influential_factors.models.training import checkpoint_path, evaluate, prepare_training, train_epoch, train_vae

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


@pytest.fixture(params=[1, torch.get_num_threads()], ids=lambda threads: f"{threads}-threads")
def threads(request):
    """Run the test at 1 thread and at the default thread count (the bytes may differ between them)."""
    default = torch.get_num_threads()
    torch.set_num_threads(request.param)
    yield request.param
    torch.set_num_threads(default)


def test_training_is_deterministic_to_the_byte(digits, tmp_path, threads):
    """Same seed, same data, same thread count: identical model and curves (so DVC's hashes do not move
    either). The saved weights are NCHW whatever layout trained them."""
    first, second = _train(digits, tmp_path / "a", epochs=1), _train(digits, tmp_path / "b", epochs=1)
    assert first == second and "model.pt" in first and "live/metrics.json" in first
    assert load_model(tmp_path / "a" / "model.pt").latents == 3
    saved = torch.load(tmp_path / "a" / "model.pt", weights_only=True)["state_dict"]
    assert all(tensor.is_contiguous() for tensor in saved.values())


OBJECTIVE = build_objective("beta_vae", {}, beta=4.0, latents=3, dataset_size=0)


def _setup(layout="cpu"):
    """A seeded small network and its Adam as train-vae sets them up on the CPU, or with `layout="nchw"` as on
    a GPU (NCHW weights, the same fused Adam)."""
    torch.manual_seed(0)
    model = BetaVAE((1, 8, 8), [4, 4], hidden=16, latents=3)
    if layout == "cpu":
        return model, prepare_training(model, OBJECTIVE, 1e-2, torch.device("cpu"))
    return model, torch.optim.Adam(model.parameters(), lr=1e-2, fused=True)


def _images(dtype=torch.uint8, count=50):
    images = torch.randint(0, 256, (count, 1, 8, 8), generator=torch.Generator().manual_seed(1), dtype=torch.uint8)
    return images if dtype == torch.uint8 else as_float(images)


def _epoch(model, optimizer, images, order, batch_size=16):
    torch.manual_seed(2)  # the codes' noise
    return train_epoch(model, optimizer, images, order, OBJECTIVE, 0.0112, batch_size)


def test_an_epoch_steps_through_the_permutation_and_logs_the_mean_of_its_batches():
    """50 images in batches of 16 (the last one of 2): the weights of a plain loop over the same batches in the
    same order, and the logged terms the mean over batches of theirs."""
    images, order = _images(), torch.randperm(50, generator=torch.Generator().manual_seed(3))
    model, optimizer = _setup()
    logged = _epoch(model, optimizer, images, order)

    reference, reference_optimizer = _setup()
    torch.manual_seed(2)
    per_batch = []
    for start in range(0, 50, 16):
        batch = as_float(images[order[start:start + 16]])
        terms = vae_loss(batch, *reference(batch), OBJECTIVE, 0.0112)
        reference_optimizer.zero_grad()
        terms["loss"].backward()
        reference_optimizer.step()
        per_batch.append({name: terms[name].item() for name in ("loss", "sse", "kl")})
    assert list(logged) == ["loss", "sse", "kl"]
    for name, value in logged.items():
        assert value == pytest.approx(sum(batch[name] for batch in per_batch) / 4, rel=1e-12)
    for trained, expected in zip(model.parameters(), reference.parameters()):
        assert torch.equal(trained, expected)
    shuffled, shuffled_optimizer = _setup()
    _epoch(shuffled, shuffled_optimizer, images, order.flip(0))
    assert not torch.equal(next(shuffled.parameters()), next(model.parameters()))  # the order matters


def test_uint8_images_converted_per_batch_train_as_the_float_images_they_stand_for():
    """The device-resident path keeps uint8 and converts each batch; converting the set first is the same bytes."""
    order = torch.randperm(50, generator=torch.Generator().manual_seed(3))
    results = {}
    for dtype in (torch.uint8, torch.float32):
        model, optimizer = _setup()
        logged = _epoch(model, optimizer, _images(dtype), order)
        results[dtype] = logged, [parameter.detach().clone() for parameter in model.parameters()]
    assert results[torch.uint8][0] == results[torch.float32][0]
    assert all(torch.equal(a, b) for a, b in zip(results[torch.uint8][1], results[torch.float32][1]))


def test_the_cpu_layout_trains_as_the_gpu_layout_up_to_rounding():
    """Channels-last on the CPU and NCHW (a GPU's layout, run here on the CPU) differ only in float rounding."""
    images, order = _images(), torch.randperm(50, generator=torch.Generator().manual_seed(3))
    (cpu_model, cpu_optimizer), (nchw_model, nchw_optimizer) = _setup("cpu"), _setup("nchw")
    assert cpu_model.encoder[0].weight.is_contiguous(memory_format=torch.channels_last)
    assert nchw_model.encoder[0].weight.is_contiguous()
    cpu_terms = _epoch(cpu_model, cpu_optimizer, images, order)
    nchw_terms = _epoch(nchw_model, nchw_optimizer, images, order)
    assert cpu_terms == pytest.approx(nchw_terms, rel=1e-5)
    for trained, expected in zip(cpu_model.parameters(), nchw_model.parameters()):
        torch.testing.assert_close(trained, expected, rtol=0, atol=1e-4)


def test_evaluation_is_the_image_weighted_mean_of_its_batches():
    images = _images(torch.float32)
    model, _ = _setup()
    torch.manual_seed(4)
    means = evaluate(model, images, OBJECTIVE, 0.0112, 16)
    torch.manual_seed(4)
    expected = dict.fromkeys(means, 0.0)
    with torch.no_grad():
        for start in range(0, 50, 16):
            batch = images[start:start + 16]
            terms = vae_loss(batch, *model(batch), OBJECTIVE, 0.0112)
            for name in expected:
                expected[name] += terms[name].item() * len(batch) / 50
    assert means == pytest.approx(expected, rel=1e-12) and list(means) == ["loss", "sse", "kl"]


def test_cpu_training_reuses_the_memory_a_step_frees_instead_of_faulting_in_fresh_pages():
    """Without it an MNIST-sized step faulted in 300-1,400 fresh pages (glibc returned the freed activations to
    the kernel; 11% of the step); with it 0-11."""
    if not sys.platform.startswith("linux"):
        pytest.skip("glibc's malloc settings")
    torch.manual_seed(0)
    model = BetaVAE((1, 28, 28), [32, 32], hidden=256, latents=128)
    objective = build_objective("beta_vae", {}, beta=4.0, latents=128, dataset_size=0)
    optimizer = prepare_training(model, objective, 1e-3, torch.device("cpu"))
    images = torch.randint(0, 256, (256, 1, 28, 28), dtype=torch.uint8)
    for _ in range(2):  # the heap grows to a step's working set
        train_epoch(model, optimizer, images, torch.randperm(256), objective, 0.0112, 64)
    before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
    for _ in range(2):
        train_epoch(model, optimizer, images, torch.randperm(256), objective, 0.0112, 64)
    assert (resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before) / 8 < 100  # per step: 0-11 measured


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


@pytest.mark.parametrize("vanished, tolerated", [("DVCLIVE_STEP_COMPLETED", True), ("metrics.json", False)])
def test_a_run_ending_beside_another_tolerates_only_dvclives_shared_signal_file_vanishing(tmp_path, monkeypatch,
                                                                                           vanished, tolerated):
    """Two training jobs ending together: the other job removed DVCLive's VS Code signal file (one per repository)
    between this job's check and its remove. DVCLive's own logger fails on it; the job's logger ends with its
    metrics written. Any other missing file still fails the run."""
    import dvclive
    import dvclive.live

    def removed_meanwhile():
        raise FileNotFoundError(2, "No such file or directory", str(tmp_path / ".dvc/tmp/exps/run" / vanished))

    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(dvclive.live, "cleanup_dvclive_step_completed", removed_meanwhile)
    with pytest.raises(FileNotFoundError):
        with dvclive.Live(str(tmp_path / "plain"), dvcyaml=None, save_dvc_exp=False, report=None) as live:
            live.log_metric("loss", 2.5)
    if not tolerated:
        with pytest.raises(FileNotFoundError, match=vanished):
            with training.live_logger(tmp_path / "live"):
                pass
        return
    with training.live_logger(tmp_path / "live") as live:
        live.log_metric("loss", 1.5)
        live.next_step()
        live.log_metric("loss", 0.5)
        live.next_step()
    assert json.loads((tmp_path / "live/metrics.json").read_text()) == {"loss": 0.5, "step": 1}
