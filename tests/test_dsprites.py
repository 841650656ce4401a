"""dSprites on its exact grid: the grid (dSprites' values and order), the drawn shapes (a real heart, the
symmetries of each shape, whole-pixel positions), the reader of the original .npz (checked before it reads)
and the generic preparation saving the factor names MIG reads back."""

import zipfile

import numpy as np
import pytest
from numpy.lib import format as npy_format

from influential_factors.data import dsprites
from influential_factors.data.datasets import load_split
from influential_factors.data.dsprites import (CANVAS, FACTOR_NAMES, FILENAME, SHAPES, SIZES, VALUES, factor_values,
                                               grid_classes, grid_index, grid_rows, grid_sprites, images, render,
                                               sprites)
from influential_factors.data.registry import prepare_registered, raw_files
from influential_factors.data.shapes import prepare_shapes
from influential_factors.information.mig import factor_names
from influential_factors.pipeline.relations import relation_errors

SQUARE, ELLIPSE, HEART = range(3)


@pytest.fixture(scope="module")
def grid():
    """The 720 sprites of the grid, (3, 6, 40, CANVAS, CANVAS)."""
    return grid_sprites().reshape(*SIZES[:3], CANVAS, CANVAS)


def test_the_grid_is_dsprites_own_and_every_row_is_one_combination():
    rows = np.arange(737280)
    classes = grid_classes(rows)
    np.testing.assert_array_equal(grid_index(classes), rows)  # index -> factors -> index
    assert len(np.unique(classes, axis=0)) == 737280 == dsprites.ROWS
    for column, size in enumerate(SIZES):  # each value equally often: the full product
        np.testing.assert_array_equal(np.bincount(classes[:, column]), np.full(size, 737280 // size))
    values = factor_values(classes)
    for column, expected in enumerate(VALUES):
        np.testing.assert_array_equal(np.unique(values[:, column]), expected)
    np.testing.assert_allclose(VALUES[1], [0.5, 0.6, 0.7, 0.8, 0.9, 1.0])
    np.testing.assert_allclose(VALUES[2][:3], [0.0, 0.16110732, 0.32221463], atol=1e-8)  # dSprites' latents_possible_values:
    assert VALUES[2][-1] == pytest.approx(2 * np.pi)  # 40 values in [0, 2 pi], step 2 pi / 39
    np.testing.assert_allclose(VALUES[3][[0, 1, -1]], [0.0, 0.03225806, 1.0], atol=1e-8)
    # dSprites' order: y fastest, then x, orientation, scale, shape (latents_classes . bases)
    assert grid_index(np.array([[1, 2, 3, 4, 5]]))[0] == 1 * 245760 + 2 * 40960 + 3 * 1024 + 4 * 32 + 5
    np.testing.assert_array_equal(values[33], [1.0, 0.5, 0.0, VALUES[3][1], VALUES[4][1]])


def test_drawn_images_are_binary_and_labelled_with_their_factor_values():
    pictures, labels = images({"root": None, "count": 300, "split": [0.8, 0.1, 0.1]}, seed=1)
    assert pictures.shape == (300, 1, 64, 64) and pictures.dtype == np.uint8
    assert set(np.unique(pictures)) == {0, 255}
    assert (pictures.reshape(300, -1).max(axis=1) == 255).all()
    assert labels.shape == (300, 5) and labels.dtype == np.float64
    np.testing.assert_array_equal(render(grid_classes(grid_index(np.column_stack(
        [np.searchsorted(values, labels[:, k]) for k, values in enumerate(VALUES)])))), pictures)


def test_a_seeded_subset_is_reproducible_distinct_and_in_grid_order():
    first = grid_rows(20000, seed=3)
    np.testing.assert_array_equal(first, grid_rows(20000, seed=3))
    assert len(np.unique(first)) == 20000 and (np.diff(first) > 0).all() and first.max() < 737280
    assert not np.array_equal(first, grid_rows(20000, seed=4))
    np.testing.assert_array_equal(grid_rows(None, seed=3), np.arange(737280))
    for bad in (0, 737281, 2.5, True):
        with pytest.raises(ValueError, match="count must be null or an integer"):
            grid_rows(bad, seed=0)


def _rows_filled(mask):
    return np.flatnonzero(mask.any(axis=1))


def test_the_heart_has_two_lobes_a_notch_on_top_and_a_point_below():
    square, ellipse, heart = (sprites(shape, 1.0, 0.0)[0] > 0 for shape in (SQUARE, ELLIPSE, HEART))
    middle = CANVAS // 2
    np.testing.assert_array_equal(heart, heart[:, ::-1])  # mirror-symmetric about the vertical axis
    columns = np.flatnonzero(heart.any(axis=0))
    top = np.array([np.flatnonzero(heart[:, column])[0] for column in columns])
    lobes = columns[top == top.min()]
    assert (lobes < middle).any() and (lobes > middle).any()  # two lobes, left and right
    inner = top[(columns > lobes[lobes < middle].max()) & (columns < lobes[lobes > middle].min())]
    assert inner.argmax() == len(inner) // 2 and top[columns == middle][0] > top.min() + 1  # one notch, in the middle
    assert (np.diff(inner[: len(inner) // 2 + 1]) >= 0).all()  # from a lobe down into the notch, no second dip
    widths = heart.sum(axis=1)[_rows_filled(heart)]
    bottom = _rows_filled(heart)[-1]
    assert widths[-1] == 1 and heart[bottom, middle]  # one pixel at the bottom, under the centre: the point
    assert (np.diff(widths[widths.argmax():]) <= 0).all()  # narrowing all the way down to it
    assert heart[top[columns == middle][0]:bottom + 1, middle].all()  # the middle column is whole below the notch
    # square and ellipse have flat tops; areas: ellipse < heart < square
    assert (square[_rows_filled(square)[0]] == square.any(axis=0)).all()
    assert ellipse.sum() < heart.sum() < square.sum()


def test_orientation_turns_by_2pi_over_39_and_each_shape_has_its_own_symmetry(grid):
    np.testing.assert_allclose(VALUES[2], np.arange(40) * 2 * np.pi / 39)
    np.testing.assert_array_equal(grid[:, :, 0], grid[:, :, 39])  # 0 and 2 pi: the same image, as in dSprites
    heart = grid[HEART, -1, :39].reshape(39, -1)
    assert len(np.unique(heart, axis=0)) == 39  # every other orientation differs
    angles, scales = VALUES[2][None, :], VALUES[1][:, None]
    for shape, quarter, half in ((SQUARE, True, True), (ELLIPSE, False, True), (HEART, False, False)):
        for turn, same in ((np.pi / 2, quarter), (np.pi, half)):
            turned = sprites(shape, scales, angles + turn).reshape(6, 40, CANVAS, CANVAS)
            equal = (turned == grid[shape]).all(axis=(2, 3))
            assert equal.all() if same else not equal.any(), (SHAPES[shape], turn)
    # counter-clockwise as seen: the heart's point (bottom) goes to the right after a quarter turn
    turned = sprites(HEART, 1.0, np.pi / 2)[0] > 0
    columns = np.flatnonzero(turned.any(axis=0))
    assert turned[:, columns[-1]].sum() == 1 and turned[CANVAS // 2, columns[-1]]


def test_position_shifts_by_whole_pixels_and_never_clips(grid):
    sprite = np.repeat(np.arange(720), 4)
    corners = np.tile([[0, 0], [0, 31], [31, 0], [31, 31]], (720, 1))
    classes = np.column_stack([np.column_stack(np.unravel_index(sprite, SIZES[:3])), corners])
    pictures = render(classes)[:, 0]
    mass = grid.reshape(720, -1).astype(np.int64).sum(axis=1)
    np.testing.assert_array_equal(pictures.astype(np.int64).sum(axis=(1, 2)), np.repeat(mass, 4))  # whole everywhere
    assert not pictures[:, [0, -1], :].any() and not pictures[:, :, [0, -1]].any()
    base = np.array([[HEART, 5, 7, 10, 20]])
    moved = render(np.concatenate([base, base + [0, 0, 0, 1, 0], base + [0, 0, 0, 0, 1]]))[:, 0]
    np.testing.assert_array_equal(moved[1][:, 1:], moved[0][:, :-1])  # x + 1: one column right
    np.testing.assert_array_equal(moved[2][1:], moved[0][:-1])  # y + 1: one row down
    low, high = (np.nonzero(picture)[0] for picture in render(np.array([[SQUARE, 0, 0, 0, 0], [SQUARE, 0, 0, 31, 31]]))[:, 0])
    assert (low.min(), low.max(), high.min(), high.max()) == (16 - 5, 16 + 5, 47 - 5, 47 + 5)  # centre: pixel 16 at 0,
    #                                                                          47 at 1 (the square's half side: 5.1)


def _original(path, rows=2048, drop=(), **replace):
    """A file in the format of dSprites' original .npz for the first `rows` grid rows (imgs 0/1, colour column,
    a pickled metadata array the reader must never load), with arrays dropped or replaced."""
    classes = grid_classes(np.arange(rows))
    arrays = {"imgs": render(classes)[:, 0] // 255,
              "latents_values": np.column_stack([np.ones(rows), factor_values(classes)]),
              "latents_classes": np.column_stack([np.zeros(rows, dtype=np.int64), classes]),
              "metadata": np.array({"title": "dSprites"}, dtype=object)}
    arrays.update(replace)
    np.savez_compressed(path, **{name: array for name, array in arrays.items() if name not in drop})
    return path


@pytest.fixture
def small_grid(monkeypatch):
    """The original file's row count cut to 2048 (its first rows), so a real-format file is small."""
    monkeypatch.setattr(dsprites, "ROWS", 2048)
    assert dsprites.expected_arrays()["imgs"][0] == (2048, 64, 64)


def test_the_full_original_file_is_expected_with_737280_rows():
    assert {name: shape for name, (shape, _) in dsprites.expected_arrays().items()} == {
        "imgs": (737280, 64, 64), "latents_values": (737280, 6), "latents_classes": (737280, 6)}


def test_the_original_file_gives_the_drawn_arrays(tmp_path, small_grid):
    path = _original(tmp_path / FILENAME)
    for count in (None, 300):
        read = images({"root": str(path), "count": count}, seed=0)
        drawn = images({"root": None, "count": count}, seed=0)
        for ours, theirs in zip(read, drawn):
            assert ours.dtype == theirs.dtype
            np.testing.assert_array_equal(ours, theirs)
    np.testing.assert_array_equal(images({"root": str(tmp_path), "count": 50}, seed=0)[0],  # its folder works too
                                  images({"root": None, "count": 50}, seed=0)[0])


@pytest.mark.parametrize("change, message", [
    (dict(drop=("latents_classes",)), "missing latents_classes"),
    (dict(imgs=np.zeros((2048, 64, 64), dtype=np.float32)), "imgs has dtype float32, expected uint8"),
    (dict(latents_values=np.zeros((2048, 6), dtype=np.float32)), "latents_values has dtype float32, expected float64"),
    (dict(imgs=np.zeros((2048, 32, 32), dtype=np.uint8)), r"imgs has shape \(2048, 32, 32\), expected \(2048, 64, 64\)"),
    (dict(latents_classes=np.zeros((2047, 6), dtype=np.int64)), r"latents_classes has shape \(2047, 6\)"),
    (dict(imgs=np.full((2048, 64, 64), 255, dtype=np.uint8)), "imgs holds values other than 0 and 1"),
    (dict(latents_classes=np.zeros((2048, 6), dtype=np.int64)), "2047 rows .* do not follow dSprites' grid order"),
])
def test_a_wrong_original_file_is_refused_with_what_is_wrong(tmp_path, small_grid, change, message):
    path = _original(tmp_path / FILENAME, **change)
    with pytest.raises(ValueError, match=f"{FILENAME}: {message}"):
        images({"root": str(path), "count": None}, seed=0)


def test_a_file_that_is_no_zip_is_refused(tmp_path):
    path = tmp_path / FILENAME
    path.write_text("imgs latents_values latents_classes\n")
    with pytest.raises(ValueError, match=f"{FILENAME}: not a readable .npz \\(zip\\) file"):
        images({"root": str(path), "count": 10}, seed=0)
    with pytest.raises(FileNotFoundError, match="names no file"):
        images({"root": str(tmp_path / "absent.npz"), "count": 10}, seed=0)


@pytest.mark.parametrize("declared, message", [
    ((10 ** 9, 6), r"latents_classes has shape \(1000000000, 6\), expected \(737280, 6\)"),  # checked before reading
    ((737280, 6), "latents_classes is truncated"),  # the declared shape, but no data behind it
])
def test_a_hostile_header_is_refused_before_any_data_is_allocated(tmp_path, declared, message):
    path = tmp_path / FILENAME
    with zipfile.ZipFile(path, "w") as archive:
        for name in ("imgs", "latents_values", "latents_classes"):
            with archive.open(f"{name}.npy", "w") as member:
                npy_format.write_array_header_1_0(member, {"descr": "<i8", "fortran_order": False, "shape": declared})
    with pytest.raises(ValueError, match=message):
        images({"root": str(path), "count": 10}, seed=0)


def test_the_generic_preparation_saves_the_factor_names_mig_reads(tmp_path):
    path = tmp_path / "dsprites.npz"
    sizes = prepare_registered(path, "dsprites", {"root": None, "count": 200, "split": [0.8, 0.1, 0.1]}, seed=0)
    assert sizes == {"train": 160, "val": 20, "test": 20}
    pictures, labels = load_split(path, "test")
    assert pictures.shape == (20, 1, 64, 64) and labels.shape == (20, 5)
    assert factor_names(path, 5) == list(FACTOR_NAMES) == ["shape", "scale", "orientation", "x", "y"]
    prepare_shapes(tmp_path / "shapes.npz", 20, (0.6, 0.2, 0.2), seed=0)  # the shapes' own names, from their file
    assert factor_names(tmp_path / "shapes.npz", 5) == ["shape", "scale", "rotation", "x", "y"]


def test_a_split_leaving_a_part_empty_is_refused_before_any_job(default_params):
    default_params["data"]["dsprites"].update(count=10, split=[0.9, 0.05, 0.05])
    assert "data.dsprites.split: [0.9, 0.05, 0.05] leaves a part of 10 samples empty (val)" in relation_errors(default_params)
    default_params["data"]["dsprites"].update(count=None, split=[1.0, 0.0, 0.0])
    assert any(error.startswith("data.dsprites.split") for error in relation_errors(default_params))


def test_the_original_file_is_an_input_of_its_preparation_where_a_root_names_it(tmp_path):
    """Replacing the real file re-runs the generic preparation (the rule's input): the root as the file or its folder;
    nothing for drawn data or a root without the file (the preparation itself says what is missing)."""
    assert raw_files("dsprites", {"root": None}) == []
    assert raw_files("dsprites", {"root": str(tmp_path)}) == []
    (tmp_path / FILENAME).write_bytes(b"")
    assert raw_files("dsprites", {"root": str(tmp_path)}) == [str(tmp_path / FILENAME)]
    assert raw_files("dsprites", {"root": str(tmp_path / FILENAME)}) == [str(tmp_path / FILENAME)]
    assert raw_files("shapes", {"root": str(tmp_path)}) == []  # its own rule, no root


def test_mig_on_the_grid_is_near_one_for_codes_copying_the_factors_and_near_zero_for_noise():
    """MIG against dSprites' five factors: codes that are the factors themselves (plus unused dimensions) align
    each factor with one code; codes of pure noise align none."""
    from influential_factors.information.mig import mutual_information_gap

    factors = factor_values(grid_classes(grid_rows(20_000, seed=0)))
    rng = np.random.default_rng(1)
    copies = np.column_stack([factors, rng.normal(size=(len(factors), 5))])
    assert mutual_information_gap(copies, factors)["mig"] > 0.95
    assert mutual_information_gap(rng.normal(size=(len(factors), 10)), factors)["mig"] < 0.02
