"""All estimators side by side: one table per model, the rank agreement between them, and the
synthetic benchmark that scores each against the known truth (synthetic.py).

Which bound each one is (the truth lies between the lower and the upper ones):
- upper: Algorithm 1 (I + KL(q(z_h) || q*)), the free-mean q*, the mean KL to the prior;
- lower: the mixture estimator (it is InfoNCE with the true critic log q(z|x), so it is below I in
  expectation and at most log M; consistent as M grows) and the neural InfoNCE bound.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from .estimators import (active_units, free_mean_information, kl_to_prior, mixture_information,
                         optimal_prior_kl)
from .mi import information_per_factor, rank_order, variance_indicator

# Columns that rank factors, with the bound each one is on I(x; z_h) ("indicator": not an estimate of it).
RANKED = {"I_est": "upper", "I_free": "upper", "I_mixture": "lower", "I_infonce": "lower",
          "kl_prior": "upper", "variance": "indicator"}


def ranks(values: np.ndarray) -> np.ndarray:
    """1 for the largest value, ties in index order; NaN for factors the estimator did not score."""
    scored = ~np.isnan(values)
    result = np.full(len(values), np.nan)
    result[np.flatnonzero(scored)[rank_order(values[scored])]] = np.arange(1, scored.sum() + 1)
    return result


def estimator_table(mu: np.ndarray, logvar: np.ndarray, mixture: np.ndarray,
                    infonce: np.ndarray | None = None) -> pd.DataFrame:
    """One row per factor: every estimator's value (nats), the earlier version's indicators, and the
    rank by each estimator. `mixture` (and `infonce`, NaN where not run) are computed by the caller."""
    information = information_per_factor(mu, logvar)
    table = pd.DataFrame({
        "factor": np.arange(len(information)),
        "I_est": information,  # Algorithm 1 = mean KL(q(z_h|x) || q*_h)
        "I_free": free_mean_information(mu, logvar),
        "I_mixture": mixture,
        "I_infonce": np.full(len(information), np.nan) if infonce is None else infonce,
        "kl_prior": kl_to_prior(mu, logvar),
    })
    table["kl_prior_minus_I_est"] = table["kl_prior"] - table["I_est"]  # the earlier version's difference
    table["kl_q_star_prior"] = optimal_prior_kl(mu, logvar)  # equal to it: the identity in estimators.py
    table["variance"] = variance_indicator(mu)
    table["active"] = active_units(mu)
    for column in RANKED:
        table[f"rank_{column}"] = ranks(table[column].to_numpy())
    return table


def rank_agreement(table: pd.DataFrame) -> pd.DataFrame:
    """Spearman's rho between the rankings of every pair of estimators, on the factors both scored
    (NaN where one of them is constant there: no ranking to compare)."""
    columns = [column for column in RANKED if table[column].notna().sum() >= 3]
    rho = table[columns].corr(method="spearman").to_numpy(copy=True)  # pandas' own: scipy.stats costs a second to import
    np.fill_diagonal(rho, 1.0)
    return pd.DataFrame(rho, index=columns, columns=columns).rename_axis("estimator").reset_index()


def estimator_summary(table: pd.DataFrame, joint_mixture: float, samples: int, threshold: float) -> dict:
    """Totals, the code's total correlation, counts of influential and active factors, agreement.

    `samples` is M, the number of posteriors the mixture estimator used: I_joint_mixture <= log M.
    """
    influential = int((table["I_est"] > threshold).sum())
    top_by = {column: set(rank_order(table[column].fillna(-np.inf).to_numpy())[:influential])
              for column in ("I_est", "I_mixture")}
    summary = {f"total_{column}": float(table[column].sum()) for column in ("I_est", "I_free", "I_mixture", "kl_prior")}
    log_samples = float(np.log(samples))
    summary.update({
        "I_joint_mixture": joint_mixture,
        # the mixture estimator cannot exceed log M: at the cap, I(x; z) is larger and TC smaller than shown
        "log_samples": log_samples,
        "joint_at_cap": bool(joint_mixture > log_samples - 0.1),
        "total_correlation": float(table["I_mixture"].sum() - joint_mixture),
        "n_influential_I_est": influential,
        "n_influential_I_mixture": int((table["I_mixture"] > threshold).sum()),
        "active_units": int(table["active"].sum()),
        "spearman_I_est_I_mixture": float(table[["I_est", "I_mixture"]].corr(method="spearman").iloc[0, 1]),
        "top_influential_agree": float(len(top_by["I_est"] & top_by["I_mixture"]) / influential) if influential else 1.0,
    })
    if table["I_infonce"].notna().any():
        summary["total_I_infonce_scored"] = float(table["I_infonce"].sum())
    return summary


def synthetic_benchmark(samples: int, seed: int, infonce=None) -> pd.DataFrame:
    """Every estimator against the known I(x; z_h) and I(x; z) of the synthetic cases.

    `infonce(mu, logvar) -> (per_factor, joint)` adds the neural bound when given. A bound "holds"
    when it is on its side of the truth up to the sampling tolerance 2 / sqrt(samples).
    """
    from .synthetic import CASES, synthetic_posteriors  # scipy's quadrature: only the benchmark needs it

    tolerance = 2 / np.sqrt(samples)
    rows = []
    for case in CASES:
        mu, logvar, truth, joint_truth = synthetic_posteriors(case, samples, seed)
        mixture, joint_mixture = mixture_information(mu, logvar, seed=seed)
        values = {"I_est": information_per_factor(mu, logvar), "I_free": free_mean_information(mu, logvar),
                  "I_mixture": mixture, "kl_prior": kl_to_prior(mu, logvar)}
        joints = {name: value.sum() for name, value in values.items()} | {"I_mixture": joint_mixture}
        if infonce is not None:
            values["I_infonce"], joints["I_infonce"] = infonce(mu, logvar)
        targets = [(f"z{h}", truth[h], {name: value[h] for name, value in values.items()}) for h in range(len(truth))]
        for target, true_value, estimates in targets + [("z", joint_truth, joints)]:
            for name, value in estimates.items():
                error = float(value - true_value)
                holds = error >= -tolerance if RANKED[name] == "upper" else error <= tolerance
                rows.append({"case": case, "target": target, "estimator": name, "bound": RANKED[name],
                             "truth": float(true_value), "value": float(value), "error": error, "holds": holds})
    return pd.DataFrame(rows)


def compare_estimators(posteriors: str | Path, output_stem: str | Path, agreement_stem: str | Path,
                       joint: str | Path, *, mixture_samples: int, infonce_factors: int, seed: int) -> pd.DataFrame:
    """`compare-estimators`: every estimator of I(x; z_h) on a model's test posteriors, saved as a table
    with ranks, the rankings' Spearman agreement, and the joint mixture estimate with its M as `joint`
    (JSON). No threshold: the summary that counts influential factors is `summarize_estimators`' (cheap)."""
    from ..core.artifacts import save_json, save_table
    from ..data.posteriors import load_posteriors
    from ..models.vae import default_device

    mu, logvar = load_posteriors(posteriors).test_codes()
    device = default_device()
    mixture, joint_mixture = mixture_information(mu, logvar, samples=mixture_samples, seed=seed, device=device,
                                                 progress=True)
    infonce = None
    if infonce_factors:
        from .neural_mi import infonce_information

        top = rank_order(information_per_factor(mu, logvar))[:infonce_factors]
        infonce = infonce_information(mu, logvar, factors=[int(h) for h in top], seed=seed, device=device)
    table = estimator_table(mu, logvar, mixture, infonce)
    save_table(table, output_stem)
    save_table(rank_agreement(table), agreement_stem)
    save_json(joint, {"I_joint_mixture": float(joint_mixture), "samples": len(mu)})
    return table


