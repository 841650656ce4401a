"""Top-k factor ablation (the paper's Tables 1 and 2, Figure 4): keep the k% most informative factors, zero the rest."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import torch

from ..information.mi import read_information, top_k_factors
from ..models.vae import images_to_tensor, squared_errors


def keep_factors(codes: np.ndarray, kept: np.ndarray) -> np.ndarray:
    """A copy of `codes` (..., factors) with every factor not in `kept` set to 0 (in every frame)."""
    mask = np.zeros(codes.shape[-1], dtype=bool)
    mask[kept] = True
    return np.where(mask, codes, 0).astype(codes.dtype)


@torch.no_grad()
def reconstruction_scores(model, images: np.ndarray, codes: np.ndarray, batch_size: int = 1024) -> tuple[float, float]:
    """The decoded codes against images in [0, 1]: the mean per-image sum of squared errors, and the mean log p(x|z)
    in nats per image under the model's likelihood (BetaVAE.log_likelihood; ISA-VAE's reconstruction measure)."""
    device = next(model.parameters()).device
    sse = log_px = 0.0
    for start in range(0, len(images), batch_size):
        x = images_to_tensor(images[start:start + batch_size], device)
        x_params = model.decoder(torch.from_numpy(codes[start:start + batch_size]).to(device))
        sse += squared_errors(model.decode_params(x_params), x).sum().item()
        log_px += model.log_likelihood(x, x_params).double().sum().item()
    return sse / len(images), log_px / len(images)


def reconstruction_table(model, images: np.ndarray, mu: np.ndarray, information: np.ndarray,
                         percents: list[float]) -> pd.DataFrame:
    """Table 1: for each top-k%, the factors kept, I_used = sum of their I_est, the mean SSE, and the mean
    log p(x|z) of the test images (nats per image)."""
    rows = []
    for percent in sorted(percents, reverse=True):
        kept = top_k_factors(information, percent)
        sse, log_px = reconstruction_scores(model, images, keep_factors(mu, kept))
        rows.append({"top_percent": percent, "n_factors": len(kept), "I_used": float(np.sum(information[kept])),
                     "mse": sse, "log_px": log_px})
    return pd.DataFrame(rows)


@torch.no_grad()
def topk_reconstructions(model, mu: np.ndarray, information: np.ndarray, percents: list[float]) -> np.ndarray:
    """Figure 4: decoded images (percents, images, C, H, W) of the codes `mu` with only the top k% factors kept."""
    device = next(model.parameters()).device
    codes = np.stack([keep_factors(mu, top_k_factors(information, percent)) for percent in percents])
    decoded = model.decode(torch.from_numpy(codes.reshape(-1, mu.shape[-1]).astype(np.float32)).to(device))
    return decoded.cpu().numpy().reshape(len(percents), len(mu), *decoded.shape[1:])


def topk_metrics(table: pd.DataFrame, information: pd.DataFrame, column: str) -> dict:
    """The headline numbers of Table 1 or 2: total I_est, influential factors, and per top-k% (keyed `top<k>`)
    I_used and `column` (its `_mean` suffix dropped in the key; its `_std` beside it when the table has one)."""
    def per_k(name: str) -> dict:
        return {f"top{k:g}": float(value) for k, value in zip(table["top_percent"], table[name])}

    metrics = {"I_total": float(information["I_est"].sum())}
    if "influential" in information:  # estimate-mi's table has no flag: influential-metrics adds the count
        metrics["n_influential"] = int(information["influential"].sum())
    metrics |= {"I_used": per_k("I_used"), column.removesuffix("_mean"): per_k(column)}
    spread = column.removesuffix("_mean") + "_std"
    if column.endswith("_mean") and spread in table:
        metrics[spread] = per_k(spread)
    return metrics


def save_topk_results(table: pd.DataFrame, information: pd.DataFrame, output_stem: str | Path,
                      metrics: str | Path, column: str) -> None:
    """Table 1 or 2 as CSV, Parquet and Markdown, and its `topk_metrics` as the metrics JSON."""
    from ..core.artifacts import save_json, save_table

    save_table(table, output_stem)
    save_json(metrics, topk_metrics(table, information, column))


def add_influential_count(topk_metrics_path: str | Path, estimates: str | Path, metrics: str | Path, *,
                          threshold: float) -> dict:
    """`influential-metrics`: the metrics of Table 1 or 2 written without a threshold, with n_influential (the
    factors of estimate-mi's table, its exact floats from the Parquet file, above `threshold`: flag-influential's
    count) after I_total, where `topk_metrics` puts it; returned and saved as `metrics`."""
    import json

    from ..core.artifacts import save_json
    from ..information.mi import flag_influential

    partial = json.loads(Path(topk_metrics_path).read_text())
    count = int(flag_influential(pd.read_parquet(estimates), threshold)["influential"].sum())
    result = {"I_total": partial.pop("I_total"), "n_influential": count} | partial
    save_json(metrics, result)
    return result


def topk_labels(percents: list[float], n_factors: int) -> list[str]:
    """Figure 4's column labels: each top-k% and the number of factors it keeps."""
    from ..information.mi import top_k_count

    return [f"{percent:g}%\n({top_k_count(percent, n_factors)})" for percent in percents]


def ablate_topk(model: str | Path, data: str | Path, posteriors: str | Path, information: str | Path,
                output_stem: str | Path, metrics: str | Path, figure: list[str | Path], *, percents: list[float],
                images: int, title: str) -> pd.DataFrame:
    """Table 1 (`ablate-topk`) on the test images, saved with its metrics (`save_topk_results`), and Figure 4
    from the same model and codes: the first `images` test images and their reconstructions from the top-k%
    factors, k descending, drawn to every `figure` path."""
    from ..data.datasets import load_split
    from ..reporting.figures import plot_topk_generation
    from ..models.vae import load_model
    from ..data.posteriors import load_posteriors

    factors = read_information(information)
    mu = load_posteriors(posteriors)["mu"]
    originals, _ = load_split(data, "test")
    if mu.ndim != 2 or len(originals) != len(mu) or len(factors) != mu.shape[1]:
        raise ValueError(f"{posteriors}: does not match {data} (test images) or {information} (factors)")
    decoder, values, percents = load_model(model), factors["I_est"].to_numpy(), sorted(percents, reverse=True)
    table = reconstruction_table(decoder, originals, mu, values, percents)
    save_topk_results(table, factors, output_stem, metrics, "mse")
    plot_topk_generation(originals[:images] / 255.0, topk_reconstructions(decoder, mu[:images], values, percents),
                         topk_labels(percents, len(values)), title, *figure)
    return table
