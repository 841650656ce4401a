"""Stale Snakemake locks: released when no Snakemake process runs in the folder, kept while one does."""

import os
from pathlib import Path

from influential_factors.pipeline.snakemake_locks import release_stale_locks, running_snakemake


def _process(proc: Path, pid: int, argv: list[str], cwd: Path) -> None:
    entry = proc / str(pid)
    entry.mkdir(parents=True)
    (entry / "cmdline").write_bytes("\0".join(argv).encode() + b"\0")
    os.symlink(cwd, entry / "cwd")


def _locked(workdir: Path) -> list[Path]:
    locks = workdir / ".snakemake" / "locks"
    locks.mkdir(parents=True)
    for name in ("0.input.lock", "0.output.lock"):
        (locks / name).write_text("results/models/mnist/beta_vae/beta1_seed0/model.pt\n")
    return sorted(locks.iterdir())


def test_a_dead_runs_lock_is_released(tmp_path):
    workdir, proc = tmp_path / "project", tmp_path / "proc"
    files = _locked(workdir)
    _process(proc, 101, ["/venv/bin/python", "/venv/bin/snakemake", "--cores", "2"], tmp_path / "elsewhere")
    _process(proc, 102, ["bash", "-c", "sleep 100"], workdir)
    assert release_stale_locks(workdir, proc) == files
    assert not any(path.exists() for path in files)


def test_a_running_snakemake_keeps_its_lock(tmp_path):
    workdir, proc = tmp_path / "project", tmp_path / "proc"
    files = _locked(workdir)
    for pid, argv in ((201, ["snakemake", "--cores", "1"]), (202, ["python3", "-m", "snakemake", "all"])):
        _process(proc, pid, argv, workdir)
        assert running_snakemake(workdir, proc) == [pid]
        assert release_stale_locks(workdir, proc) == []
        assert all(path.exists() for path in files)
        (proc / str(pid) / "cwd").unlink()
        (proc / str(pid) / "cmdline").unlink()
        (proc / str(pid)).rmdir()


def test_no_lock_or_no_proc_changes_nothing(tmp_path):
    assert release_stale_locks(tmp_path, tmp_path / "proc") == []
    files = _locked(tmp_path)
    assert release_stale_locks(tmp_path, tmp_path / "no proc here") == []
    assert all(path.exists() for path in files)


def test_this_machines_proc_sees_no_snakemake_in_an_empty_folder(tmp_path):
    assert running_snakemake(tmp_path) == []
