"""The mutual information gap: sanity bands in the style of disentanglement_lib and closed forms."""

import numpy as np
import pytest

from influential_factors.information.mig import (discrete_mutual_information, discretise, entropy, factor_names, mig_table,
                                                 mutual_information_gap)


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


def _two_exact_factors():
    """Two exactly independent factors of 4 levels each (every pair of levels equally often)."""
    return np.column_stack([np.repeat(np.arange(4), 100), np.tile(np.arange(4), 100)]).astype(float)


def test_mig_table_of_codes_copying_the_factors():
    truth = _two_exact_factors()
    constant = np.zeros(len(truth))
    codes = np.column_stack([constant, truth[:, 0], constant, truth[:, 1]])
    table, metrics = mig_table(codes, truth, np.array([False, True, False, True]), ("shape", "scale", "rotation"))
    assert table["factor"].tolist() == ["shape", "scale"]
    np.testing.assert_allclose(table["entropy"], np.log(4))
    np.testing.assert_allclose(table["I_best"], np.log(4))
    assert table["best_code"].tolist() == [1, 3] and table["best_influential_code"].tolist() == [1, 3]
    np.testing.assert_allclose(table[["gap", "gap_influential"]].to_numpy(), 1.0)
    assert metrics == pytest.approx({"mig": 1.0, "true_factors": 2, "n_influential": 2, "mig_influential": 1.0,
                                     "factors_on_influential_codes": 2})
    assert table["best_code_influential"].all()


def test_mig_table_among_influential_codes_sees_a_duplicated_factor():
    truth = _two_exact_factors()
    codes = np.column_stack([truth[:, 0], truth[:, 0], truth[:, 1]])
    table, metrics = mig_table(codes, truth, np.array([True, True, False]), ("a", "b"))
    np.testing.assert_allclose(table["gap"], [0.0, 1.0], atol=1e-12)  # factor a lives in two codes
    assert metrics["mig"] == pytest.approx(0.5)
    # among codes 0 and 1 (both copies of a), b is in neither: no gap, and the first code is its best
    np.testing.assert_allclose(table["gap_influential"], [0.0, 0.0], atol=1e-12)
    assert table["best_influential_code"].tolist() == [0, 0] and metrics["mig_influential"] == pytest.approx(0.0)


def test_mig_table_with_fewer_than_two_influential_codes_has_no_influential_columns():
    truth = _two_exact_factors()
    table, metrics = mig_table(np.column_stack([truth, truth[:, :1]]), truth, np.array([True, False, False]), ("a", "b"))
    assert "gap_influential" not in table and "mig_influential" not in metrics and metrics["n_influential"] == 1
    # factor a's best code (0) is the influential one, b's (1) is not: one of the two true factors on an influential code
    assert table["best_code_influential"].tolist() == [True, False] and metrics["factors_on_influential_codes"] == 1


def test_the_factor_names_come_from_the_processed_file(tmp_path):
    np.savez(tmp_path / "named.npz", y_test=np.zeros((4, 2)), factor_names=np.array(["shape", "scale"]))
    assert factor_names(tmp_path / "named.npz", 2) == ["shape", "scale"]
    with pytest.raises(ValueError, match=r"named.npz: factor_names \['shape', 'scale'\] do not name its 3 true factors"):
        factor_names(tmp_path / "named.npz", 3)
    np.savez(tmp_path / "unnamed.npz", y_test=np.zeros((4, 2)))  # a file without names: numbered ones
    assert factor_names(tmp_path / "unnamed.npz", 2) == ["factor_0", "factor_1"]
