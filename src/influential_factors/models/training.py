"""Training a VAE under one of the objectives (objectives/) on a processed image data set, with DVCLive
metrics and a progress bar.

Loading a trained model and placing it and its data on a device live in models.py."""

from __future__ import annotations

import ctypes
import hashlib
import math
import pickle
import sys
from pathlib import Path

import numpy as np
import torch
from tqdm import tqdm

from ..data.datasets import load_split
from .vae import BetaVAE, as_float, default_device, first_line, images_on_device, save_torch, vae_loss
from ..data.attributes import Attribute
from .objectives.registry import DEFAULT, Objective, build_objective


def split_images(data_path: str | Path, split: str) -> np.ndarray:
    """The images of one split: a processed .npz's uint8 images, or for a DEAP video folder the
    frames of every video in the split (the frame-wise VAE), read once from the memory map."""
    if Path(data_path).is_dir():
        from ..data.deap_videos import load_videos  # topomap's scipy and MNE: only DEAP's training needs them

        videos, meta = load_videos(data_path)
        frames = np.asarray(videos[np.sort(meta[split])])
        return frames.reshape(-1, *videos.shape[2:])
    return load_split(data_path, split)[0]


def checkpoint_path(model_path: str | Path) -> Path:
    """Where training keeps its resumable state: `<stem>.checkpoint.pt` beside the model."""
    model_path = Path(model_path)
    return model_path.with_name(model_path.stem + ".checkpoint.pt")


def data_fingerprint(*arrays: np.ndarray) -> str:
    """A hash of the training data, so a checkpoint is resumed only on the data it was trained on."""
    digest = hashlib.blake2b(digest_size=16)
    for array in arrays:
        digest.update(str((array.dtype, array.shape)).encode())
        digest.update(np.ascontiguousarray(array).data)
    return digest.hexdigest()


