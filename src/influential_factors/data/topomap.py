"""EEG trials as videos of topographic maps (Bashivan et al. 2015, EEGLearn's `gen_images`).

Per window of `window` samples and channel, the FFT power in each frequency band (alpha 8-13,
beta 13-30, gamma 30-45 Hz); electrode positions from an MNE montage, projected to 2-D with the
azimuthal equidistant projection; Clough-Tocher interpolation of each band onto a square grid
over the electrodes' bounding box, zero outside their convex hull; the bands become the colour
channels. The interpolant is linear in the electrode values, so it is built once as a matrix.
"""

from __future__ import annotations

from collections.abc import Sequence

import mne
import numpy as np
from scipy.interpolate import CloughTocher2DInterpolator

# scipy's Clough-Tocher gradients come from an iterative global solve that stops once the largest
# relative update is below `tol`, so the interpolant is linear in the values only once converged.
# griddata cannot pass `tol` and keeps the default (1e-6, maxiter=400), which leaves ~1e-7 on values
# of order 1 (and would break exact linear fields in the matrix); the matrix is built converged.
GRADIENT_TOL = 1e-12
GRADIENT_MAXITER = 100_000


def electrode_positions(montage: str, channels: Sequence[str]) -> np.ndarray:
    """3-D positions (n, 3) of `channels`, looked up by name in MNE's standard `montage`."""
    try:
        layout = mne.channels.make_standard_montage(montage).get_positions()["ch_pos"]
    except ValueError as error:
        raise ValueError(f"unknown montage {montage!r}; MNE's built-in montages are "
                         f"{mne.channels.get_builtin_montages()}") from error
    channels = list(channels)
    duplicates = sorted({name for name in channels if channels.count(name) > 1})
    if duplicates:
        raise ValueError(f"channels {duplicates} are listed more than once")
    missing = [name for name in channels if name not in layout]
    if missing:
        raise ValueError(f"channels {missing} are not in montage {montage!r} "
                         f"(its names include {list(layout)[:8]}, ...)")
    return np.array([layout[name] for name in channels], dtype=np.float64).reshape(len(channels), 3)


def sphere_centre(positions: np.ndarray) -> np.ndarray:
    """Centre c of the least-squares sphere, from |p|^2 = 2 p.c + (r^2 - |c|^2), linear in c and r^2 - |c|^2.

    With fewer than 4 non-coplanar points the fit is undetermined and the origin is returned.
    """
    design = np.column_stack([2 * positions, np.ones(len(positions))])
    if np.linalg.matrix_rank(design) < 4:
        return np.zeros(3)
    return np.linalg.lstsq(design, np.sum(positions**2, axis=1), rcond=None)[0][:3]


def project_unit_vectors(directions: np.ndarray) -> np.ndarray:
    """Azimuthal equidistant projection about +z: (theta cos phi, theta sin phi) for every direction.

    theta is the polar angle from +z (the vertex) and phi = atan2(y, x), so the distance from the
    origin equals the great-circle distance from the vertex; the equator lands at radius pi/2.
    Directions need not be normalised. EEGLearn's `azim_proj` is the same map about the origin.
    """
    x, y, z = np.moveaxis(np.asarray(directions, dtype=np.float64), -1, 0)
    theta = np.arctan2(np.hypot(x, y), z)
    phi = np.arctan2(y, x)
    return np.stack([theta * np.cos(phi), theta * np.sin(phi)], axis=-1)


def azimuthal_equidistant(positions: np.ndarray) -> np.ndarray:
    """2-D electrode positions (n, 2): the azimuthal equidistant projection about the fitted sphere's centre."""
    positions = np.asarray(positions, dtype=np.float64)
    if positions.ndim != 2 or positions.shape[1] != 3:
        raise ValueError(f"positions must be an (n, 3) array, got shape {positions.shape}")
    return project_unit_vectors(positions - sphere_centre(positions))


def band_powers(eeg: np.ndarray, sampling_rate: float, bands: Sequence[tuple[float, float]],
                window: int = 128) -> np.ndarray:
    """Band power (..., windows, channels, bands) of eeg (..., channels, samples), windows = samples // window.

    Per window X = numpy.fft.rfft(x) (unnormalised, one-sided, nothing doubled) and the power of
    band [lo, hi) is the sum of |X_k|^2 over the bins with lo <= k * sampling_rate / window < hi.
    Parseval then reads sum_n x_n^2 = (|X_0|^2 + 2 sum_{0<k<window/2} |X_k|^2 + |X_{window/2}|^2) / window
    for even `window`. Trailing samples that fill no whole window are dropped.
    """
    eeg = np.asarray(eeg)
    if eeg.ndim < 2 or window < 1 or eeg.shape[-1] < window:
        raise ValueError(f"eeg must be (..., channels, samples) with at least window={window} >= 1 samples, "
                         f"got shape {eeg.shape}")
    frequencies = np.fft.rfftfreq(window, d=1 / sampling_rate)
    selection = np.array([(lo <= frequencies) & (frequencies < hi) for lo, hi in bands], dtype=np.float64)
    empty = [band for band, row in zip(bands, selection) if not row.any()]
    if empty:
        raise ValueError(f"bands {empty} contain no FFT bin (resolution {sampling_rate / window} Hz, "
                         f"up to {frequencies[-1]} Hz)")
    windows = eeg.shape[-1] // window
    segments = eeg[..., :windows * window].reshape(*eeg.shape[:-1], windows, window)
    power = np.abs(np.fft.rfft(segments, axis=-1)) ** 2
    return np.swapaxes(power @ selection.T, -3, -2)


