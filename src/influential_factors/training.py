"""Training a beta-VAE on a processed image data set, with DVCLive metrics and a progress bar."""

from __future__ import annotations

import io
import math
from pathlib import Path

import numpy as np
import torch
from tqdm import tqdm

from .artifacts import atomic_path
from .datasets import load_split
from .deap_videos import load_videos
from .models import BetaVAE, beta_vae_loss


def default_device() -> torch.device:
    """CUDA when present, CPU otherwise."""
    return torch.device("cuda" if torch.cuda.is_available() else "cpu")


def images_to_tensor(images: np.ndarray, device: torch.device) -> torch.Tensor:
    """Images (N, C, H, W) -> float32 on `device` (converted there); uint8 pixels are scaled to [0, 1]."""
    tensor = torch.from_numpy(np.ascontiguousarray(images)).to(device)
    return tensor.float().div_(255.0) if tensor.dtype == torch.uint8 else tensor.float()


def split_images(data_path: str | Path, split: str) -> np.ndarray:
    """The images of one split: a processed .npz's uint8 images, or for a DEAP video folder the
    frames of every video in the split (the frame-wise VAE), read once from the memory map."""
    if Path(data_path).is_dir():
        videos, meta = load_videos(data_path)
        frames = np.asarray(videos[np.sort(meta[split])])
        return frames.reshape(-1, *videos.shape[2:])
    return load_split(data_path, split)[0]


def train_vae(data_path: str | Path, model_path: str | Path, live_dir: str | Path, *, beta: float,
              sigma2_x: float, channels: list[int], hidden: int, latents: int, epochs: int,
              batch_size: int, lr: float, seed: int, likelihood: str = "gaussian",
              device: torch.device | None = None) -> dict[str, float]:
    """Train a BetaVAE by Adam on the negative beta-ELBO; save weights and architecture to `model_path`.

    The whole training split lives on the device and batches are drawn there by a seeded
    permutation, so the same seed gives the same weights on CPU.
    """
    from dvclive import Live

    device = device or default_device()
    torch.manual_seed(seed)
    x_train = images_to_tensor(split_images(data_path, "train"), device)
    x_val = images_to_tensor(split_images(data_path, "val"), device)
    architecture = dict(image_shape=tuple(x_train.shape[1:]), channels=list(channels), hidden=hidden, latents=latents,
                        likelihood=likelihood, sigma2_x=sigma2_x)
    model = BetaVAE(**architecture).to(device)
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    generator = torch.Generator(device="cpu").manual_seed(seed)
    batches_per_epoch = math.ceil(len(x_train) / batch_size)

    with Live(str(live_dir), dvcyaml=None, save_dvc_exp=False, report=None) as live:
        live.log_params({"beta": beta, "sigma2_x": sigma2_x, "likelihood": likelihood, "latents": latents,
                         "epochs": epochs, "lr": lr})
        progress = tqdm(range(epochs), desc=f"train beta={beta:g}", unit="epoch")
        for epoch in progress:
            model.train()
            order = torch.randperm(len(x_train), generator=generator).to(device)
            totals = {"loss": 0.0, "sse": 0.0, "kl": 0.0}
            for start in range(0, len(x_train), batch_size):
                batch = x_train[order[start:start + batch_size]]
                x_mean, mu, logvar = model(batch)
                terms = beta_vae_loss(batch, x_mean, mu, logvar, beta, sigma2_x, model.noise)
                optimizer.zero_grad(set_to_none=True)
                terms["loss"].backward()
                optimizer.step()
                for name in totals:
                    totals[name] += terms[name].item() / batches_per_epoch
            if not all(math.isfinite(value) for value in totals.values()):
                raise FloatingPointError(f"{model_path}: training diverged at epoch {epoch + 1} (loss {totals['loss']})")
            validation = evaluate(model, x_val, beta, sigma2_x, batch_size)
            for name, value in totals.items():
                live.log_metric(f"train/{name}", value)
            for name, value in validation.items():
                live.log_metric(f"val/{name}", value)
            live.next_step()
            progress.set_postfix(loss=f"{totals['loss']:.1f}", sse=f"{totals['sse']:.2f}", kl=f"{totals['kl']:.2f}")

    checkpoint = io.BytesIO()  # saved via a buffer: torch names the archive after a file, a random temp one here
    torch.save({"architecture": architecture, "state_dict": model.state_dict(), "beta": beta,
                "sigma2_x": sigma2_x, "epochs": epochs}, checkpoint)
    with atomic_path(model_path) as tmp:
        tmp.write_bytes(checkpoint.getvalue())
    return {"train_" + name: value for name, value in totals.items()} | {"val_" + k: v for k, v in validation.items()}


@torch.no_grad()
def evaluate(model: BetaVAE, images: torch.Tensor, beta: float, sigma2_x: float, batch_size: int) -> dict[str, float]:
    """Mean negative beta-ELBO, SSE and KL per image over `images` (one posterior sample each)."""
    model.eval()
    totals = {"loss": 0.0, "sse": 0.0, "kl": 0.0}
    for start in range(0, len(images), batch_size):
        batch = images[start:start + batch_size]
        terms = beta_vae_loss(batch, *model(batch), beta, sigma2_x, model.noise)
        for name in totals:
            totals[name] += terms[name].item() * len(batch) / len(images)
    return totals


def load_model(model_path: str | Path, device: torch.device | None = None) -> BetaVAE:
    """Rebuild a trained BetaVAE from a checkpoint written by `train_vae`."""
    device = device or default_device()
    try:
        checkpoint = torch.load(model_path, map_location=device, weights_only=True)
        model = BetaVAE(**checkpoint["architecture"])
        model.load_state_dict(checkpoint["state_dict"])
    except (OSError, RuntimeError, KeyError, EOFError) as error:
        raise ValueError(f"{model_path}: not a readable beta-VAE checkpoint ({error})") from error
    return model.to(device).eval()
