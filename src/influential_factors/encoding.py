"""Encoding once: posterior means and log-variances of every test image, or of every frame of every
DEAP video (the frame-wise VAE's codes, with the split beside them), saved for reuse."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch

from .artifacts import load_arrays, save_arrays
from .datasets import SPLITS, load_split
from .deap_videos import load_videos
from .mi import non_finite_problem
from .models import images_to_tensor, load_model

POSTERIOR_ARRAYS = ("mu", "logvar", "labels")


@torch.no_grad()
def encode_images(model, images: np.ndarray, batch_size: int = 1024) -> tuple[np.ndarray, np.ndarray]:
    """mu(x) and log sigma^2(x) of q(z|x) for uint8 images, as float32 arrays (N, latents)."""
    device = next(model.parameters()).device
    mus, logvars = [], []
    for start in range(0, len(images), batch_size):
        mu, logvar = model.encode(images_to_tensor(images[start:start + batch_size], device))
        mus.append(mu.cpu().numpy())
        logvars.append(logvar.cpu().numpy())
    return np.concatenate(mus), np.concatenate(logvars)


def encode_split(model_path: str | Path, data_path: str | Path, output: str | Path, split: str = "test") -> int:
    """Encode one split of a processed data set and save `mu`, `logvar` and `labels` to `output`."""
    model = load_model(model_path)
    images, labels = load_split(data_path, split)
    mu, logvar = encode_images(model, images)
    save_arrays(output, mu=mu, logvar=logvar, labels=labels)
    return len(mu)


def encode_videos(model_path: str | Path, video_dir: str | Path, output: str | Path, videos_per_batch: int = 16) -> int:
    """Encode every frame of every video: `mu`, `logvar` (videos, frames, latents), `labels` (the
    emotion classes) and the split's `train`, `val`, `test` video indices."""
    model = load_model(model_path)
    videos, meta = load_videos(video_dir)
    mus, logvars = [], []
    for start in range(0, len(videos), videos_per_batch):
        chunk = np.array(videos[start:start + videos_per_batch])  # a writable copy of the memory map
        mu, logvar = encode_images(model, chunk.reshape(-1, *chunk.shape[2:]))
        mus.append(mu.reshape(len(chunk), chunk.shape[1], -1))
        logvars.append(logvar.reshape(len(chunk), chunk.shape[1], -1))
    save_arrays(output, mu=np.concatenate(mus), logvar=np.concatenate(logvars), labels=meta["classes"],
                **{split: meta[split] for split in SPLITS})
    return len(videos)


def posteriors_of_test_set(posteriors: dict[str, np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """(mu, logvar) as (samples, latents) of the test set: the encoded test images, or every frame
    of the test videos (the paper estimates DEAP's information on test-set frames)."""
    mu, logvar = posteriors["mu"], posteriors["logvar"]
    if mu.ndim == 2:
        return mu, logvar
    test = posteriors["test"]
    return mu[test].reshape(-1, mu.shape[-1]), logvar[test].reshape(-1, mu.shape[-1])


def load_posteriors(path: str | Path) -> dict[str, np.ndarray]:
    """The saved posterior parameters, checked for shape agreement and finite values."""
    arrays = load_arrays(path, required=POSTERIOR_ARRAYS)
    mu, logvar = arrays["mu"], arrays["logvar"]
    if mu.ndim not in (2, 3) or mu.shape != logvar.shape or len(arrays["labels"]) != len(mu):
        raise ValueError(f"{path}: mu {mu.shape}, logvar {logvar.shape} and labels {arrays['labels'].shape} disagree")
    problem = non_finite_problem(mu, logvar)
    if problem:
        raise ValueError(f"{path}: {problem}")
    if mu.ndim == 3 and not all(split in arrays for split in SPLITS):
        raise ValueError(f"{path}: encoded videos need their {SPLITS} indices")
    return arrays
