"""The per-model estimator table, the rank agreement, and the synthetic benchmark's bounds."""

import numpy as np
import pandas as pd
import pytest

from influential_factors.information.comparison import (RANKED, estimator_summary, estimator_table, rank_agreement, ranks,
                                            synthetic_benchmark)
from influential_factors.information.estimators import mixture_information
from influential_factors.information.synthetic import NOISE_VARIANCE, OFFSET, WEIGHTS, input_covariance


def posteriors(seed=0, samples=600):
    """Six factors of decreasing information and one that ignores the input."""
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(samples, 1))
    mu = np.column_stack([x[:, 0] * scale for scale in (3.0, 2.0, 1.0, 0.5, 0.2, 0.1)] + [np.zeros(samples)])
    logvar = np.full(mu.shape, np.log(0.1))
    return mu, logvar


def test_table_holds_every_estimator_and_ranks_the_informative_factors_first():
    mu, logvar = posteriors()
    mixture, _ = mixture_information(mu, logvar)
    table = estimator_table(mu, logvar, mixture)
    for column in RANKED:
        if column != "I_infonce":
            assert list(table[f"rank_{column}"]) == [1, 2, 3, 4, 5, 6, 7], column
    assert table["I_infonce"].isna().all() and table["rank_I_infonce"].isna().all()
    np.testing.assert_allclose(table["kl_prior_minus_I_est"], table["kl_q_star_prior"], atol=1e-12)
    assert list(table["active"]) == [True] * 5 + [False] * 2  # Var(0.1 x) = 0.01 is not above 0.01


def test_ranks_leave_unscored_factors_out_and_keep_index_order_on_ties():
    np.testing.assert_array_equal(ranks(np.array([0.5, np.nan, 2.0, 0.5])), [2, np.nan, 1, 3])


def test_rank_agreement_is_spearman_on_the_factors_both_estimators_scored():
    table = pd.DataFrame({"I_est": [5.0, 4, 3, 2, 1], "I_free": [1.0, 2, 3, 4, 5], "I_mixture": [5.0, 4, 3, 1, 2],
                          "I_infonce": [3.0, 2, 1, np.nan, np.nan], "kl_prior": [1.0, 2, 3, 4, 6],
                          "variance": [5.0, 4, 3, 2, 1]})
    matrix = rank_agreement(table).set_index("estimator")
    assert matrix.loc["I_est", "I_free"] == pytest.approx(-1.0)
    assert matrix.loc["I_est", "I_mixture"] == pytest.approx(0.9)  # one swapped pair of 5: 1 - 6*2/(5*24)
    assert matrix.loc["I_est", "I_infonce"] == pytest.approx(1.0)  # on the three factors InfoNCE scored
    assert matrix.loc["I_est", "variance"] == pytest.approx(1.0) and np.allclose(np.diag(matrix), 1.0)
    np.testing.assert_allclose(matrix.to_numpy(), matrix.to_numpy().T)


def test_summary_counts_and_total_correlation_of_factors_reading_the_same_input():
    mu, logvar = posteriors()
    mixture, joint = mixture_information(mu, logvar, samples=2)
    summary = estimator_summary(estimator_table(mu, logvar, mixture), joint, len(mu), threshold=0.7)
    assert summary["log_samples"] == pytest.approx(np.log(600)) and not summary["joint_at_cap"]
    # all factors read one scalar x: the code is worth one channel with the summed signal-to-noise ratio
    assert joint == pytest.approx(0.5 * np.log1p(np.sum(np.var(mu, axis=0)) / 0.1), abs=0.1)
    assert summary["total_correlation"] == pytest.approx(mixture.sum() - joint)
    assert summary["total_correlation"] > 2.0
    assert summary["active_units"] == 5 and summary["spearman_I_est_I_mixture"] == pytest.approx(1.0)
    assert summary["top_influential_agree"] == 1.0


