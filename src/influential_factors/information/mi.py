"""Mutual information between the input and each latent factor: the paper's Algorithm 1.

With q(z_h|x_m) = N(mu_h(x_m), sigma_h^2(x_m)) over M samples, the zero-mean factorised
q*(z_h) = N(0, s_h^2) minimising mean_m KL(q(z_h|x_m) || q*(z_h)) has the closed form
    s_h^2 = mean_m [sigma_h^2(x_m) + mu_h^2(x_m)],
and the estimate is
    I_est(x; z_h) = mean_m KL(q(z_h|x_m) || q*(z_h)) = 1/2 [log s_h^2 - mean_m log sigma_h^2(x_m)],
an upper bound on I(x; z_h) (it exceeds it by KL(q(z_h) || q*(z_h))). I_est(x; z) = sum_h I_est(x; z_h).

Numerics: sigma_h = 0 (log sigma^2 = -inf) makes the estimate undefined and is rejected, as are NaN
and +inf. Finite log-variances are clamped to [LOGVAR_FLOOR, LOGVAR_CEILING]: below about -745 exp()
underflows to 0 in float64, and a factor with mu = 0 everywhere would then take log 0 in s_h^2. The
floor, sigma^2 >= e^-30 (sigma >= 3e-7, far below any trained encoder's), keeps s_h^2 >= e^-30 and
leaves every value a VAE produces unchanged; the ceiling keeps exp() from overflowing.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd

from ..data.posteriors import non_finite_problem


LOGVAR_FLOOR = -30.0
LOGVAR_CEILING = 30.0


def check_posteriors(mu: np.ndarray, logvar: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """mu and logvar as float64 (samples, factors), finite, with logvar clamped as documented above."""
    mu, logvar = np.asarray(mu, dtype=np.float64), np.asarray(logvar, dtype=np.float64)
    if mu.ndim != 2 or mu.shape != logvar.shape or len(mu) == 0:
        raise ValueError(f"mu and logvar must be equal, non-empty (samples, factors) arrays, got {mu.shape} and {logvar.shape}")
    problem = non_finite_problem(mu, logvar)
    if problem:
        raise ValueError(problem)
    return mu, np.clip(logvar, LOGVAR_FLOOR, LOGVAR_CEILING)


def optimal_prior_variance(mu: np.ndarray, logvar: np.ndarray) -> np.ndarray:
    """s_h^2 = mean_m (sigma_h^2(x_m) + mu_h^2(x_m)): the variance of the closed-form q*(z_h)."""
    mu, logvar = check_posteriors(mu, logvar)
    return np.mean(np.exp(logvar) + mu**2, axis=0)


def information_per_factor(mu: np.ndarray, logvar: np.ndarray) -> np.ndarray:
    """I_est(x; z_h) in nats for every factor h (Algorithm 1)."""
    mu, logvar = check_posteriors(mu, logvar)
    return 0.5 * (np.log(optimal_prior_variance(mu, logvar)) - logvar.mean(axis=0))


def variance_indicator(mu: np.ndarray) -> np.ndarray:
    """sigma^2_{z_h} = Var_m mu_h(x_m): the variance indicator the paper argues against."""
    return np.var(np.asarray(mu, dtype=np.float64), axis=0)


def information_table(mu: np.ndarray, logvar: np.ndarray, threshold: float | None = None) -> pd.DataFrame:
    """One row per factor: I_est, variance indicator, mean posterior variance, rank and (with a `threshold`)
    the influence flag.

    Rank 1 is the most informative factor; ties keep index order. A factor is influential when
    I_est exceeds `threshold` (the paper uses 0.7 nats for MNIST).
    """
    information = information_per_factor(mu, logvar)
    ranks = np.empty(len(information), dtype=np.int64)
    ranks[rank_order(information)] = np.arange(1, len(information) + 1)
    table = pd.DataFrame({
        "factor": np.arange(len(information)),
        "I_est": information,
        "variance": variance_indicator(mu),
        "mean_sigma2": np.exp(check_posteriors(mu, logvar)[1]).mean(axis=0),
        "rank": ranks,
    })
    return table if threshold is None else flag_influential(table, threshold)


def flag_influential(table: pd.DataFrame, threshold: float) -> pd.DataFrame:
    """`table` with the column `influential`: I_est above `threshold`."""
    return table.assign(influential=table["I_est"].to_numpy() > threshold)


def rank_order(information: np.ndarray) -> np.ndarray:
    """Factor indices from most to least informative; equal values keep index order."""
    return np.argsort(-np.asarray(information), kind="stable")


def top_k_count(percent: float, n_factors: int) -> int:
    """Number of factors in the top `percent`%: ceil(percent / 100 * n_factors)."""
    if not 0 <= percent <= 100:
        raise ValueError(f"top-k percentage must lie in [0, 100], got {percent}")
    return min(n_factors, math.ceil(round(percent * n_factors / 100, 9)))


def top_k_factors(information: np.ndarray, percent: float) -> np.ndarray:
    """Indices of the top `percent`% factors by information (ties: lower index first)."""
    return rank_order(information)[: top_k_count(percent, len(information))]


def estimate_information(posteriors: str | Path, output_stem: str | Path) -> pd.DataFrame:
    """Algorithm 1 on the test posteriors of an encode file: the information table without the influence
    flag (no threshold: changing it re-runs `flag-influential` only), saved as STEM.csv, .parquet and .md
    (`estimate-mi`)."""
    from ..core.artifacts import save_table
    from ..data.posteriors import load_posteriors

    table = information_table(*load_posteriors(posteriors).test_codes())
    save_table(table, output_stem)
    return table


def write_influential(estimates: str | Path, output_stem: str | Path, *, threshold: float) -> pd.DataFrame:
    """`flag-influential`: estimate-mi's table (its exact floats, from the Parquet file) with the influence
    flag, saved as STEM.csv, .parquet and .md."""
    from ..core.artifacts import save_table

    table = flag_influential(pd.read_parquet(estimates), threshold)
    save_table(table, output_stem)
    return table


def read_information(path: str | Path) -> pd.DataFrame:
    """An information table written by `estimate_information` (or with the flag, `write_influential`),
    checked for its columns."""
    try:
        table = pd.read_csv(path)
    except (OSError, pd.errors.ParserError, pd.errors.EmptyDataError) as error:
        raise ValueError(f"{path}: not a readable information table ({error})") from error
    missing = {"factor", "I_est", "variance"} - set(table.columns)
    if missing:
        raise ValueError(f"{path}: information table lacks columns {sorted(missing)}")
    values = table[["I_est", "variance"]].apply(pd.to_numeric, errors="coerce").to_numpy(dtype=float)
    if table.empty or not np.isfinite(values).all():
        raise ValueError(f"{path}: information table is empty or holds non-numeric, NaN or infinite I_est/variance")
    return table