def train_vae(data_path: str | Path, model_path: str | Path, live_dir: str | Path, *, objective: str,
              objective_settings: dict, beta: float, sigma2_x: float, channels: list[int], hidden: int, latents: int, epochs: int,
              batch_size: int, lr: float, seed: int, likelihood: str = "gaussian", network: str = "conv",
              checkpoint_every: int = 1,
              precision: str = "float32", compile_model: bool = False, attribute: Attribute | None = None,
              device: torch.device | None = None) -> dict[str, float]:
    """Train a BetaVAE by Adam on the negative ELBO of `objective` (objectives/: its params.yaml settings
    `objective_settings`, its weight `beta`); save weights and architecture to `model_path`, and for an
    objective other than the beta-VAE also the objective and its learned parameters (a beta-VAE's file
    stays what it was before objectives existed; likewise the architecture names its `network` only when it is
    not the paper's "conv", the default `load_model` rebuilds without one).

    The whole training split lives on the device and batches are drawn there by a seeded
    permutation, so the same seed gives the same weights on CPU (for a given thread count); the
    device decides the memory layout (`prepare_training`). Every `checkpoint_every` epochs
    the model, the optimiser, the epoch, every random state and the logged curves are saved to
    `checkpoint_path(model_path)`; a later call with the same settings and data resumes from it
    and ends with the same bytes as an uninterrupted run. It is removed once `model_path` is written,
    and kept when training stops early (killed, or a non-finite loss). `precision="bf16"` trains under
    bfloat16 autocast and `compile_model` through torch.compile (both for GPUs; neither gives float32's bytes).
    A supervised objective (MMVAE) reads each image's label of `attribute` (attributes.py) and steps its MINE
    critics before each step of the VAE.
    """
    device = device or default_device()
    torch.manual_seed(seed)
    label_arrays, classes = [], None  # a supervised objective's attribute labels, in the data's fingerprint too
    if attribute is None:
        train_images, val_images = split_images(data_path, "train"), split_images(data_path, "val")
    else:
        (train_images, train_labels, names), (val_images, val_labels, _) = (
            attribute.labelled_split(data_path, split) for split in ("train", "val"))
        label_arrays, classes = [train_labels, val_labels], len(names)
    x_train, x_val = images_on_device(train_images, device), images_on_device(val_images, device)
    architecture = dict(image_shape=tuple(x_train.shape[1:]), channels=list(channels), hidden=hidden, latents=latents,
                        likelihood=likelihood, sigma2_x=sigma2_x)
    beyond_paper = {"network": network} if network != "conv" else {}  # a conv model's files: as before networks
    architecture |= beyond_paper
    model = BetaVAE(**architecture)
    y_train, y_val = (torch.from_numpy(array).to(device) for array in label_arrays) if label_arrays else (None, None)
    loss = build_objective(objective, objective_settings, beta=beta, latents=latents, dataset_size=len(train_images),
                           classes=classes)
    optimizer = prepare_training(model, loss, lr, device)
    network = torch.compile(model) if compile_model else model  # shares the parameters saved below
    generator = torch.Generator(device="cpu").manual_seed(seed)
    settings = dict(architecture, image_shape=list(architecture["image_shape"]), beta=beta, batch_size=batch_size, precision=precision,
                    lr=lr, seed=seed, objective=loss.description(), data=data_fingerprint(train_images, val_images, *label_arrays))
    checkpoint = checkpoint_path(model_path)
    state = _resumable_state(checkpoint, settings, epochs)
    history = []  # per epoch: the metrics logged to DVCLive, replayed on resume so the curves are whole
    saved_epoch = None
    if state is not None:
        try:
            model.load_state_dict(state["model"])
            loss.load_state_dict(state["objective"])
            optimizer.load_state_dict(state["optimizer"])
            generator.set_state(state["generator"])
            torch.set_rng_state(state["torch_rng"])
            if device.type == "cuda" and state.get("cuda_rng") is not None:
                torch.cuda.set_rng_state(state["cuda_rng"], device)
        except (RuntimeError, KeyError, TypeError, ValueError, IndexError, AttributeError) as error:
            raise ValueError(f"{checkpoint}: unreadable training checkpoint ({first_line(error)}); delete it to "
                             "train from the start") from error
        history, saved_epoch = state["history"], state["epoch"]

    with live_logger(live_dir) as live:
        live.log_params({"objective": objective, "beta": beta, "sigma2_x": sigma2_x, "likelihood": likelihood, "latents": latents,
                         "epochs": epochs, "lr": lr, **beyond_paper})
        for metrics in history:
            _log_epoch(live, metrics)
        progress = tqdm(range(len(history), epochs), desc=f"train {objective} beta={beta:g}", unit="epoch",
                        initial=len(history), total=epochs)
        for epoch in progress:
            totals = train_epoch(network, optimizer, x_train, torch.randperm(len(x_train), generator=generator),
                                 loss, sigma2_x, batch_size, precision, y_train)
            if not all(math.isfinite(value) for value in totals.values()):
                kept = (f"the last good checkpoint {checkpoint} (epoch {saved_epoch}) is kept" if saved_epoch
                        else "no checkpoint was written yet")
                raise FloatingPointError(f"{model_path}: training diverged at epoch {epoch + 1} (loss "
                                         f"{totals['loss']}); nothing written, {kept}; lower the learning rate "
                                         "or raise sigma2_x")
            validation = evaluate(model, x_val, loss, sigma2_x, batch_size, y_val)
            metrics = {f"train/{name}": value for name, value in totals.items()}
            metrics |= {f"val/{name}": value for name, value in validation.items()}
            history.append(metrics)
            _log_epoch(live, metrics)
            progress.set_postfix(loss=f"{totals['loss']:.1f}", sse=f"{totals['sse']:.2f}", kl=f"{totals['kl']:.2f}")
            if (epoch + 1) % checkpoint_every == 0 and epoch + 1 < epochs:
                save_torch({"settings": settings, "epoch": epoch + 1, "history": history,
                            "model": model.state_dict(), "objective": loss.state_dict(),
                            "optimizer": optimizer.state_dict(),
                            "generator": generator.get_state(), "torch_rng": torch.get_rng_state(),
                            "cuda_rng": torch.cuda.get_rng_state(device) if device.type == "cuda" else None},
                           checkpoint)
                saved_epoch = epoch + 1

    model.to(memory_format=torch.contiguous_format)  # the saved weights do not depend on the training device
    saved = {"architecture": architecture, "state_dict": model.state_dict(), "beta": beta, "sigma2_x": sigma2_x,
             "epochs": epochs}
    if objective != DEFAULT:
        saved |= {"objective": loss.description(), "objective_state": loss.state_dict()}
    save_torch(saved, model_path)
    checkpoint.unlink(missing_ok=True)
    return {name.replace("/", "_"): value for name, value in history[-1].items()}


