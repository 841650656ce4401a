"""A real one-node SLURM cluster on this machine (Debian's slurm-wlm and munge), for the profile test.

slurmctld and slurmd run on localhost with their state, logs and munge socket in a scratch folder.
The configuration must sit at /etc/slurm/slurm.conf: the SLURM executor plugin clears every SLURM_*
variable (SLURM_CONF too) before it calls srun inside a job, so only the default path is found.
The node declares 8 CPUs, 64 GB and one GPU (a GRES backed by /dev/null, so no job can use it) with
`SlurmdParameters=config_overrides`: the shipped profile's requests are scheduled as written, GPU ones
included, on a 2-core machine without a GPU.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from pathlib import Path

PACKAGES = ("slurmctld", "slurmd", "slurm-client", "munge")
CONFIG_DIR = Path("/etc/slurm")
MARK = "# written by the influential-factors test suite\n"


def missing_reason() -> str | None:
    """Why a local cluster cannot be started here (None when it can): root, apt and a free /etc/slurm."""
    if os.geteuid() != 0:
        return "starting slurmctld and slurmd needs root"
    config = CONFIG_DIR / "slurm.conf"
    if config.exists() and not config.read_text().startswith(MARK):
        return f"{config} belongs to a real cluster: not overwritten"
    if not shutil.which("slurmctld") and not shutil.which("apt-get"):
        return "slurm-wlm is not installed and apt-get is not available"
    return None


def install() -> None:
    """Install Debian's SLURM daemons, client and munge when they are missing."""
    if all(shutil.which(tool) for tool in ("slurmctld", "slurmd", "sbatch", "munged")):
        return
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    subprocess.run(["apt-get", "update", "-qq"], check=True, env=env, capture_output=True)
    subprocess.run(["apt-get", "install", "-y", "-qq", "--no-install-recommends", *PACKAGES], check=True, env=env,
                   capture_output=True)


def _config(folder: Path) -> str:
    return MARK + f"""ClusterName=influential-factors-test
SlurmctldHost=localhost
SlurmUser=root
SlurmdUser=root
SlurmctldPort=46817
SlurmdPort=46818
AuthType=auth/munge
AuthInfo=socket={folder}/munge.socket
StateSaveLocation={folder}/state
SlurmdSpoolDir={folder}/spool
SlurmctldPidFile={folder}/slurmctld.pid
SlurmdPidFile={folder}/slurmd.pid
SlurmctldLogFile={folder}/slurmctld.log
SlurmdLogFile={folder}/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_Core_Memory
SlurmdParameters=config_overrides
MpiDefault=none
ReturnToService=2
MinJobAge=7200
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
GresTypes=gpu
NodeName=localhost CPUs=8 RealMemory=64000 Gres=gpu:1 State=UNKNOWN
PartitionName=debug Nodes=localhost Default=YES MaxTime=INFINITE State=UP
"""


class LocalCluster:
    """Start munged, slurmctld and slurmd with their files in `folder`; `stop` ends them and removes the config."""

    def __init__(self, folder: Path):
        self.folder = folder
        for name in ("state", "spool"):
            (folder / name).mkdir(parents=True, exist_ok=True)
        key = folder / "munge.key"
        subprocess.run(["mungekey", "--create", f"--keyfile={key}"], check=True, capture_output=True)
        key.chmod(0o600)
        subprocess.run(["munged", "--force", f"--socket={folder}/munge.socket", f"--key-file={key}",
                        f"--pid-file={folder}/munged.pid", f"--log-file={folder}/munged.log",
                        f"--seed-file={folder}/munge.seed"], check=True, capture_output=True)
        CONFIG_DIR.mkdir(parents=True, exist_ok=True)
        (CONFIG_DIR / "slurm.conf").write_text(_config(folder))
        (CONFIG_DIR / "gres.conf").write_text(MARK + "NodeName=localhost Name=gpu File=/dev/null\n")
        subprocess.run(["slurmctld"], check=True, capture_output=True)
        subprocess.run(["slurmd"], check=True, capture_output=True)
        try:
            self._wait_until_idle()
        except RuntimeError:
            self.stop()  # no daemons or /etc/slurm files left behind for the next run
            raise

    def _wait_until_idle(self, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            state = subprocess.run(["sinfo", "--noheader", "--format=%T"], capture_output=True, text=True).stdout
            if state.strip() == "idle":
                return
            time.sleep(1)
        raise RuntimeError(f"the local SLURM node did not come up: {self.log()}")

    def jobs(self) -> list[dict[str, str]]:
        """Every job the controller remembers (MinJobAge keeps finished ones for 2 hours,
        longer than the smoke DAG runs on a loaded 2-core machine): its
        Snakemake rule (from the plugin's job comment), CPUs, memory and GPUs as SLURM granted them."""
        lines = subprocess.run(["scontrol", "--oneliner", "show", "job"], capture_output=True, text=True).stdout
        jobs = []
        for line in lines.splitlines():
            fields = dict(field.split("=", 1) for field in line.split() if "=" in field)
            tres = dict(item.split("=", 1) for item in fields.get("TRES", "").split(",") if "=" in item)
            jobs.append({"rule": fields.get("Comment", "").removeprefix("rule_").split("_wildcards")[0],
                         "cpus": fields.get("NumCPUs"), "mem": tres.get("mem"),
                         "gpus": fields.get("TresPerJob", "").removeprefix("gres:gpu:") or "0"})
        return jobs

    def log(self) -> str:
        """The daemons' logs, for a failing test's message."""
        return "\n".join(path.read_text(errors="replace")[-3000:] for path in sorted(self.folder.glob("*.log")))

    def stop(self) -> None:
        subprocess.run(["scontrol", "shutdown"], capture_output=True)
        for name in ("slurmd", "munged"):
            pid_file = self.folder / f"{name}.pid"
            if pid_file.exists():
                subprocess.run(["kill", pid_file.read_text().strip()], capture_output=True)
        for name in ("slurm.conf", "gres.conf"):
            (CONFIG_DIR / name).unlink(missing_ok=True)
