"""Attribute labels: MNIST's digit, shapes' shape, CelebA's attributes in both file layouts, the embedded faces."""

import re

import numpy as np
import pandas as pd
import pytest

from influential_factors.data.attributes import attribute_labels, read_celeba_attributes
from influential_factors.models.objectives.settings import has_attributes
from influential_factors.data.datasets import load_split
from influential_factors.data.faces import prepare_faces
from influential_factors.data.shapes import prepare_shapes

from test_faces import N_IMAGES, write_celeba

NAMES = ("5_o_Clock_Shadow Arched_Eyebrows Attractive Bags_Under_Eyes Bald Bangs Big_Lips Big_Nose Black_Hair "
         "Blond_Hair Blurry Brown_Hair Bushy_Eyebrows Chubby Double_Chin Eyeglasses Goatee Gray_Hair Heavy_Makeup "
         "High_Cheekbones Male Mouth_Slightly_Open Mustache Narrow_Eyes No_Beard Oval_Face Pale_Skin Pointy_Nose "
         "Receding_Hairline Rosy_Cheeks Sideburns Smiling Straight_Hair Wavy_Hair Wearing_Earrings Wearing_Hat "
         "Wearing_Lipstick Wearing_Necklace Wearing_Necktie Young").split()
EYEGLASSES, MALE = NAMES.index("Eyeglasses"), NAMES.index("Male")
VALUES = np.random.default_rng(3).choice([-1, 1], size=(N_IMAGES, len(NAMES)))  # image n's values: row n - 1
ORDER = [5, 12, 1, 9, 3, 7, 11, 2, 10, 4, 8, 6]  # the attribute files list the images out of order


def expected(numbers, column: int) -> np.ndarray:
    return (VALUES[np.asarray(numbers) - 1, column] == 1).astype(np.int64)


def write_attributes(root, kaggle: bool, rows=None, names=NAMES):
    """CelebA's attribute file in the layout's format; rows: (file name, values), by default every image in ORDER."""
    rows = [(f"{n:06d}.jpg", list(VALUES[n - 1])) for n in ORDER] if rows is None else rows
    if kaggle:
        path = root / "list_attr_celeba.csv"
        lines = [",".join(["image_id", *names])] + [",".join([name, *map(str, values)]) for name, values in rows]
    else:  # the official spacing: "000001.jpg -1  1  1 -1", a trailing space after the names
        path = root / "list_attr_celeba.txt"
        lines = [str(len(rows)), " ".join(names) + " "] + [" ".join([name, *(f"{v:2d}" for v in values)])
                                                           for name, values in rows]
    path.write_text("\n".join(lines) + "\n")
    return path


def test_the_fake_values_tell_every_image_apart_and_vary_in_the_attributes_tested():
    assert len(np.unique(VALUES, axis=0)) == N_IMAGES
    for column in (EYEGLASSES, MALE):
        assert 0 < expected(range(1, N_IMAGES + 1), column).sum() < N_IMAGES


def test_both_celeba_layouts_give_the_same_labels_for_images_in_any_order(tmp_path):
    numbers = np.array([7, 1, 12, 6, 6, 3])
    tables, labels = [], []
    for kaggle in (False, True):
        root = tmp_path / ("kaggle" if kaggle else "official")
        write_celeba(root, kaggle)
        tables.append(read_celeba_attributes(write_attributes(root, kaggle)))
        labels.append({name: attribute_labels("celeba", numbers, name, root) for name in ("Eyeglasses", "Male")})
    pd.testing.assert_frame_equal(tables[0], tables[1])
    np.testing.assert_array_equal(tables[0].loc[numbers].to_numpy(), VALUES[numbers - 1])
    for found in labels:
        classes, names = found["Eyeglasses"]
        assert classes.dtype == np.int64 and names == ["not Eyeglasses", "Eyeglasses"]
        np.testing.assert_array_equal(classes, expected(numbers, EYEGLASSES))
        np.testing.assert_array_equal(found["Male"][0], expected(numbers, MALE))


def test_prepared_faces_get_the_attributes_of_their_own_images(tmp_path):
    write_celeba(tmp_path, kaggle=False)
    write_attributes(tmp_path, kaggle=False)
    prepare_faces(tmp_path / "faces.npz", tmp_path, crop=148, split_mode="official", split=(0.8, 0.1, 0.1), seed=0)
    for split, numbers in (("train", range(1, 9)), ("test", [11, 12])):
        _, labels = load_split(tmp_path / "faces.npz", split)
        np.testing.assert_array_equal(attribute_labels("celeba", labels, "Male", tmp_path)[0], expected(numbers, MALE))


def broken(defect: str):
    """The rows of every image in ORDER, image 7 (the sixth row) broken by `defect` (image 5 is the first)."""
    rows = [(f"{n:06d}.jpg", list(VALUES[n - 1])) for n in ORDER if not (defect == "missing" and n == 7)]
    values = rows[5][1]
    if defect == "zero":
        values[EYEGLASSES] = 0
    elif defect == "short":
        values.pop()
    elif defect == "long":
        values.append(1)
    elif defect == "twice":
        rows[5] = (rows[0][0], values)
    return rows