def live_logger(live_dir: str | Path):
    """DVCLive's logger for one training run, its metrics under `live_dir`.

    Every run in a repository signals VS Code's DVC extension through one file,
    .dvc/tmp/exps/run/DVCLIVE_STEP_COMPLETED, which DVCLive (3.49) removes as the last step of `Live.end`, after
    checking that it exists. Two training jobs ending together (Snakemake runs them side by side) can both pass
    the check, and the second remove failed its job after everything was written; that one missing file is no error."""
    from dvclive import Live

    class JobLive(Live):
        def end(self) -> None:
            try:
                super().end()
            except FileNotFoundError as error:
                if Path(error.filename or "").name != "DVCLIVE_STEP_COMPLETED":
                    raise

    return JobLive(str(live_dir), dvcyaml=None, save_dvc_exp=False, report=None)


def prepare_training(model: BetaVAE, objective: Objective, lr: float, device: torch.device) -> torch.optim.Adam:
    """Move `model` and `objective` to `device` as training runs fastest there, and return their Adam: fused,
    one kernel over all parameters instead of a dozen foreach passes (0.5 ms a step instead of 2 on the CPU:
    3-10% of a step).

    The one place where the CPU and a GPU differ (measured at 1 and 2 threads, bench_training.py):
    - the CPU: glibc keeps the memory a step frees for the next (`_keep_freed_memory`, process-wide; 10-15%
      of a step), and the convolution weights, and so the activations, are channels-last, the layout
      oneDNN computes in (NCHW costs a reorder in and out of every call: 5-8% of a CelebA step, up to 4%
      of MNIST's and DEAP's);
    - a GPU keeps NCHW (cuDNN's float32 path as before; not measured here).
    On both the data stay in their stored dtype on the device (`models.images_on_device`); on the CPU that
    is the host memory they were read into, so the device-resident path is also the copy-free one.
    Channels-last and fused Adam change float32's bytes against NCHW and foreach Adam, not the loss."""
    if device.type == "cpu":
        _keep_freed_memory()
        model.to(device, memory_format=torch.channels_last)
    else:
        model.to(device)
    objective.to(device)
    return torch.optim.Adam([*model.parameters(), *objective.trained_parameters()], lr=lr, fused=True)


M_TRIM_THRESHOLD, M_MMAP_THRESHOLD = -1, -3  # mallopt's parameters, from glibc's malloc.h


def _keep_freed_memory() -> None:
    """Let glibc's malloc keep the blocks a training step frees for the next step instead of returning them to
    the kernel (blocks up to 32 MB come from the heap, trimmed only past 1 GB free): otherwise every step's
    activations (8 MB each for CelebA) land on fresh pages, and faulting them in took 13% of a CPU step (11%
    for MNIST). A no-op elsewhere."""
    mallopt = getattr(ctypes.CDLL(None), "mallopt", None) if sys.platform.startswith("linux") else None
    if mallopt is not None:
        mallopt(M_MMAP_THRESHOLD, 32 << 20)  # glibc's largest; setting it also stops its dynamic adjustment
        mallopt(M_TRIM_THRESHOLD, 1 << 30)


def train_epoch(model: BetaVAE, optimizer, images: torch.Tensor, order: torch.Tensor, objective: Objective,
                sigma2_x: float, batch_size: int, precision: str = "float32",
                labels: torch.Tensor | None = None) -> dict[str, float]:
    """One pass of Adam over `images` (on the model's device, any dtype) in the given order; the mean loss,
    SSE, KL and the objective's other scalar terms per batch. The sums stay on the device (one
    synchronisation per epoch, not per batch); `precision="bf16"` runs the network under bfloat16
    autocast, the loss in float32. With attribute `labels` (a supervised objective), its critics step up their
    bounds on each batch's codes before the VAE steps down (the thesis's Algorithm 1)."""
    model.train()
    order = order.to(images.device)
    batches = math.ceil(len(images) / batch_size)
    sums = None
    for start in range(0, len(images), batch_size):
        rows = order[start:start + batch_size]
        batch = as_float(images.index_select(0, rows))  # whole rows: 20x indexing
        batch_labels = None if labels is None else labels.index_select(0, rows)
        with torch.autocast(images.device.type, dtype=torch.bfloat16, enabled=precision == "bf16"):
            x_params, mu, logvar, z = model(batch)
        if batch_labels is not None:
            objective.critic_step(z.float(), batch_labels)
        terms = vae_loss(batch, x_params.float(), mu.float(), logvar.float(), z.float(), objective, sigma2_x,
                         model.noise, batch_labels)
        optimizer.zero_grad(set_to_none=True)
        terms["loss"].backward()
        optimizer.step()
        sums = _add_weighted_terms(sums, terms, 1, batches)
    return dict(zip(logged_terms(terms), sums.tolist()))


