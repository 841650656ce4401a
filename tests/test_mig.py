"""The mutual information gap: sanity bands in the style of disentanglement_lib and closed forms."""

import numpy as np
import pytest

from influential_factors.mig import discrete_mutual_information, discretise, entropy, mutual_information_gap


def factors(count=5000, seed=0):
    """Five independent factors: one discrete with 3 values, four continuous."""
    rng = np.random.default_rng(seed)
    return np.column_stack([rng.integers(0, 3, count), rng.uniform(size=(count, 4))])


def test_identity_code_scores_near_one():
    truth = factors()
    rng = np.random.default_rng(1)
    codes = np.column_stack([truth + 1e-3 * rng.normal(size=truth.shape), rng.normal(size=(len(truth), 5))])
    assert 0.9 <= mutual_information_gap(codes, truth)["mig"] <= 1.0
    np.testing.assert_array_equal(mutual_information_gap(codes, truth)["best_code"], [0, 1, 2, 3, 4])


def test_noise_code_scores_near_zero():
    truth = factors()
    codes = np.random.default_rng(2).normal(size=(len(truth), 10))
    assert 0 <= mutual_information_gap(codes, truth)["mig"] < 0.05


def test_a_factor_copied_into_two_codes_has_no_gap():
    truth = factors()
    codes = np.column_stack([truth[:, 1], truth[:, 1], truth[:, 2]])
    result = mutual_information_gap(codes, truth[:, 1:3])
    assert result["gap_per_factor"][0] == pytest.approx(0.0, abs=1e-12)
    assert result["gap_per_factor"][1] > 0.9


def test_information_of_a_variable_with_itself_is_its_entropy():
    labels = np.repeat(np.arange(4), 250)[:, None]
    assert discrete_mutual_information(labels, labels)[0, 0] == pytest.approx(np.log(4))
    assert entropy(labels[:, 0]) == pytest.approx(np.log(4))


def test_discretise_keeps_few_levels_and_bins_continuous_values_equally():
    values = np.column_stack([np.repeat([2.0, 5.0, 7.0], 100), np.linspace(0, 1, 300)])
    codes = discretise(values, bins=20)
    np.testing.assert_array_equal(np.unique(codes[:, 0]), [0, 1, 2])
    np.testing.assert_array_equal(np.bincount(codes[:, 1]), np.full(20, 15))
