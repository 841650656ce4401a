"""dSprites (Matthey et al. 2017, github.com/deepmind/dsprites-dataset) on its exact factor grid, drawn or read.

The grid is dSprites' own: 3 shapes (square, ellipse, heart; coded 1, 2, 3 as in its latents_values), 6 scales
linearly in [0.5, 1], 40 orientations linspace(0, 2 pi, 40) (both ends included, as in dSprites: orientation 0
and 39 draw the same image), 32 x and 32 y positions linspace(0, 1, 32); 737,280 images of 64x64 binary pixels
in dSprites' order (y varies fastest, then x, orientation, scale, shape). The labels are the (N, 5) factor values
(dSprites' latents_values without the constant colour column).

Without the original file (no package ships it, nothing is downloaded) every image is drawn: each of the 720
(shape, scale, orientation) sprites once, by an inside test at the pixel centres, then translated by whole
pixels to the 1,024 positions, as dSprites' images are translations of one sprite. x and y in [0, 1] put the
sprite's centre on the pixel centres of columns and rows 16..47 (x: left to right, y: top to bottom), so that
every sprite stays whole inside the image. The drawn shapes follow dSprites' description, not its pixels.
"""

from __future__ import annotations

import math
import zipfile
import zlib
from pathlib import Path

import numpy as np
from numpy.lib import format as npy_format
from numpy.lib.stride_tricks import sliding_window_view

FACTOR_NAMES = ("shape", "scale", "orientation", "x", "y")
SHAPES = ("square", "ellipse", "heart")  # dSprites' shape codes 1, 2, 3
VALUES = (np.array([1.0, 2.0, 3.0]), np.linspace(0.5, 1.0, 6), np.linspace(0.0, 2 * np.pi, 40),
          np.linspace(0.0, 1.0, 32), np.linspace(0.0, 1.0, 32))  # dSprites' latents_possible_values
SIZES = tuple(len(values) for values in VALUES)  # (3, 6, 40, 32, 32)
ROWS = math.prod(SIZES)  # 737,280: the grid, and the rows of the original file
SIDE = 64
FIRST = 16  # the pixel (column, row) of the sprite's centre at x = 0 (y = 0); at 1: FIRST + 31 = 47
CANVAS = SIDE + SIZES[3] - 1  # one sprite, centred at pixel (CANVAS // 2, CANVAS // 2): every position is a window
SQUARE_HALF = 10.25  # pixels at scale 1: the square's half side (side 20.5)
ELLIPSE_AXES = (14.5, 7.25)  # pixels at scale 1: the ellipse's semi-axes (along x, along y at orientation 0)
HEART_UNIT = 10.5  # pixels at scale 1 per unit of the heart curve (23.9 wide, 23.5 high)
HEART_CENTRE = 0.118  # the heart curve's bounding box spans y in [-1, 1.236]: it turns about its middle
FILENAME = "dsprites_ndarray_co1sh3sc6or40x32y32_64x64.npz"
CHUNK_ROWS = 16384  # rows of the original file decompressed at a time


def grid_classes(index: np.ndarray) -> np.ndarray:
    """(N, 5) class indices (shape, scale, orientation, x, y) of grid rows in dSprites' order."""
    return np.column_stack(np.unravel_index(np.asarray(index, dtype=np.int64), SIZES))


def grid_index(classes: np.ndarray) -> np.ndarray:
    """The grid rows (dSprites' order) of (N, 5) class indices; the inverse of grid_classes."""
    return np.ravel_multi_index(tuple(np.asarray(classes, dtype=np.int64).T), SIZES)


def factor_values(classes: np.ndarray) -> np.ndarray:
    """(N, 5) float64 factor values of class indices: shape code 1..3, scale, orientation (radians), x, y."""
    classes = np.asarray(classes, dtype=np.int64)
    return np.column_stack([values[classes[:, column]] for column, values in enumerate(VALUES)])


def grid_rows(count: int | None, seed: int) -> np.ndarray:
    """Every grid row (`count` None), or `count` distinct rows drawn without replacement, seeded, in grid order."""
    if count is None:
        return np.arange(ROWS)
    if isinstance(count, bool) or not isinstance(count, int) or not 1 <= count <= ROWS:
        raise ValueError(f"dsprites: count must be null or an integer in 1..{ROWS}, got {count!r}")
    return np.sort(np.random.default_rng(seed).choice(ROWS, size=count, replace=False))


