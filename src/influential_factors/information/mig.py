"""The mutual information gap (Chen et al. 2018), as disentanglement_lib computes it.

Codes (posterior means) and continuous true factors are discretised into `bins` equal-width bins
(discrete factors with few values keep them); I(c_j; v_k) comes from the joint counts, and
    MIG = mean_k [I(c_(1); v_k) - I(c_(2); v_k)] / H(v_k),
with c_(1), c_(2) the two codes most informative about factor k. 1: each factor lives in one code
dimension alone; 0: it is spread over several, or absent.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

BINS = 20


def discretise(values: np.ndarray, bins: int = BINS) -> np.ndarray:
    """Column-wise bin indices: `bins` equal-width bins, or the values' own levels when there are
    at most `bins` of them (a discrete factor)."""
    values = np.asarray(values, dtype=np.float64)
    codes = np.empty(values.shape, dtype=np.int64)
    for column in range(values.shape[1]):
        levels, inverse = np.unique(values[:, column], return_inverse=True)
        if len(levels) <= bins:
            codes[:, column] = inverse
        else:
            edges = np.histogram_bin_edges(values[:, column], bins)
            codes[:, column] = np.digitize(values[:, column], edges[1:-1])
    return codes


def entropy(labels: np.ndarray) -> float:
    """H of a discrete variable from its samples, in nats."""
    p = np.bincount(labels) / len(labels)
    p = p[p > 0]
    return float(-(p * np.log(p)).sum())


def discrete_mutual_information(codes: np.ndarray, factors: np.ndarray) -> np.ndarray:
    """(n_codes, n_factors) matrix of I(code_j; factor_k) in nats, from discretised columns."""
    matrix = np.empty((codes.shape[1], factors.shape[1]))
    for j in range(codes.shape[1]):
        for k in range(factors.shape[1]):
            a, b = codes[:, j], factors[:, k]
            joint = np.bincount(a * (b.max() + 1) + b, minlength=(a.max() + 1) * (b.max() + 1))
            joint = joint.reshape(a.max() + 1, b.max() + 1) / len(a)
            outer = joint.sum(1, keepdims=True) * joint.sum(0, keepdims=True)
            nonzero = joint > 0
            matrix[j, k] = float((joint[nonzero] * np.log(joint[nonzero] / outer[nonzero])).sum())
    return matrix


def mutual_information_gap(codes: np.ndarray, factors: np.ndarray, bins: int = BINS) -> dict:
    """MIG of codes (N, n_codes) against true factors (N, n_factors), with each factor's gap,
    the code dimension most informative about it, its entropy and the information matrix."""
    if len(codes) != len(factors) or codes.ndim != 2 or factors.ndim != 2 or codes.shape[1] < 2:
        raise ValueError(f"MIG needs codes (N, >= 2) and factors (N, K) of equal N, got {codes.shape} and {factors.shape}")
    information = discrete_mutual_information(discretise(codes, bins), discretise(factors, bins))
    factor_entropy = np.array([entropy(column) for column in discretise(factors, bins).T])
    ordered = np.sort(information, axis=0)[::-1]
    gaps = (ordered[0] - ordered[1]) / factor_entropy
    return {"mig": float(gaps.mean()), "gap_per_factor": gaps, "best_code": information.argmax(axis=0),
            "entropy": factor_entropy, "information": information}


def mig_table(codes: np.ndarray, factors: np.ndarray, influential: np.ndarray,
              factor_names: list[str]) -> tuple[pd.DataFrame, dict]:
    """One row per true factor (its entropy, best code, whether that code is influential, I with it and gap) and the
    metrics: MIG, the number of true factors, of influential codes, and of true factors whose best code is an
    influential one (the main paper's question: are the influential codes those MIG aligns with the factors?).
    With at least two influential codes (a boolean mask over the code dimensions), the same gap among them alone."""
    result = mutual_information_gap(codes, factors)
    best_is_influential = influential[result["best_code"]]
    table = pd.DataFrame({"factor": factor_names[: factors.shape[1]], "entropy": result["entropy"],
                          "best_code": result["best_code"], "best_code_influential": best_is_influential,
                          "I_best": result["information"].max(axis=0), "gap": result["gap_per_factor"]})
    metrics = {"mig": result["mig"], "true_factors": int(factors.shape[1]), "n_influential": int(influential.sum()),
               "factors_on_influential_codes": int(best_is_influential.sum())}
    if influential.sum() >= 2:
        among = mutual_information_gap(codes[:, influential], factors)
        table["best_influential_code"] = np.flatnonzero(influential)[among["best_code"]]
        table["gap_influential"] = among["gap_per_factor"]
        metrics["mig_influential"] = among["mig"]
    return table, metrics


def factor_names(data: str | Path, count: int) -> list[str]:
    """The names of a processed data set's `count` true factors: its `factor_names` array (saved by the
    shapes' preparation and by the generic one for a module with FACTOR_NAMES), else factor_0, factor_1, ..."""
    with np.load(data, allow_pickle=False) as arrays:
        names = arrays["factor_names"].tolist() if "factor_names" in arrays.files else None
    if names is None:
        return [f"factor_{k}" for k in range(count)]
    if len(names) != count or not all(isinstance(name, str) for name in names):
        raise ValueError(f"{data}: factor_names {names} do not name its {count} true factors")
    return names


def write_mig(posteriors: str | Path, information: str | Path, data: str | Path, output_stem: str | Path,
              metrics_path: str | Path) -> tuple[pd.DataFrame, dict]:
    """MIG of the encoded test codes against the data set's true factors (`mig`), named by its
    `factor_names`: the table as STEM.csv, .parquet and .md, the metrics as JSON; both returned."""
    from ..core.artifacts import save_json, save_table
    from ..data.datasets import load_split
    from ..data.posteriors import load_posteriors
    from .mi import read_information

    table = read_information(information)
    _, truth = load_split(data, "test")
    mu = load_posteriors(posteriors)["mu"]
    if truth.ndim != 2 or len(truth) != len(mu):
        raise ValueError(f"{data}: needs the true factors (N, K) of the {len(mu)} encoded test images")
    names = factor_names(data, truth.shape[1])
    result, metrics = mig_table(mu, truth, table["influential"].to_numpy(), names)
    save_table(result, output_stem)
    save_json(metrics_path, metrics)
    return result, metrics
