"""The emotion LSTM on a toy sequence task with a known answer: learning, chance, model selection, Table 2."""

import numpy as np
import pandas as pd
import pytest
import torch

from influential_factors.evaluation.ablation import keep_factors
from influential_factors.evaluation.classifier import EmotionLSTM, accuracy, factor_drop, topk_accuracy_table, train_classifier

INFORMATIVE = [2, 5]
# I_est ranks the informative factors first: top 25% of 8 factors keeps exactly them, top 10% only factor 2.
INFORMATION = np.array([0.1, 0.2, 3.0, 0.05, 0.3, 2.5, 0.0, 0.15])
SETTINGS = dict(hidden=8, epochs=30, batch_size=32, lr=2e-2, device=torch.device("cpu"))


def toy_sequences(videos, seed, frames=10, factors=8):
    """Balanced 4-class sequences: class c shifts factors 2 and 5 by (+-1, +-1) (its two bits) in every frame."""
    rng = np.random.default_rng(seed)
    labels = np.arange(videos) % 4
    rng.shuffle(labels)
    codes = rng.normal(size=(videos, frames, factors)).astype(np.float32)
    signs = np.array([[-1, -1], [-1, 1], [1, -1], [1, 1]], dtype=np.float32)
    codes[:, :, INFORMATIVE] += signs[labels][:, None, :]
    return codes, labels.astype(np.int64)


pytestmark = pytest.mark.usefixtures("one_thread")  # conftest.py


@pytest.fixture(scope="module")
def toy():
    return {"train": toy_sequences(200, 0), "val": toy_sequences(100, 1), "test": toy_sequences(400, 2)}


@pytest.fixture(scope="module")
def trained(toy):
    return train_classifier(*toy["train"], *toy["val"], seed=0, **SETTINGS)


def same_weights(first, second):
    first, second = first.state_dict(), second.state_dict()
    return first.keys() == second.keys() and all(torch.equal(first[name], second[name]) for name in first)


def test_lstm_maps_sequences_to_class_logits():
    logits = EmotionLSTM(n_factors=8, hidden=4)(torch.zeros(3, 7, 8))
    assert logits.shape == (3, 4)


def test_learns_a_separable_sequence_task(toy, trained):
    model, history = trained
    assert max(history["val_accuracy"]) >= 0.95
    assert accuracy(model, *toy["test"]) >= 0.95
    assert history["train_loss"][-1] < history["train_loss"][0]


def test_is_at_chance_when_labels_carry_no_information(toy):
    rng = np.random.default_rng(3)
    (train_codes, train_labels), (val_codes, val_labels), (test_codes, test_labels) = toy.values()
    model, _ = train_classifier(train_codes, rng.permutation(train_labels), val_codes, rng.permutation(val_labels),
                                seed=0, **SETTINGS)
    # Labels drawn independently of the codes: any fit to the training noise cannot carry over.
    assert 0.1 < accuracy(model, test_codes, rng.permutation(test_labels)) < 0.4


def test_same_seed_gives_identical_weights_and_history(toy, trained):
    model, history = trained
    again, again_history = train_classifier(*toy["train"], *toy["val"], seed=0, **SETTINGS)
    assert same_weights(model, again)
    assert again_history == history
    other, _ = train_classifier(*toy["train"], *toy["val"], seed=1, **SETTINGS)
    assert not same_weights(model, other)


def test_returns_the_first_epoch_with_the_best_validation_accuracy(toy, trained):
    model, history = trained
    best = history["best_epoch"]
    assert len(history["val_accuracy"]) == len(history["train_loss"]) == SETTINGS["epochs"]
    assert best == int(np.argmax(history["val_accuracy"]))  # argmax: the first maximum
    assert best < SETTINGS["epochs"] - 1  # otherwise the last weights would pass the next checks too
    assert not model.training
    assert accuracy(model, *toy["val"]) == history["val_accuracy"][best]
    stopped_there, _ = train_classifier(*toy["train"], *toy["val"], seed=0, **SETTINGS | {"epochs": best + 1})
    assert same_weights(model, stopped_there)


def test_rejects_labels_outside_the_classes(toy):
    codes, labels = toy["val"]
    with pytest.raises(ValueError, match=r"\[0, 4\)"):
        train_classifier(codes, labels + 1, codes, labels, seed=0, **SETTINGS)


