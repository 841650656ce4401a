"""Topographic maps against closed forms: projection of known points, montage lookup by name,
exact linear fields and scipy's griddata for the interpolation, sines and Parseval for band power."""

import mne
import numpy as np
import pytest
from scipy.interpolate import griddata

from influential_factors.data.deap import BANDS as DEAP_BANDS
from influential_factors.data.topomap import (TopomapInterpolator, azimuthal_equidistant, band_powers, electrode_positions,
                                         project_unit_vectors, sphere_centre)

BANDS = list(DEAP_BANDS.values())

DEAP_CHANNELS = ("Fp1 AF3 F3 F7 FC5 FC1 C3 T7 CP5 CP1 P3 P7 PO3 O1 Oz Pz "
                 "Fp2 AF4 Fz F4 F8 FC6 FC2 Cz C4 T8 CP6 CP2 P4 P8 PO4 O2").split()
EMOTIV_CHANNELS = "AF3 F7 F3 FC5 T7 P7 O1 O2 P8 T8 FC6 F4 F8 AF4".split()


@pytest.fixture(scope="module")
def deap_points():
    return azimuthal_equidistant(electrode_positions("biosemi32", DEAP_CHANNELS))


@pytest.fixture(scope="module")
def deap_interpolator(deap_points):
    return TopomapInterpolator(deap_points, grid_size=32)


def test_projection_of_known_points():
    s = np.sqrt(0.5)
    directions = np.array([[0, 0, 1], [1, 0, 0], [0, 1, 0], [-1, 0, 0], [s, 0, s], [0, -2 * s, 2 * s]])
    expected = np.array([[0, 0], [np.pi / 2, 0], [0, np.pi / 2], [-np.pi / 2, 0], [np.pi / 4, 0], [0, -np.pi / 4]])
    np.testing.assert_allclose(project_unit_vectors(directions), expected, atol=1e-12)


def test_projection_preserves_distance_from_the_vertex():
    directions = np.random.default_rng(0).normal(size=(200, 3))
    unit = directions / np.linalg.norm(directions, axis=1, keepdims=True)
    great_circle = np.arccos(unit[:, 2])
    np.testing.assert_allclose(np.linalg.norm(project_unit_vectors(directions), axis=1), great_circle, atol=1e-12)


def test_sphere_fit_recovers_an_offset_head():
    rng = np.random.default_rng(1)
    directions = rng.normal(size=(40, 3))
    directions[:, 2] = np.abs(directions[:, 2])  # electrodes cover the upper hemisphere only
    centre = np.array([0.002, -0.01, 0.04])
    positions = centre + 0.09 * directions / np.linalg.norm(directions, axis=1, keepdims=True)
    np.testing.assert_allclose(sphere_centre(positions), centre, atol=1e-12)
    np.testing.assert_allclose(azimuthal_equidistant(positions), project_unit_vectors(positions - centre), atol=1e-9)
    np.testing.assert_array_equal(sphere_centre(positions[:3]), np.zeros(3))  # too few points: origin


def test_positions_are_looked_up_by_name():
    layout = mne.channels.make_standard_montage("biosemi32").get_positions()["ch_pos"]
    positions = electrode_positions("biosemi32", DEAP_CHANNELS)
    np.testing.assert_array_equal(positions, np.array([layout[name] for name in DEAP_CHANNELS]))
    order = np.random.default_rng(2).permutation(len(DEAP_CHANNELS))
    np.testing.assert_array_equal(electrode_positions("biosemi32", [DEAP_CHANNELS[i] for i in order]),
                                  positions[order])


def test_deap_layout_is_a_head_seen_from_above(deap_points):
    radius = np.linalg.norm(deap_points, axis=1)
    index = {name: i for i, name in enumerate(DEAP_CHANNELS)}
    assert np.argmin(radius) == index["Cz"] and radius[index["Cz"]] < 0.05
    y = deap_points[:, 1]
    assert set(np.argsort(y)[-2:]) == {index["Fp1"], index["Fp2"]}
    assert set(np.argsort(y)[:3]) == {index["O1"], index["Oz"], index["O2"]}
    assert deap_points[index["T7"], 0] < 0 < deap_points[index["T8"], 0]  # left hemisphere at negative x


