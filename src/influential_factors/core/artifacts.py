"""Atomic artifact writing: every output goes to a temporary sibling, then is renamed.

A killed job therefore leaves either the previous file or nothing, never half a file.
"""

from __future__ import annotations

import contextlib
import glob
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
def atomic_paths(*paths: str | os.PathLike) -> Iterator[list[Path]]:
    """Yield a temporary path beside each of `paths`; rename them onto `paths` only if the block succeeds.

    A killed writer leaves the previous files (or none) and a hidden `.<name>.*.tmp*` temporary, which
    the next write of the same file removes. Several paths are renamed together at the end, so a
    failure while writing any of them leaves all of them as they were.
    """
    temporaries = []
    try:
        for path in paths:
            target = Path(path)
            target.parent.mkdir(parents=True, exist_ok=True)
            for stale in target.parent.glob(f".{glob.escape(target.name)}.*.tmp{glob.escape(target.suffix)}"):
                stale.unlink(missing_ok=True)
            fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp" + target.suffix, dir=target.parent)
            os.close(fd)
            temporaries.append(Path(tmp))
            _permit_as_usual(tmp, 0o666)
        yield list(temporaries)
        for tmp, path in zip(temporaries, paths):
            os.replace(tmp, path)
    finally:
        for tmp in temporaries:
            tmp.unlink(missing_ok=True)


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike) -> Iterator[Path]:
    """Yield a temporary path beside `path`; rename it onto `path` only if the block succeeds."""
    with atomic_paths(path) as (tmp,):
        yield tmp


@contextlib.contextmanager
def atomic_directory(path: str | os.PathLike) -> Iterator[Path]:
    """Yield a temporary folder beside `path`; it replaces `path` only if the block succeeds (a killed
    writer's hidden `.<name>.*.tmp` folder is removed by the next write)."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    for stale in target.parent.glob(f".{glob.escape(target.name)}.*.tmp"):
        shutil.rmtree(stale, ignore_errors=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent))
    _permit_as_usual(tmp, 0o777)
    try:
        yield tmp
        if target.exists():
            shutil.rmtree(target)
        os.replace(tmp, target)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def path_relation(path: str | os.PathLike, other: str | os.PathLike) -> str | None:
    """How `path` stands to `other`, both resolved: "is", "is inside" or "holds" it; None when apart."""
    path, other = Path(path).resolve(), Path(other).resolve()
    return "is" if path == other else "is inside" if other in path.parents else "holds" if path in other.parents else None


def refuse_overlap(source: str | os.PathLike, output: str | os.PathLike, source_option: str, output_option: str) -> None:
    """A ValueError when `output` is `source`, inside it, or holds it: preparation writes its output
    atomically, replacing what is there, and must never remove or overwrite input data."""
    where = path_relation(output, source)
    if where:
        raise ValueError(f"{output}: {output_option} {where} the input data {source_option} {source}; "
                         "refusing to write there (choose an output outside the data)")


def _permit_as_usual(path: str | os.PathLike, mode: int) -> None:
    """Give a temporary the permissions a plain open() would (`mode` less the umask): mkstemp makes it
    private (0600), and the renamed output would stay unreadable to a teammate or a web server."""
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(path, mode & ~umask)


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
    """Write a table as `<stem>.csv`, `<stem>.parquet` (full precision) and `<stem>.md` (rounded, after `note`),
    all or none. The suffix is appended to the stem's name, never substituted for a dotted part of it: the stem
    `table1_beta1.5` writes `table1_beta1.5.csv`, not `table1_beta1.csv` (another beta's table)."""
    stem = Path(stem)
    paths = (stem.with_name(stem.name + suffix) for suffix in (".csv", ".parquet", ".md"))
    with atomic_paths(*paths) as (csv, parquet, md):
        frame.to_csv(csv, index=False)
        frame.to_parquet(parquet, index=False, engine="pyarrow")
        formats = [f".{float_digits}f" if _has_fractions(frame[column]) else "g" for column in frame.columns]
        md.write_text((note + "\n\n" if note else "") + frame.to_markdown(index=False, floatfmt=formats) + "\n")


def _has_fractions(column: pd.Series) -> bool:
    """True for a float column holding a non-integral value (shown rounded); counts print plainly."""
    return pd.api.types.is_float_dtype(column) and bool((column.dropna() % 1 != 0).any())