def summarize_estimators(estimators: str | Path, joint: str | Path, metrics: str | Path, *,
                         threshold: float) -> dict:
    """`summarize-estimators`: `estimator_summary` of compare-estimators' table (its exact floats, from the
    Parquet file) and joint estimate at `threshold`, returned and saved as `metrics`."""
    import json

    from ..core.artifacts import save_json

    saved = json.loads(Path(joint).read_text())
    summary = estimator_summary(pd.read_parquet(estimators), saved["I_joint_mixture"], saved["samples"], threshold)
    save_json(metrics, summary)
    return summary


def benchmark_estimators(output_stem: str | Path, metrics: str | Path, *, samples: int, seed: int,
                         infonce: bool) -> pd.DataFrame:
    """`benchmark-estimators`: every estimator against the synthetic encoders with known answers; the table,
    and as `metrics` whether every bound holds and the largest errors."""
    from ..core.artifacts import save_json, save_table

    neural = None
    if infonce:
        from .neural_mi import infonce_information, infonce_joint_information

        def neural(mu, logvar):
            return (infonce_information(mu, logvar, seed=seed), infonce_joint_information(mu, logvar, seed=seed))

    table = synthetic_benchmark(samples, seed, neural)
    save_table(table, output_stem)
    per_factor = table[table["target"] != "z"]
    worst = per_factor.assign(abs_error=per_factor["error"].abs()).groupby(["case", "estimator"])["abs_error"].max()
    joint = table[table["target"] == "z"]
    save_json(metrics, {
        "bounds_hold": bool(table["holds"].all()),
        "max_abs_error_per_factor": {f"{case}/{name}": float(value) for (case, name), value in worst.items()},
        "joint_error": {f"{case}/{name}": float(error) for case, name, error in joint[["case", "estimator", "error"]].values},
    })
    return table