def test_fourteen_channel_subset():
    points = azimuthal_equidistant(electrode_positions("colin27_1020", EMOTIV_CHANNELS))
    assert points.shape == (14, 2)
    images = TopomapInterpolator(points)(np.ones(14))
    assert images.shape == (32, 32) and np.isclose(images.max(), 1)


@pytest.mark.parametrize("montage, channels, named", [
    ("biosemi32", ["Fp1", "Xx9"], "Xx9"),
    ("biosemi33", ["Fp1"], "biosemi33"),
    ("biosemi32", ["Fp1", "Cz", "Fp1"], "Fp1"),
])
def test_invalid_channels_or_montage_are_named(montage, channels, named):
    with pytest.raises(ValueError, match=named):
        electrode_positions(montage, channels)


def test_grid_orientation_and_linear_field(deap_points, deap_interpolator):
    grid_x, grid_y = deap_interpolator.grid_x, deap_interpolator.grid_y
    assert grid_y[0, 0] == deap_points[:, 1].max() and grid_y[-1, 0] == deap_points[:, 1].min()
    assert grid_x[0, 0] == deap_points[:, 0].min() and grid_x[0, -1] == deap_points[:, 0].max()
    a, b, c = 0.7, -1.3, 2.1
    images = deap_interpolator(a + b * deap_points[:, 0] + c * deap_points[:, 1])
    inside = deap_interpolator.inside
    assert 0.5 < inside.mean() < 0.9  # a disc-like hull inside its bounding box
    np.testing.assert_allclose(images[inside], (a + b * grid_x + c * grid_y)[inside], atol=1e-9)
    assert np.all(images[~inside] == 0)


def test_matrix_matches_griddata(deap_points, deap_interpolator):
    values = np.random.default_rng(3).normal(size=(8, len(deap_points)))
    images = deap_interpolator(values)
    grid = (deap_interpolator.grid_x, deap_interpolator.grid_y)
    for image, frame in zip(images, values):
        reference = griddata(deap_points, frame, grid, method="cubic")
        np.testing.assert_array_equal(np.isnan(reference), ~deap_interpolator.inside)
        np.testing.assert_allclose(image, np.nan_to_num(reference, nan=0.0), rtol=0, atol=1e-6)


def test_interpolator_keeps_float32_and_checks_points(deap_interpolator):
    values = np.random.default_rng(4).normal(size=(5, 3, 32)).astype(np.float32)
    images = deap_interpolator(values)
    assert images.dtype == np.float32 and images.shape == (5, 3, 32, 32)
    np.testing.assert_allclose(images, deap_interpolator(values.astype(np.float64)), atol=1e-5)
    with pytest.raises(ValueError, match="32 points"):
        deap_interpolator(np.zeros(31))


@pytest.mark.parametrize("frequency, band", [(10, 0), (20, 1), (40, 2)])
def test_sine_lands_in_its_band(frequency, band):
    t = np.arange(256) / 128
    power = band_powers(np.sin(2 * np.pi * frequency * t)[None, :], 128, BANDS, window=128)
    assert power.shape == (2, 1, 3)
    # a unit sine on an exact bin k has |X_k| = window / 2
    np.testing.assert_allclose(power[:, 0, band], (128 / 2) ** 2)
    assert np.delete(power, band, axis=-1).max() < 1e-20 * power.max()


def test_parseval_with_the_stated_convention():
    eeg = np.random.default_rng(5).normal(size=(3, 128 * 4))
    dc, interior, nyquist = np.moveaxis(band_powers(eeg, 128, [(0, 0.5), (0.5, 64), (64, 65)], 128), -1, 0)
    energy = np.sum(eeg.reshape(3, 4, 128) ** 2, axis=-1).T
    np.testing.assert_allclose((dc + 2 * interior + nyquist) / 128, energy, rtol=1e-12)


def test_band_power_shapes_windows_and_remainder():
    eeg = np.random.default_rng(6).normal(size=(2, 32, 8064 + 100))
    power = band_powers(eeg, 128, BANDS, 128)
    assert power.shape == (2, 63, 32, 3)
    np.testing.assert_allclose(power[1, 5], band_powers(eeg[1, :, 640:768], 128, BANDS, 128)[0])
    with pytest.raises(ValueError, match="no FFT bin"):
        band_powers(eeg, 128, [(8.2, 8.7)], 128)