@pytest.mark.parametrize("kaggle", [False, True])
@pytest.mark.parametrize("defect, message", [
    ("missing", r": 1 of the 2 labelled images are not in the file, first image numbers \[7\]"),
    ("zero", r": row 000007.jpg: values must be 1 or -1, got Eyeglasses=0"),
    ("short", r": row 000007.jpg has 39 values for the 40 attribute names"),
    ("long", r": not a readable CelebA attribute file \(.*Expected 41 fields in line {line}, saw 42\)$"),
    ("names", r": row 000005.jpg has 40 values for the 39 attribute names"),
    ("twice", r": image number 5 listed twice"),
])
def test_a_bad_attribute_file_is_named_with_its_first_bad_row(tmp_path, kaggle, defect, message):
    write_celeba(tmp_path, kaggle)
    path = write_attributes(tmp_path, kaggle, broken(defect), NAMES[:-1] if defect == "names" else NAMES)
    line = 7 if kaggle else 8  # image 7's row, after the header's 1 or 2 lines
    with pytest.raises(ValueError, match=re.escape(str(path)) + message.format(line=line)):
        attribute_labels("celeba", np.array([1, 7]), "Eyeglasses", tmp_path)


@pytest.mark.parametrize("kaggle", [False, True])
def test_an_unknown_or_missing_attribute_is_named(tmp_path, kaggle):
    write_celeba(tmp_path, kaggle)
    suffix = ".csv" if kaggle else ".txt"
    with pytest.raises(FileNotFoundError, match=re.escape(str(tmp_path / f"list_attr_celeba{suffix}"))):
        attribute_labels("celeba", np.array([1]), "Eyeglasses", tmp_path)
    write_attributes(tmp_path, kaggle)
    with pytest.raises(ValueError, match="unknown attribute 'Glasses', valid: 5_o_Clock_Shadow, .*, Eyeglasses, "):
        attribute_labels("celeba", np.array([1]), "Glasses", tmp_path)


def test_mnist_digit_and_digit_thresholds():
    digits = np.array([0, 4, 5, 9, 3])
    classes, names = attribute_labels("mnist", digits, "digit", None)
    assert classes.dtype == np.int64 and names == [str(d) for d in range(10)]
    np.testing.assert_array_equal(classes, digits)
    for threshold, wanted in ((1, [0, 1, 1, 1, 1]), (5, [0, 0, 1, 1, 0]), (9, [0, 0, 0, 1, 0])):
        classes, names = attribute_labels("mnist", digits, f"digit>={threshold}", None)
        np.testing.assert_array_equal(classes, wanted)
        assert names == [f"digit<{threshold}", f"digit>={threshold}"]


@pytest.mark.parametrize("attribute", ["digit>=0", "digit>=10", "digit>5", "digit >= 5", "Eyeglasses"])
def test_mnist_rejects_other_attributes_naming_the_valid_ones(attribute):
    with pytest.raises(ValueError, match=re.escape(f"unknown attribute {attribute!r}, valid: digit, digit>=1, ")):
        attribute_labels("mnist", np.array([1, 2]), attribute, None)


def test_mnist_rejects_labels_that_are_not_digits():
    for labels in (np.array([3, 10]), np.array([1.0, 2.0]), np.zeros((2, 5), dtype=np.int64)):
        with pytest.raises(ValueError, match="labels must be digits 0..9"):
            attribute_labels("mnist", labels, "digit", None)


def test_shapes_take_the_shape_factor_of_the_stored_labels(tmp_path):
    prepare_shapes(tmp_path / "shapes.npz", 30, (0.6, 0.2, 0.2), seed=0)
    _, factors = load_split(tmp_path / "shapes.npz", "train")
    classes, names = attribute_labels("shapes", factors, "shape", None)
    assert classes.dtype == np.int64 and names == ["square", "triangle", "ellipse"]
    np.testing.assert_array_equal(classes, factors[:, 0])
    assert set(classes) == {0, 1, 2}
    with pytest.raises(ValueError, match="unknown attribute 'scale', valid: shape"):
        attribute_labels("shapes", factors, "scale", None)
    with pytest.raises(ValueError, match="shape factor must be one of 0..2"):
        attribute_labels("shapes", factors[:, [1, 0, 2, 3, 4]], "shape", None)


def test_the_embedded_faces_and_deap_carry_no_attributes(tmp_path):
    assert has_attributes("mnist", None) and has_attributes("shapes", None) and has_attributes("celeba", str(tmp_path))
    assert not has_attributes("celeba", None) and not has_attributes("deap", None)
    with pytest.raises(ValueError, match="the embedded ORL faces .* carry no attributes"):
        attribute_labels("celeba", np.arange(1, 41), "Eyeglasses", None)
    with pytest.raises(ValueError, match="deap: no attributes"):
        attribute_labels("deap", np.zeros(3), "valence", None)