def test_benchmark_bounds_hold_and_the_offset_bias_of_algorithm_1_is_the_closed_form():
    table = synthetic_benchmark(samples=3000, seed=1)
    assert table["holds"].all(), table[~table["holds"]]
    offset = table[(table["case"] == "offset") & table["target"].isin(["z0", "z2"])].set_index(["target", "estimator"])
    variance = np.einsum("hd,de,he->h", WEIGHTS, input_covariance(), WEIGHTS) + NOISE_VARIANCE
    bias = 0.5 * np.log1p(OFFSET**2 / variance)
    for h in (0, 2):  # the zero-mean q* pays KL(q(z_h) || q*); the free mean does not
        assert offset.loc[(f"z{h}", "I_est"), "error"] == pytest.approx(bias[h], abs=0.04)
        assert abs(offset.loc[(f"z{h}", "I_free"), "error"]) < 0.04
    gaussian = table[(table["case"] == "gaussian") & (table["target"] != "z")]
    assert gaussian.loc[gaussian["estimator"] == "I_mixture", "error"].abs().max() < 0.06


def test_summary_flags_a_joint_estimate_stuck_at_log_m():
    """Eight independent factors of 2.3 nats each: I(x; z) = 18 nats, far above log 300 = 5.7."""
    rng = np.random.default_rng(3)
    mu = rng.normal(size=(300, 8))
    logvar = np.full(mu.shape, np.log(0.01))
    mixture, joint = mixture_information(mu, logvar)
    summary = estimator_summary(estimator_table(mu, logvar, mixture), joint, len(mu), threshold=0.7)
    assert summary["joint_at_cap"] and joint <= np.log(300) + 1e-9
    assert summary["total_correlation"] > 5  # what the cap does to TC: the true TC is 0


def test_compare_estimators_writes_what_algorithm_1_computes(tmp_path):
    """The subcommand's one call: the table's I_est is Algorithm 1 on the test posteriors, and the agreement
    table ranks each estimator perfectly against itself; no threshold (summarize-estimators applies it)."""
    import json

    from influential_factors.information.comparison import compare_estimators
    from influential_factors.data.posteriors import Posteriors
    from influential_factors.information.mi import information_per_factor

    rng = np.random.default_rng(0)
    mu = rng.normal(size=(400, 5)) * np.array([2.0, 1.0, 0.5, 0.05, 0.0])
    logvar = np.log(np.full((400, 5), 0.25))
    Posteriors(mu=mu, logvar=logvar, labels=np.zeros(400)).save(tmp_path / "latents.npz")
    returned = compare_estimators(tmp_path / "latents.npz", tmp_path / "table", tmp_path / "agreement",
                                  tmp_path / "joint.json", mixture_samples=1, infonce_factors=0, seed=0)
    table = pd.read_csv(tmp_path / "table.csv")
    np.testing.assert_allclose(table["I_est"], information_per_factor(mu, logvar), rtol=1e-6)
    pd.testing.assert_frame_equal(pd.read_parquet(tmp_path / "table.parquet"), returned)
    joint = json.loads((tmp_path / "joint.json").read_text())
    assert joint["samples"] == 400 and set(joint) == {"I_joint_mixture", "samples"}
    agreement = pd.read_csv(tmp_path / "agreement.csv", index_col=0)
    np.testing.assert_allclose(np.diag(agreement.to_numpy(dtype=float)), 1.0)


def test_summarize_estimators_is_the_summary_of_compare_estimators_outputs_at_the_threshold(tmp_path):
    """The cheap step gives, from the files, exactly the summary computed in memory; only it reads the threshold."""
    import json

    from influential_factors.information.comparison import compare_estimators, summarize_estimators
    from influential_factors.data.posteriors import Posteriors
    from influential_factors.information.mi import information_per_factor

    rng = np.random.default_rng(1)
    mu = rng.normal(size=(300, 4)) * np.array([2.0, 1.0, 0.3, 0.0])
    logvar = np.log(np.full((300, 4), 0.25))
    Posteriors(mu=mu, logvar=logvar, labels=np.zeros(300)).save(tmp_path / "latents.npz")
    table = compare_estimators(tmp_path / "latents.npz", tmp_path / "table", tmp_path / "agreement",
                               tmp_path / "joint.json", mixture_samples=1, infonce_factors=0, seed=0)
    joint = json.loads((tmp_path / "joint.json").read_text())
    for threshold in (0.7, 0.8):
        summary = summarize_estimators(tmp_path / "table.parquet", tmp_path / "joint.json", tmp_path / "metrics.json",
                                       threshold=threshold)
        assert summary == estimator_summary(table, joint["I_joint_mixture"], 300, threshold)
        assert json.loads((tmp_path / "metrics.json").read_text()) == summary
        assert summary["n_influential_I_est"] == int((information_per_factor(mu, logvar) > threshold).sum())
