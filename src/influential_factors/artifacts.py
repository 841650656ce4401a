"""Atomic artifact writing: every output goes to a temporary sibling, then is renamed.

A killed job therefore leaves either the previous file or nothing, never half a file.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import tempfile
import zipfile
from pathlib import Path
from typing import Iterator

import numpy as np
import pandas as pd


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike) -> Iterator[Path]:
    """Yield a temporary path beside `path`; rename it onto `path` only if the block succeeds."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp" + target.suffix, dir=target.parent)
    os.close(fd)
    tmp_path = Path(tmp)
    try:
        yield tmp_path
        os.replace(tmp_path, target)
    finally:
        tmp_path.unlink(missing_ok=True)


@contextlib.contextmanager
def atomic_directory(path: str | os.PathLike) -> Iterator[Path]:
    """Yield a temporary folder beside `path`; it replaces `path` only if the block succeeds."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent))
    try:
        yield tmp
        if target.exists():
            shutil.rmtree(target)
        os.replace(tmp, target)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def save_arrays(path: str | os.PathLike, **arrays: np.ndarray) -> None:
    """Write named arrays to an uncompressed .npz file, atomically."""
    with atomic_path(path) as tmp:
        with open(tmp, "wb") as handle:
            np.savez(handle, **arrays)


def load_arrays(path: str | os.PathLike, required: tuple[str, ...]) -> dict[str, np.ndarray]:
    """Read an .npz file and check that it holds the `required` arrays."""
    try:
        with np.load(path, allow_pickle=False) as data:
            arrays = {name: data[name] for name in data.files}
    except (OSError, ValueError, EOFError, zipfile.BadZipFile) as error:
        raise ValueError(f"{path}: not a readable .npz array file ({error})") from error
    missing = [name for name in required if name not in arrays]
    if missing:
        raise ValueError(f"{path}: missing arrays {missing} (has {sorted(arrays)})")
    return arrays


def save_json(path: str | os.PathLike, payload: dict) -> None:
    """Write a JSON document (sorted keys, trailing newline), atomically."""
    with atomic_path(path) as tmp:
        tmp.write_text(json.dumps(payload, indent=2, sort_keys=True) + "\n")


def save_table(frame: pd.DataFrame, stem: str | os.PathLike, float_digits: int = 3, note: str = "") -> None:
    """Write a table as `<stem>.csv`, `<stem>.parquet` (full precision) and `<stem>.md` (rounded, after `note`)."""
    stem = Path(stem)
    with atomic_path(stem.with_suffix(".csv")) as tmp:
        frame.to_csv(tmp, index=False)
    with atomic_path(stem.with_suffix(".parquet")) as tmp:
        frame.to_parquet(tmp, index=False, engine="pyarrow")
    with atomic_path(stem.with_suffix(".md")) as tmp:
        formats = [f".{float_digits}f" if _has_fractions(frame[column]) else "g" for column in frame.columns]
        tmp.write_text((note + "\n\n" if note else "") + frame.to_markdown(index=False, floatfmt=formats) + "\n")


def _has_fractions(column: pd.Series) -> bool:
    """True for a float column holding a non-integral value (shown rounded); counts print plainly."""
    return pd.api.types.is_float_dtype(column) and bool((column.dropna() % 1 != 0).any())
