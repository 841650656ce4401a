"""A procedurally drawn shapes data set with K = 5 known, independent generative factors (like dSprites).

Each 32x32 grey image shows one white shape on black: shape (square, triangle, ellipse), scale,
rotation in [0, 60) degrees (below every shape's symmetry angle: 90, 120 and 180 degrees, so no two
rotations draw the same image), and the centre's x and y, drawn independently and uniformly. Shapes
are drawn at 4x resolution with PIL and downsampled (antialiased). The true factors are saved as the
labels, for the mutual information gap (mig.py).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw

from ..core.artifacts import save_arrays
from .datasets import split_indices

FACTOR_NAMES = ("shape", "scale", "rotation", "x", "y")
SHAPES = ("square", "triangle", "ellipse")
SIZE, SUPERSAMPLE = 32, 4
SCALE_RANGE = (0.5, 1.0)  # times the largest radius, RADIUS
RADIUS = 7.0  # pixels: the circumradius at scale 1
ROTATION_RANGE = (0.0, 60.0)  # degrees
MARGIN = RADIUS + 1.0  # the centre stays this far from the border, so every shape fits whole


def sample_factors(count: int, rng: np.random.Generator) -> np.ndarray:
    """(count, 5) factor values: shape index, scale, rotation (degrees), x and y (pixels)."""
    return np.column_stack([
        rng.integers(0, len(SHAPES), count).astype(np.float64),
        rng.uniform(*SCALE_RANGE, count),
        rng.uniform(*ROTATION_RANGE, count),
        rng.uniform(MARGIN, SIZE - MARGIN, count),
        rng.uniform(MARGIN, SIZE - MARGIN, count),
    ])


def _outline(shape: int, radius: float, angle: float, x: float, y: float) -> list[tuple[float, float]]:
    """The polygon of one shape, in supersampled pixel coordinates."""
    if SHAPES[shape] == "ellipse":
        t = np.linspace(0, 2 * np.pi, 64, endpoint=False)
        local = np.column_stack([radius * np.cos(t), 0.5 * radius * np.sin(t)])
    else:
        corners = 4 if SHAPES[shape] == "square" else 3
        t = 2 * np.pi * np.arange(corners) / corners + np.pi / corners
        local = radius * np.column_stack([np.cos(t), np.sin(t)])
    turn = np.deg2rad(angle)
    rotation = np.array([[np.cos(turn), -np.sin(turn)], [np.sin(turn), np.cos(turn)]])
    points = (local @ rotation.T + [x, y]) * SUPERSAMPLE
    return [tuple(point) for point in points]


def render_shapes(factors: np.ndarray) -> np.ndarray:
    """uint8 images (N, 1, 32, 32) of the given factor rows (sample_factors' columns)."""
    images = np.empty((len(factors), 1, SIZE, SIZE), dtype=np.uint8)
    for index, (shape, scale, angle, x, y) in enumerate(factors):
        canvas = Image.new("L", (SIZE * SUPERSAMPLE, SIZE * SUPERSAMPLE), 0)
        ImageDraw.Draw(canvas).polygon(_outline(int(shape), scale * RADIUS, angle, x, y), fill=255)
        images[index, 0] = np.asarray(canvas.resize((SIZE, SIZE), Image.Resampling.BOX))
    return images


def prepare_shapes(output: str | Path, count: int, split: tuple[float, float, float], seed: int) -> dict[str, int]:
    """Draw `count` images with seeded factors, split them and save the processed .npz; the labels
    y_<split> are the (n, 5) true factor values, `factor_names` names the columns."""
    factors = sample_factors(count, np.random.default_rng(seed))
    images = render_shapes(factors)
    parts = split_indices(count, tuple(split), seed, source=str(output))
    arrays = {"factor_names": np.array(FACTOR_NAMES)}
    for name, index in parts.items():
        arrays[f"x_{name}"], arrays[f"y_{name}"] = images[index], factors[index]
    save_arrays(output, **arrays)
    return {name: len(index) for name, index in parts.items()}