def _add_weighted_terms(sums: torch.Tensor | None, terms: dict[str, torch.Tensor], count: int,
                        total: int) -> torch.Tensor:
    """`sums` plus a batch's logged terms times count / total, in float64 on their device (read back once, after
    the last batch)."""
    values = torch.stack([terms[name] for name in logged_terms(terms)]).detach().double() * count / total
    return values if sums is None else sums + values


def logged_terms(terms: dict[str, torch.Tensor]) -> list[str]:
    """The scalar terms of a loss that training logs: loss, SSE, KL, then the objective's own (per-factor
    vectors are left out)."""
    return ["loss", "sse", "kl"] + [name for name, value in terms.items()
                                    if name not in ("loss", "sse", "kl") and value.ndim == 0]


def _log_epoch(live, metrics: dict[str, float]) -> None:
    """One epoch's metrics as one DVCLive step."""
    for name, value in metrics.items():
        live.log_metric(name, value)
    live.next_step()


def _resumable_state(path: Path, settings: dict, epochs: int) -> dict | None:
    """The checkpoint at `path` if it was written for these settings and data and before `epochs`; else None
    (a stale one is reported and later overwritten). An unreadable checkpoint is an error: it is never
    silently discarded."""
    if not path.exists():
        return None
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except (OSError, RuntimeError, KeyError, EOFError, TypeError, ValueError, pickle.UnpicklingError) as error:
        raise ValueError(f"{path}: unreadable training checkpoint ({first_line(error)}); delete it to train "
                         "from the start") from error
    problem = _checkpoint_problem(state, ("settings", "epoch"))  # enough to tell whether it is this run's
    if problem:
        raise ValueError(f"{path}: unreadable training checkpoint ({problem}); delete it to train from the start")
    saved, epoch = state["settings"], state["epoch"]
    if saved != settings or not 0 < epoch < epochs:
        changed = sorted(key for key in settings.keys() | saved.keys() if saved.get(key) != settings.get(key))
        reason = f"settings differ: {changed}" if changed else f"epoch {epoch} is not before {epochs}"
        print(f"{path}: not resumed ({reason}); training from the start", file=sys.stderr)
        return None
    problem = _checkpoint_problem(state, tuple(CHECKPOINT_TYPES))
    if problem:
        raise ValueError(f"{path}: unreadable training checkpoint ({problem}); delete it to train from the start")
    print(f"{path}: resuming after epoch {epoch} of {epochs}", file=sys.stderr)
    return state


CHECKPOINT_TYPES = {"settings": dict, "epoch": int, "history": list, "model": dict, "objective": dict, "optimizer": dict,
                    "generator": torch.Tensor, "torch_rng": torch.Tensor}


def _checkpoint_problem(state, keys: tuple[str, ...]) -> str | None:
    """What makes a loaded training checkpoint unusable (a missing key, a wrong type among `keys`), or None."""
    if not isinstance(state, dict):
        return f"expected a dict, got {type(state).__name__}"
    missing = [key for key in keys if key not in state]
    if missing:
        return f"missing {missing}"
    wrong = [f"{key} is {type(state[key]).__name__}, not {CHECKPOINT_TYPES[key].__name__}" for key in keys
             if not isinstance(state[key], CHECKPOINT_TYPES[key])
             or (CHECKPOINT_TYPES[key] is int and isinstance(state[key], bool))]
    if wrong:
        return "; ".join(wrong[:3])
    if "history" not in keys:
        return None
    if not all(isinstance(metrics, dict) for metrics in state["history"]):
        return "history is not a list of per-epoch metrics"
    if state["epoch"] != len(state["history"]):
        return f"epoch {state['epoch']} with {len(state['history'])} epochs of history"
    return None


@torch.inference_mode()
def evaluate(model: BetaVAE, images: torch.Tensor, objective: Objective, sigma2_x: float,
             batch_size: int, labels: torch.Tensor | None = None) -> dict[str, float]:
    """The objective's mean negative ELBO, SSE, KL and other scalar terms per image over `images` (one
    posterior sample each), summed on the device and read back once."""
    model.eval()
    sums = None
    for start in range(0, len(images), batch_size):
        batch = as_float(images[start:start + batch_size])
        batch_labels = None if labels is None else labels[start:start + batch_size]
        terms = vae_loss(batch, *model(batch), objective, sigma2_x, model.noise, batch_labels)
        sums = _add_weighted_terms(sums, terms, len(batch), len(images))
    return dict(zip(logged_terms(terms), sums.tolist()))
