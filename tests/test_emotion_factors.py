"""Figure 5's measurements: electrode round trip, pattern and rating correlations, traversals, flagging."""

import numpy as np
import pandas as pd
import pytest
import torch

from influential_factors.data.deap import DEAP_EEG_CHANNELS
from influential_factors.data.deap_simulator import arousal_weights, valence_weights
from influential_factors.evaluation.emotion_factors import (electrode_values, emotion_factor_table, ground_truth_summary,
                                                 pattern_agreement, rating_correlations)
from influential_factors.models.vae import BetaVAE
from influential_factors.data.topomap import TopomapInterpolator, azimuthal_equidistant, electrode_positions
from influential_factors.evaluation.traversal import TRAVERSAL_VALUES, traverse

BANDS = ["alpha", "beta", "gamma"]


@pytest.fixture(scope="module")
def positions():
    return electrode_positions("biosemi32", DEAP_EEG_CHANNELS)


@pytest.fixture(scope="module")
def interpolator(positions):
    return TopomapInterpolator(azimuthal_equidistant(positions), 32)


@pytest.fixture(scope="module")
def truth(positions):
    weights = {"valence": valence_weights(positions), "arousal": arousal_weights(positions)}
    return {name: {"bands": bands, "channel_weights": dict(zip(DEAP_EEG_CHANNELS, weights[name].tolist()))}
            for name, bands in (("valence", ["alpha"]), ("arousal", ["beta", "gamma"]))}


def test_electrode_values_invert_the_interpolation(interpolator):
    values = np.random.default_rng(0).normal(size=(3, 32))
    np.testing.assert_allclose(electrode_values(interpolator(values), interpolator), values, atol=1e-8)


def test_pixel_coordinates_put_the_front_electrodes_at_the_top(interpolator):
    pixels = interpolator.pixel_coordinates()
    front, back = DEAP_EEG_CHANNELS.index("Fz"), DEAP_EEG_CHANNELS.index("Oz")
    left, right = DEAP_EEG_CHANNELS.index("T7"), DEAP_EEG_CHANNELS.index("T8")
    assert pixels[front, 1] < pixels[back, 1] and pixels[left, 0] < pixels[right, 0]
    assert pixels.min() == pytest.approx(0) and pixels.max() == pytest.approx(31)


def test_a_planted_pattern_in_its_bands_correlates_fully(truth):
    valence = np.array([truth["valence"]["channel_weights"][name] for name in DEAP_EEG_CHANNELS])
    arousal = np.array([truth["arousal"]["channel_weights"][name] for name in DEAP_EEG_CHANNELS])
    change = np.stack([2 * valence + 1, arousal, 3 * arousal])  # alpha, beta, gamma: affine copies
    agreement = pattern_agreement(change, BANDS, DEAP_EEG_CHANNELS, truth)
    assert agreement == pytest.approx({"valence": 1.0, "arousal": 1.0})
    swapped = pattern_agreement(change[[1, 0, 0]], BANDS, DEAP_EEG_CHANNELS, truth)
    assert abs(swapped["valence"]) < 0.9 and abs(swapped["arousal"]) < 0.9
    assert np.isnan(pattern_agreement(change[:1], ["theta"], DEAP_EEG_CHANNELS, truth)["valence"])


def test_rating_correlations_of_video_mean_codes():
    rng = np.random.default_rng(1)
    ratings = rng.uniform(1, 9, size=(50, 4))
    codes = rng.normal(size=(50, 63, 3))
    codes[:, :, 0] += 10 * ratings[:, [0]]   # every frame follows valence
    codes[:, :, 1] = 4.0                     # constant: no correlation by convention
    correlations = rating_correlations(codes, ratings)
    assert correlations[0, 0] > 0.99 and abs(correlations[0, 1]) < 0.4
    np.testing.assert_array_equal(correlations[1], [0.0, 0.0])


@pytest.fixture(scope="module")
def decoder_ignoring_factor_1():
    torch.manual_seed(0)
    model = BetaVAE((3, 32, 32), channels=[4, 4], hidden=16, latents=3)
    with torch.no_grad():
        model.decoder[0].weight[:, 1] = 0.0  # the first decoder layer reads z; factor 1 is cut off
    return model.eval()


def test_traversal_sets_only_the_chosen_factor(decoder_ignoring_factor_1):
    model, reference = decoder_ignoring_factor_1, np.array([0.5, -1.0, 2.0])
    maps = traverse(model, reference, 0)
    assert maps.shape == (len(TRAVERSAL_VALUES), 3, 32, 32)
    codes = np.repeat(reference[None], len(TRAVERSAL_VALUES), 0).astype(np.float32)
    codes[:, 0] = TRAVERSAL_VALUES
    np.testing.assert_allclose(maps, model.decode(torch.from_numpy(codes)).detach().numpy(), atol=1e-6)
    assert np.ptp(maps, axis=0).max() > 1e-4
    assert np.ptp(traverse(model, reference, 1), axis=0).max() < 1e-6  # float rounding only