def inside(shape: int, u: np.ndarray, v: np.ndarray) -> np.ndarray:
    """Whether the points (u right, v up; pixels at scale 1, about the shape's centre) lie in the upright shape.
    The heart is the curve (p^2 + q^2 - 1)^3 = p^2 q^3: two lobes, a notch at the top and a point at the bottom."""
    if SHAPES[shape] == "square":
        return np.maximum(np.abs(u), np.abs(v)) <= SQUARE_HALF
    if SHAPES[shape] == "ellipse":
        return (u / ELLIPSE_AXES[0]) ** 2 + (v / ELLIPSE_AXES[1]) ** 2 <= 1
    p, q = u / HEART_UNIT, v / HEART_UNIT + HEART_CENTRE
    return (p * p + q * q - 1) ** 3 - p * p * q ** 3 <= 0


def sprites(shape: np.ndarray, scale: np.ndarray, angle: np.ndarray, side: int = CANVAS) -> np.ndarray:
    """(M, side, side) uint8 0/255 sprites centred on the middle pixel (side odd): shape index 0..2 (SHAPES),
    scale, and angle in radians, turning the shape counter-clockwise as seen, about its centre."""
    shape, scale, angle = (np.ravel(part) for part in np.broadcast_arrays(shape, np.asarray(scale, float), angle))
    offsets = np.arange(side) - side // 2  # pixel centres relative to the sprite's centre
    right, up = offsets[None, None, :], -offsets[None, :, None]  # rows run downwards
    cos, sin = np.cos(angle)[:, None, None], np.sin(angle)[:, None, None]
    u = (cos * right + sin * up) / scale[:, None, None]  # the pixel turned back by -angle, in units at scale 1
    v = (cos * up - sin * right) / scale[:, None, None]
    drawn = np.zeros(u.shape, dtype=np.uint8)
    for code in range(len(SHAPES)):
        mine = shape == code
        drawn[mine] = np.where(inside(code, u[mine], v[mine]), 255, 0)
    return drawn


def grid_sprites() -> np.ndarray:
    """The 720 (shape, scale, orientation) sprites of the grid, (720, CANVAS, CANVAS), in grid order."""
    shape, scale, orientation = (axis.ravel() for axis in np.indices(SIZES[:3]))
    return sprites(shape, VALUES[1][scale], VALUES[2][orientation])


def render(classes: np.ndarray, chunk: int = 65536) -> np.ndarray:
    """uint8 images (N, 1, 64, 64), 0/255, of (N, 5) class indices: each its sprite translated to its position
    (a 64x64 window of the sprite's canvas, so x, y shift the image by whole pixels)."""
    classes = np.asarray(classes, dtype=np.int64)
    windows = sliding_window_view(grid_sprites(), (SIDE, SIDE), axis=(1, 2))  # (720, 32, 32, 64, 64), a view
    images = np.empty((len(classes), 1, SIDE, SIDE), dtype=np.uint8)
    last = SIZES[3] - 1  # the window at offset last - i puts the sprite's centre on pixel FIRST + i
    for start in range(0, len(classes), chunk):
        part = classes[start:start + chunk]
        sprite = np.ravel_multi_index(tuple(part[:, :3].T), SIZES[:3])
        images[start:start + chunk, 0] = windows[sprite, last - part[:, 4], last - part[:, 3]]
    return images


def images(settings: dict, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """The registry's contract: uint8 images (N, 1, 64, 64), 0/255, and their (N, 5) factor values, for every
    grid row or a seeded subset of `count`; drawn (`root` null) or read from the original .npz (`root`: the file
    or its folder), the same rows and layout either way."""
    rows = grid_rows(settings.get("count"), seed)
    classes = grid_classes(rows)
    root = settings.get("root")
    pictures = render(classes) if root is None else read_dsprites(_original(root), rows)
    return pictures, factor_values(classes)


def raw_files(root: str | Path) -> list[Path]:
    """The original file `root` names (the file, or its folder holding FILENAME), as an input of the generic
    preparation, so that replacing it re-runs it; none when it is missing (the preparation says so)."""
    path = Path(root)
    path = path / FILENAME if path.is_dir() else path
    return [path] if path.is_file() else []


def _original(root: str | Path) -> Path:
    found = raw_files(root)
    if not found:
        raise FileNotFoundError(f"{root}: data.dsprites.root names no file (expected dSprites' {FILENAME})")
    return found[0]


def expected_arrays() -> dict[str, tuple[tuple[int, ...], np.dtype]]:
    """The arrays the original file must hold: shape and dtype of each (colour is its latents' first column)."""
    return {"imgs": ((ROWS, SIDE, SIDE), np.dtype(np.uint8)),
            "latents_values": ((ROWS, 6), np.dtype(np.float64)),
            "latents_classes": ((ROWS, 6), np.dtype(np.int64))}


def read_dsprites(path: str | Path, rows: np.ndarray | None = None) -> np.ndarray:
    """uint8 images (N, 1, 64, 64), 0/255, of the given grid rows (sorted; all by default) of the original .npz.
    Each array's .npy header is checked (key, shape, dtype) before any data is read, so a hostile file cannot make
    it allocate more than the real arrays; the latents must follow dSprites' grid order; a ValueError says what
    is wrong."""
    path = Path(path)
    rows = np.arange(ROWS) if rows is None else np.asarray(rows, dtype=np.int64)
    try:
        with zipfile.ZipFile(path) as archive:
            members = set(archive.namelist())
            missing = [name for name in expected_arrays() if f"{name}.npy" not in members]
            if missing:
                raise ValueError(f"{path}: missing {', '.join(missing)} (has {sorted(members)}); not dSprites' {FILENAME}")
            with archive.open("latents_classes.npy") as stream:
                classes = _read_rows(stream, path, "latents_classes", None)
            with archive.open("latents_values.npy") as stream:
                values = _read_rows(stream, path, "latents_values", None)
            _check_order(path, classes, values)
            with archive.open("imgs.npy") as stream:
                pictures = _read_rows(stream, path, "imgs", rows)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, OSError, zlib.error) as error:
        raise ValueError(f"{path}: not a readable .npz (zip) file ({type(error).__name__}: {error})") from error
    return (pictures * np.uint8(255))[:, None]