class TopomapInterpolator:
    """Clough-Tocher interpolation (scipy's `griddata(method="cubic")`) of fixed 2-D points as a matrix.

    The grid is numpy.linspace(min, max, grid_size) over the points' bounding box on each axis,
    with x along the columns (column 0 = lowest x) and y along the rows, row 0 = highest y (the
    front of the head at the top; EEGLearn's mgrid images are the transpose, rows along x).
    `matrix` (grid_size**2, n_points) holds the interpolants of the unit vectors, computed with
    converged gradients (GRADIENT_TOL); its rows outside the convex hull, False in `inside`, are 0.
    """

    def __init__(self, points: np.ndarray, grid_size: int = 32):
        points = np.asarray(points, dtype=np.float64)
        if points.ndim != 2 or points.shape[1] != 2 or len(points) < 3:
            raise ValueError(f"points must be an (n, 2) array with n >= 3, got shape {points.shape}")
        if grid_size < 2:
            raise ValueError(f"grid_size must be at least 2, got {grid_size}")
        self.points, self.grid_size = points, grid_size
        low, high = points.min(axis=0), points.max(axis=0)
        self.grid_x, self.grid_y = np.meshgrid(np.linspace(low[0], high[0], grid_size),
                                               np.linspace(high[1], low[1], grid_size))
        basis = CloughTocher2DInterpolator(points, np.eye(len(points)), tol=GRADIENT_TOL,
                                           maxiter=GRADIENT_MAXITER)
        matrix = basis(np.column_stack([self.grid_x.ravel(), self.grid_y.ravel()]))
        self.inside = np.isfinite(matrix).all(axis=1).reshape(grid_size, grid_size)
        self.matrix = np.nan_to_num(matrix, nan=0.0)

    def pixel_coordinates(self) -> np.ndarray:
        """The electrodes in grid units (n, 2): fractional column and row, as imshow places them."""
        return self.to_pixels(self.points)

    def to_pixels(self, points: np.ndarray) -> np.ndarray:
        """Any 2-D points (..., 2) of the projected plane in grid units: fractional column and row."""
        low, high = self.points.min(axis=0), self.points.max(axis=0)
        scaled = (np.asarray(points, dtype=np.float64) - low) / (high - low) * (self.grid_size - 1)
        return np.stack([scaled[..., 0], self.grid_size - 1 - scaled[..., 1]], axis=-1)

    def __call__(self, values: np.ndarray) -> np.ndarray:
        """Images (..., grid_size, grid_size) of values (..., n_points), float32 for float32 input."""
        values = np.asarray(values)
        if values.shape[-1:] != (len(self.points),):
            raise ValueError(f"values must end in {len(self.points)} points, got shape {values.shape}")
        dtype = np.result_type(values.dtype, np.float32)
        images = values.astype(dtype, copy=False) @ self.matrix.T.astype(dtype, copy=False)
        return images.reshape(*values.shape[:-1], self.grid_size, self.grid_size)


def head_outline(points: np.ndarray, samples: int = 120) -> list[np.ndarray]:
    """A head drawn around projected electrodes (n, 2), front at +y as in MNE: the head circle just
    outside the outermost electrode, the nose at the front and an ear on each side, as polylines (m, 2)."""
    radius = 1.08 * float(np.hypot(*np.asarray(points, dtype=np.float64).T).max())
    angles = np.linspace(0, 2 * np.pi, samples)
    circle = radius * np.column_stack([np.cos(angles), np.sin(angles)])
    nose = radius * np.array([[-0.18, 0.983], [0.0, 1.15], [0.18, 0.983]])
    ear_angles = np.linspace(-np.pi / 2, np.pi / 2, samples // 4)
    right_ear = np.column_stack([radius + 0.08 * radius * np.cos(ear_angles), 0.2 * radius * np.sin(ear_angles)])
    return [circle, nose, right_ear * [-1, 1], right_ear]


def decibels(change: np.ndarray, band_low: np.ndarray, band_high: np.ndarray) -> np.ndarray:
    """A change of maps (..., bands, grid, grid) of min-max normalised log10 band power (deap_videos: each band
    over [band_low, band_high] of the training split) in dB: 10 log10 of the power ratio."""
    return 10 * change * (band_high - band_low)[:, None, None]


def band_labels(meta: dict[str, np.ndarray]) -> list[str]:
    """Each band's name and frequency range (meta.npz of DEAP's videos): "alpha (8-13 Hz)"."""
    return [f"{name} ({low:g}-{high:g} Hz)" for name, (low, high) in zip(meta["band_names"], meta["band_edges"])]
