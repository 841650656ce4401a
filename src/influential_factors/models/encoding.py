"""Encoding once: posterior means and log-variances of every test image, or of every frame of every
DEAP video (the frame-wise VAE's codes, with the split beside them; deap_encoding.py), saved as
`Posteriors` (posteriors.py) for every later step."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch

from ..data.datasets import load_split
from .vae import images_to_tensor, load_model
from ..data.posteriors import Posteriors


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
    Posteriors(mu, logvar, labels).save(output)
    return len(mu)
