"""Atomic writes: a failing writer leaves nothing behind; tables round-trip through every format."""

import json
import os
import signal
import stat
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

from influential_factors.core.artifacts import atomic_directory, atomic_path, load_arrays, save_arrays, save_json, save_table


def test_failed_write_leaves_no_file_and_keeps_the_old_one(tmp_path):
    target = tmp_path / "out.txt"
    with pytest.raises(RuntimeError):
        with atomic_path(target) as tmp:
            tmp.write_text("half")
            raise RuntimeError("killed")
    assert list(tmp_path.iterdir()) == []
    target.write_text("old")
    with pytest.raises(RuntimeError):
        with atomic_path(target) as tmp:
            tmp.write_text("new")
            raise RuntimeError("killed")
    assert target.read_text() == "old" and list(tmp_path.iterdir()) == [target]


def test_table_round_trips_in_csv_parquet_and_markdown(tmp_path):
    frame = pd.DataFrame({"top_percent": [100.0, 0.0], "I_used": [24.31234567, 0.0], "flag": [True, False]})
    save_table(frame, tmp_path / "table")
    pd.testing.assert_frame_equal(pd.read_parquet(tmp_path / "table.parquet"), frame)
    pd.testing.assert_frame_equal(pd.read_csv(tmp_path / "table.csv"), frame)
    markdown = (tmp_path / "table.md").read_text().splitlines()
    assert [cell.strip() for cell in markdown[0].split("|")[1:-1]] == ["top_percent", "I_used", "flag"]
    assert "24.312" in markdown[2] and "24.3123" not in markdown[2]


def test_arrays_and_json_round_trip(tmp_path):
    save_arrays(tmp_path / "a.npz", mu=np.arange(6.0).reshape(2, 3))
    np.testing.assert_array_equal(load_arrays(tmp_path / "a.npz", ("mu",))["mu"], np.arange(6.0).reshape(2, 3))
    with pytest.raises(ValueError, match="missing arrays"):
        load_arrays(tmp_path / "a.npz", ("mu", "logvar"))
    (tmp_path / "broken.npz").write_bytes(b"PK\x03\x04 truncated")
    with pytest.raises(ValueError, match="broken.npz"):
        load_arrays(tmp_path / "broken.npz", ("mu",))
    save_json(tmp_path / "m.json", {"b": 1, "a": {"c": 2.5}})
    assert json.loads((tmp_path / "m.json").read_text()) == {"a": {"c": 2.5}, "b": 1}


def test_failed_directory_write_leaves_the_old_directory(tmp_path):
    target = tmp_path / "videos"
    with atomic_directory(target) as tmp:
        (tmp / "a.npy").write_text("first")
    with pytest.raises(RuntimeError):
        with atomic_directory(target) as tmp:
            (tmp / "a.npy").write_text("half")
            raise RuntimeError("killed")
    assert (target / "a.npy").read_text() == "first"
    assert [p.name for p in tmp_path.iterdir()] == ["videos"]


WRITER = """
import sys, time
from influential_factors.core.artifacts import save_table
import pandas as pd

class Slow(pd.DataFrame):
    def to_parquet(self, *args, **kwargs):  # the CSV is written; stall in the middle of the Parquet file
        super().to_parquet(*args, **kwargs)
        print("writing", flush=True)
        time.sleep(60)

save_table(Slow({"I_est": [2.0, 1.0]}), sys.argv[1])
"""


def test_a_writer_killed_mid_table_leaves_the_old_files(tmp_path):
    """SIGKILL (no cleanup runs) while a table is half written: the three old files stay as they were,
    and the next write of the table removes the killed writer's hidden temporaries."""
    save_table(pd.DataFrame({"I_est": [0.5]}), tmp_path / "mi")
    before = {path.name: path.read_bytes() for path in tmp_path.iterdir()}
    job = subprocess.Popen([sys.executable, "-c", WRITER, str(tmp_path / "mi")], stdout=subprocess.PIPE, text=True)
    assert job.stdout.readline() == "writing\n"
    job.send_signal(signal.SIGKILL)
    assert job.wait() == -signal.SIGKILL
    visible = {path.name: path.read_bytes() for path in tmp_path.iterdir() if not path.name.startswith(".")}
    assert visible == before and len(list(tmp_path.iterdir())) == 6  # and three hidden temporaries
    save_table(pd.DataFrame({"I_est": [3.0]}), tmp_path / "mi")
    assert sorted(path.name for path in tmp_path.iterdir()) == ["mi.csv", "mi.md", "mi.parquet"]
    assert pd.read_csv(tmp_path / "mi.csv")["I_est"].tolist() == [3.0]


def test_outputs_get_the_permissions_of_a_plain_open(tmp_path):
    umask = os.umask(0o022)
    try:
        save_json(tmp_path / "metrics.json", {"a": 1})
        with atomic_directory(tmp_path / "videos") as folder:
            (folder / "x").write_text("x")
    finally:
        os.umask(umask)
    assert stat.S_IMODE((tmp_path / "metrics.json").stat().st_mode) == 0o644  # mkstemp alone gives 0600
    assert stat.S_IMODE((tmp_path / "videos").stat().st_mode) == 0o755


def test_table_stem_with_a_dot_keeps_it(tmp_path):
    """A beta that is not a whole number: `beta1.5` must not become `beta1.*` and overwrite beta 1's table."""
    save_table(pd.DataFrame({"beta": [1.0]}), tmp_path / "table1_beta1")
    save_table(pd.DataFrame({"beta": [1.5]}), tmp_path / "table1_beta1.5")
    save_table(pd.DataFrame({"beta": [0.1]}), tmp_path / "table1_beta1e-05")
    names = sorted(path.name for path in tmp_path.iterdir())
    assert names == sorted(f"table1_beta{beta}{suffix}" for beta in ("1", "1.5", "1e-05")
                           for suffix in (".csv", ".parquet", ".md"))
    assert pd.read_csv(tmp_path / "table1_beta1.csv")["beta"].tolist() == [1.0]
    assert pd.read_parquet(tmp_path / "table1_beta1.5.parquet")["beta"].tolist() == [1.5]
