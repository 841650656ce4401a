"""Attribute labels y for the supervised objectives (MMVAE): one class index per image of a processed split.

The attribute spec, per dataset (the split's labels y_<split> are what each data set stores):
  mnist   "digit": the digit, 10 classes "0".."9"; "digit>=K", K in 1..9: binary, "digit<K" 0, "digit>=K" 1
  shapes  "shape": the discrete factor (column 0 of the factors), classes shapes.SHAPES
  celeba  one of the attribute names of CelebA's attribute file (the thesis: Eyeglasses, Male): binary,
          "not NAME" 0 (-1 in the file), "NAME" 1 (1 in the file); y_<split> holds the image numbers.
The attribute file lies next to the partition file of the layout `faces.find_celeba` finds: official
list_attr_celeba.txt (line 1: the image count; line 2: the names; then "000001.jpg -1  1 ...", separated by
whitespace) or Kaggle's list_attr_celeba.csv (header image_id and the names; rows "000001.jpg,-1,1,...").
The embedded ORL faces (data.celeba.root null) and DEAP carry no attributes: see
objective_settings.has_attributes.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from .datasets import N_CLASSES, load_split
from .faces import find_celeba
from .shapes import FACTOR_NAMES, SHAPES

ATTRIBUTE_FILE = "list_attr_celeba"  # + the partition file's suffix: .txt (official layout) or .csv (Kaggle's)
DIGIT_ATTRIBUTES = ["digit"] + [f"digit>={k}" for k in range(1, N_CLASSES)]


@dataclass(frozen=True)
class Attribute:
    """The attribute y that labels a dataset's images (`name`, the spec above), and real CelebA's folder."""

    dataset: str
    name: str
    celeba_root: str | Path | None = None

    def labelled_split(self, data_path: str | Path, split: str) -> tuple[np.ndarray, np.ndarray, list[str]]:
        """The uint8 images of one split of the processed data set, their class indices and the class names
        (the file read once)."""
        images, labels = load_split(data_path, split)
        return (images, *attribute_labels(self.dataset, labels, self.name, self.celeba_root))


def attribute_labels(dataset: str, labels: np.ndarray, attribute: str,
                     celeba_root: str | Path | None) -> tuple[np.ndarray, list[str]]:
    """int64 class indices (N,) of `attribute` for a split's labels y_<split>, and the class names."""
    labels = np.asarray(labels)
    if dataset == "mnist":
        return _digit_labels(labels, attribute)
    if dataset == "shapes":
        return _shape_labels(labels, attribute)
    if dataset == "celeba":
        if celeba_root is None:
            raise ValueError("celeba: the embedded ORL faces (data.celeba.root null) carry no attributes, only the "
                             "person's number: skip them (objective_settings.has_attributes) or set data.celeba.root to real CelebA")
        return _celeba_labels(labels, attribute, celeba_root)
    raise ValueError(f"{dataset}: no attributes (datasets with attributes: mnist, shapes, celeba)")


def _digit_labels(labels: np.ndarray, attribute: str) -> tuple[np.ndarray, list[str]]:
    if attribute not in DIGIT_ATTRIBUTES:
        raise ValueError(f"mnist: unknown attribute {attribute!r}, valid: {', '.join(DIGIT_ATTRIBUTES)}")
    integers = labels.ndim == 1 and np.issubdtype(labels.dtype, np.integer)
    if not integers or not np.isin(labels, np.arange(N_CLASSES)).all():
        raise ValueError(f"mnist: labels must be digits 0..{N_CLASSES - 1} of shape (N,), got {labels.dtype} "
                         f"{labels.shape}")
    if attribute == "digit":
        return labels.astype(np.int64), [str(digit) for digit in range(N_CLASSES)]
    threshold = int(attribute.removeprefix("digit>="))
    return (labels >= threshold).astype(np.int64), [f"digit<{threshold}", attribute]


def _shape_labels(labels: np.ndarray, attribute: str) -> tuple[np.ndarray, list[str]]:
    if attribute != "shape":
        raise ValueError(f"shapes: unknown attribute {attribute!r}, valid: shape (the only discrete factor)")
    if labels.ndim != 2 or labels.shape[1] != len(FACTOR_NAMES):
        raise ValueError(f"shapes: labels must be the factors {FACTOR_NAMES} of shape (N, {len(FACTOR_NAMES)}), "
                         f"got {labels.shape}")
    shape = labels[:, FACTOR_NAMES.index("shape")]
    if not np.isin(shape, np.arange(len(SHAPES))).all():
        raise ValueError(f"shapes: the shape factor must be one of 0..{len(SHAPES) - 1} ({', '.join(SHAPES)})")
    return shape.astype(np.int64), list(SHAPES)