class ReadsFactor0:
    """A stand-in classifier whose logits are (z0, -z0, 0, 0) averaged over frames: class 0 iff z0 > 0."""

    def __init__(self):
        self.weight = torch.nn.Parameter(torch.zeros(1))

    def parameters(self):
        return iter([self.weight])

    def eval(self):
        return self

    def __call__(self, codes):
        z0 = codes[:, :, 0].mean(1)
        return torch.stack([z0, -z0, torch.zeros_like(z0), torch.zeros_like(z0)], 1)


def test_table_flags_the_factor_the_classifier_reads(decoder_ignoring_factor_1, interpolator, truth):
    rng = np.random.default_rng(2)
    labels = np.arange(40) % 2
    codes = rng.normal(0, 0.1, size=(40, 5, 3)).astype(np.float32)
    codes[:, :, 0] += np.where(labels == 0, 1.0, -1.0)[:, None]
    ratings = np.column_stack([np.where(labels == 0, 7.0, 3.0), rng.uniform(1, 9, 40)])
    information = np.array([0.5, 2.0, 1.0])
    table, traversals = emotion_factor_table(
        decoder_ignoring_factor_1, codes, labels, ratings, {"test": np.arange(20, 40)}, information,
        [ReadsFactor0()], interpolator, BANDS, DEAP_EEG_CHANNELS, n_factors=3, min_loss_increase=0.1, truth=truth)
    assert list(table["factor"]) == [1, 2, 0] and list(table["rank"]) == [1, 2, 3]
    assert list(table["emotion_relevant"]) == [False, False, True]
    assert table.set_index("factor").loc[0, "accuracy_drop"] == pytest.approx(0.5)
    assert table.set_index("factor").loc[1, "loss_increase"] == pytest.approx(0.0)
    assert table.set_index("factor").loc[0, "r_valence_rating"] > 0.95
    assert traversals.shape == (3, len(TRAVERSAL_VALUES), 3, 32, 32)
    assert {"r_valence_pattern", "r_arousal_pattern"} <= set(table.columns)


def test_ground_truth_summary_counts_flagged_factors_that_vary_a_pattern():
    table = pd.DataFrame({"factor": [4, 9, 1, 7], "emotion_relevant": [True, True, False, False],
                          "r_valence_pattern": [0.9, 0.1, -0.8, 0.0], "r_arousal_pattern": [0.2, -0.75, 0.1, 0.3]})
    summary = ground_truth_summary(table, 0.7)
    assert summary["flagged"] == [4, 9] and summary["varies_pattern"] == [4, 9, 1]
    assert (summary["flagged_varying"], summary["flagged_total"]) == (2, 2)
    assert (summary["unflagged_varying"], summary["unflagged_total"]) == (1, 2)
    assert summary["agrees"] is True
    table.loc[1, "r_arousal_pattern"] = 0.5
    assert ground_truth_summary(table, 0.7)["agrees"] is False
    assert ground_truth_summary(table.assign(emotion_relevant=False), 0.7)["agrees"] is False


def test_emotion_metrics_average_the_classifiers_and_add_the_ground_truth():
    from influential_factors.evaluation.emotion_factors import emotion_metrics

    table = pd.DataFrame({"factor": [7, 2, 5], "emotion_relevant": [True, False, True],
                          "r_valence_pattern": [0.9, 0.1, -0.2], "r_arousal_pattern": [0.0, -0.8, 0.3]})
    assert emotion_metrics(table, [0.5, 0.75], None, 0.7) == {"test_accuracy": 0.625, "emotion_relevant": [7, 5]}
    with_truth = emotion_metrics(table, [0.5], {"valence": {}}, 0.7)
    assert with_truth["ground_truth"] == ground_truth_summary(table, 0.7)
    assert with_truth["ground_truth"]["flagged_varying"] == 1 and with_truth["ground_truth"]["agrees"] is False


def test_unreadable_ground_truth_names_the_file(tmp_path):
    from influential_factors.evaluation.emotion_factors import read_ground_truth

    (tmp_path / "truth.json").write_text("{not json")
    with pytest.raises(ValueError, match="truth.json: not a readable ground truth"):
        read_ground_truth(tmp_path / "truth.json")
    (tmp_path / "truth.json").write_text('{"valence": {"bands": ["alpha"]}}')
    assert read_ground_truth(tmp_path / "truth.json") == {"valence": {"bands": ["alpha"]}}