def test_keep_factors_zeroes_the_other_factors_in_every_frame():
    codes = np.arange(1, 25, dtype=np.float32).reshape(2, 3, 4)
    kept = keep_factors(codes, np.array([1, 3]))
    np.testing.assert_array_equal(kept[..., [0, 2]], 0)
    np.testing.assert_array_equal(kept[..., [1, 3]], codes[..., [1, 3]])
    assert kept.shape == codes.shape and kept.dtype == codes.dtype


def test_topk_table_with_one_classifier_over_two_seeds(toy):
    table = topk_accuracy_table(toy["train"], toy["val"], toy["test"], INFORMATION, [0, 100, 25, 10, 50],
                                seeds=[0, 1], retrain=False, **SETTINGS)
    assert list(table.columns) == ["top_percent", "n_factors", "I_used", "accuracy_mean", "accuracy_std",
                                   "n_seeds", "retrained"]
    assert list(table["top_percent"]) == [100, 50, 25, 10, 0]
    assert list(table["n_factors"]) == [8, 4, 2, 1, 0]  # ceil(k% of 8)
    assert table["I_used"].is_monotonic_decreasing
    assert table["I_used"].iloc[0] == pytest.approx(INFORMATION.sum()) and table["I_used"].iloc[-1] == 0
    accuracy_at = table.set_index("top_percent")["accuracy_mean"]
    assert accuracy_at[100] >= 0.95 and accuracy_at[25] >= 0.95
    assert 0.35 < accuracy_at[10] < 0.65  # one of the two class bits left
    assert abs(accuracy_at[0] - 0.25) < 0.1
    assert np.isfinite(table["accuracy_std"]).all() and (table["accuracy_std"] >= 0).all()
    assert (table["n_seeds"] == 2).all() and not table["retrained"].any()


def test_topk_table_retraining_per_k(toy):
    table = topk_accuracy_table(toy["train"], toy["val"], toy["test"], INFORMATION, [100, 0, 25],
                                seeds=[0], retrain=True, **SETTINGS)
    assert list(table["top_percent"]) == [100, 25, 0]
    assert table["retrained"].all() and (table["n_seeds"] == 1).all() and (table["accuracy_std"] == 0).all()
    accuracy_at = table.set_index("top_percent")["accuracy_mean"]
    assert accuracy_at[100] >= 0.95 and accuracy_at[25] >= 0.95
    assert abs(accuracy_at[0] - 0.25) < 0.1


def test_factor_drop_flags_exactly_the_informative_factors(toy, trained):
    model, _ = trained
    drops = factor_drop(model, *toy["test"], INFORMATION, [0, 2, 5, 7])
    assert list(drops.columns) == ["factor", "I_est", "accuracy", "accuracy_drop", "loss_increase"]
    assert list(drops["factor"]) == [0, 2, 5, 7]
    np.testing.assert_array_equal(drops["I_est"], INFORMATION[[0, 2, 5, 7]])
    full = accuracy(model, *toy["test"])
    pd.testing.assert_series_equal(drops["accuracy_drop"], full - drops["accuracy"], check_names=False)
    by_factor = drops.set_index("factor")["accuracy_drop"]
    assert abs(by_factor[0]) < 0.03 and abs(by_factor[7]) < 0.03
    assert by_factor[2] > 0.3 and by_factor[5] > 0.3
    loss_increase = drops.set_index("factor")["loss_increase"]
    noise = max(abs(loss_increase[0]), abs(loss_increase[7]))
    assert min(loss_increase[2], loss_increase[5]) > max(0.3, 5 * noise)


def test_video_splits_take_codes_and_labels_of_each_split():
    from influential_factors.evaluation.classifier import video_splits

    mu = np.arange(5)[:, None, None] * np.ones((5, 2, 3))
    posteriors = {"mu": mu, "labels": np.array([3, 2, 1, 0, 3]), "train": np.array([4, 0]), "val": np.array([2]),
                  "test": np.array([1, 3])}
    splits = video_splits(posteriors)
    assert list(splits) == ["train", "val", "test"]
    np.testing.assert_array_equal(splits["train"][0][:, 0, 0], [4, 0])
    assert [splits[name][1].tolist() for name in splits] == [[3, 3], [1], [2, 0]]