def _celeba_labels(labels: np.ndarray, attribute: str, root: str | Path) -> tuple[np.ndarray, list[str]]:
    if labels.ndim != 1 or not np.issubdtype(labels.dtype, np.integer):
        raise ValueError(f"celeba: labels must be image numbers of shape (N,), got {labels.dtype} {labels.shape}")
    path = celeba_attribute_file(root)
    if not path.is_file():
        raise FileNotFoundError(f"{path}: CelebA attribute file missing (expected next to the partition file)")
    table = read_celeba_attributes(path)
    if attribute not in table.columns:
        raise ValueError(f"{path}: unknown attribute {attribute!r}, valid: {', '.join(table.columns)}")
    rows = table.index.get_indexer(labels)
    if (rows < 0).any():
        missing = labels[rows < 0]
        raise ValueError(f"{path}: {len(missing)} of the {len(labels)} labelled images are not in the file, first "
                         f"image numbers {missing[:3].tolist()}")
    return (table[attribute].to_numpy()[rows] == 1).astype(np.int64), [f"not {attribute}", attribute]


def celeba_attribute_file(root: str | Path) -> Path:
    """Where real CelebA's attribute file lies: beside the partition file of the layout `find_celeba` finds."""
    partition = find_celeba(root).partition
    return partition.with_name(ATTRIBUTE_FILE + partition.suffix)


def read_celeba_attributes(path: str | Path) -> pd.DataFrame:
    """CelebA's attribute file, either layout (by suffix), indexed by image number: one column of 1/-1 per name.

    A ValueError names the file and the first bad row: a value other than 1 or -1, too few or too many values,
    a file name without a number, or an image listed twice."""
    path = Path(path)
    kaggle = path.suffix == ".csv"
    try:
        with path.open(encoding="utf-8-sig") as handle:  # -sig: a byte-order mark (a csv saved by Excel) is dropped
            header = [handle.readline() for _ in range(1 if kaggle else 2)]
        if kaggle:
            key, *names = header[0].strip().split(",")
            if key != "image_id":
                raise ValueError(f"the header must start with image_id, got {key!r}")
        else:
            count, names = header[0].strip(), header[1].split()
            if not count.isdigit():
                raise ValueError(f"line 1 must be the image count, got {count!r}")
        # header=None: the column count comes from the first row, a longer row later is a ParserError naming its
        # line (counted in the file: skiprows, not a handle past the header)
        table = pd.read_csv(path, sep="," if kaggle else r"\s+", header=None, skiprows=len(header), dtype={0: str},
                            encoding="utf-8-sig")
    except (OSError, ValueError) as error:  # pandas' ParserError and EmptyDataError are ValueErrors
        raise ValueError(f"{path}: not a readable CelebA attribute file ({str(error).strip()})") from error
    if not names or not all(names) or len(set(names)) != len(names):
        raise ValueError(f"{path}: the attribute names must be distinct and at least one, got {names}")
    if table.shape[1] != len(names) + 1:
        raise ValueError(f"{path}: row {table.iloc[0, 0]} has {table.shape[1] - 1} values for the {len(names)} "
                         "attribute names")
    table.columns = ["image_id", *names]
    valid = table[names].isin([1, -1])
    if not valid.all(axis=None):
        row = int(np.flatnonzero(~valid.all(axis=1))[0])
        image, present = table.at[row, "image_id"], int(table.loc[row, names].notna().sum())
        if present < len(names):
            raise ValueError(f"{path}: row {image} has {present} values for the {len(names)} attribute names")
        bad = [f"{name}={table.at[row, name]}" for name in names if not valid.at[row, name]]
        raise ValueError(f"{path}: row {image}: values must be 1 or -1, got {', '.join(bad[:3])}")
    numbers = table["image_id"].str.extract(r"(\d+)")[0]  # the image number, as faces.prepare_faces labels the images
    if numbers.isna().any():
        raise ValueError(f"{path}: row {table['image_id'][numbers.isna()].iloc[0]}: file name without a number")
    numbers = pd.Index(numbers.astype(np.int64), name="image")
    if numbers.has_duplicates:
        raise ValueError(f"{path}: image number {numbers[numbers.duplicated()][0]} listed twice")
    return table[names].astype(np.int64).set_axis(numbers)