def _header(stream, path: Path, name: str) -> tuple[tuple[int, ...], np.dtype]:
    """Read and check one array's .npy header (numpy.lib.format) against expected_arrays()."""
    shape, dtype = expected_arrays()[name]
    try:
        version = npy_format.read_magic(stream)
        if version not in ((1, 0), (2, 0)):
            raise ValueError(f"unsupported .npy version {version}")
        reader = npy_format.read_array_header_1_0 if version == (1, 0) else npy_format.read_array_header_2_0
        found, fortran, found_dtype = reader(stream)
    except ValueError as error:
        raise ValueError(f"{path}: {name} is not a readable .npy array ({error})") from error
    if found != shape:
        raise ValueError(f"{path}: {name} has shape {found}, expected {shape} (dSprites' {FILENAME})")
    if found_dtype != dtype:
        raise ValueError(f"{path}: {name} has dtype {found_dtype}, expected {dtype}")
    if fortran and len(shape) > 1:
        raise ValueError(f"{path}: {name} is stored in Fortran order, expected C order")
    return shape, dtype


def _read_rows(stream, path: Path, name: str, rows: np.ndarray | None) -> np.ndarray:
    """The rows (sorted; None: all) of one checked array, decompressed CHUNK_ROWS rows at a time; a ValueError
    when the data is shorter or longer than its header says, or when imgs holds values other than 0 and 1."""
    shape, dtype = _header(stream, path, name)
    row_bytes = math.prod(shape[1:]) * dtype.itemsize
    wanted = np.arange(shape[0]) if rows is None else rows
    out = np.empty((len(wanted), *shape[1:]), dtype=dtype)
    for start in range(0, shape[0], CHUNK_ROWS):
        stop = min(start + CHUNK_ROWS, shape[0])
        data = stream.read((stop - start) * row_bytes)
        if len(data) != (stop - start) * row_bytes:
            raise ValueError(f"{path}: {name} is truncated (its rows {start}..{stop - 1} are short)")
        chunk = np.frombuffer(data, dtype=dtype).reshape(stop - start, *shape[1:])
        if name == "imgs" and chunk.max(initial=0) > 1:
            raise ValueError(f"{path}: imgs holds values other than 0 and 1 (rows {start}..{stop - 1})")
        low, high = np.searchsorted(wanted, [start, stop])
        out[low:high] = chunk[wanted[low:high] - start]
    if stream.read(1):
        raise ValueError(f"{path}: {name} holds more data than its header's shape {shape}")
    return out


def _check_order(path: Path, classes: np.ndarray, values: np.ndarray) -> None:
    """The file's latents (colour dropped) must be the grid's classes and values, row by row."""
    expected = grid_classes(np.arange(len(classes)))
    wrong = np.flatnonzero((classes[:, 1:] != expected).any(axis=1)
                           | ~np.isclose(values[:, 1:], factor_values(expected), rtol=0, atol=1e-6).all(axis=1))
    if len(wrong):
        raise ValueError(f"{path}: {len(wrong)} rows of latents_classes or latents_values do not follow dSprites' "
                         f"grid order (first: row {wrong[0]}, classes {classes[wrong[0]].tolist()})")
