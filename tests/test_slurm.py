"""The shipped SLURM profile on a real one-node SLURM cluster: a slice of the smoke DAG that runs every
resource class of the profile gives the local run's files.

Runs where a cluster can be started (root, Debian's packages reachable or installed; see
slurm_cluster.py), which CI's machine allows; skipped elsewhere with the reason.
"""

import filecmp

import pytest

from slurm_cluster import LocalCluster, install, missing_reason
from workflow_project import ScratchProject

pytestmark = [pytest.mark.slow, pytest.mark.slurm]

COMPARED = ("*.csv", "*.json", "*.npz", "*.npy", "*.pt")


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    reason = missing_reason()
    if reason:
        pytest.skip(reason)
    install()
    cluster = LocalCluster(tmp_path_factory.mktemp("slurm"))
    yield cluster
    cluster.stop()


# Every rule the profile grants distinct resources (GPU, many cores, the default), MNIST's and DEAP's chains
# and an objective beyond the beta-VAE: the whole smoke DAG through sbatch outlasts CI's time on 2 cores.
TARGETS = ("results/estimators/mnist/beta_vae/beta1_seed0.csv", "data/processed/celeba.npz",
           "results/tables/deap/beta_vae/table2_beta6_seed0.csv", "results/models/shapes/isa_vae/beta4_seed0/model.pt")


def test_smoke_workflow_through_the_slurm_profile_matches_the_local_run(cluster, snakemake_run, tmp_path, venv_bin):
    project = ScratchProject(tmp_path, venv_bin)
    try:
        log = project.run("snakemake", "--profile", "workflow/profiles/slurm", "--jobs", "8",
                          "--slurm-status-command", "squeue",  # no accounting database: squeue, MinJobAge 2 h
                          "--slurm-init-seconds-before-status-checks", "2", *TARGETS)
    except AssertionError as error:
        raise AssertionError(f"{error}\n{cluster.log()}") from None
    jobs = cluster.jobs()
    assert len(jobs) == log.count("has been submitted with SLURM jobid") >= 12  # one sbatch job per rule
    granted = {job["rule"]: (job["cpus"], job["mem"], job["gpus"]) for job in jobs}
    assert granted["train_vae"] == ("1", "32000M", "1")  # the profile's requests, as the scheduler granted them
    assert granted["prepare_celeba"] == ("8", "16000M", "0")
    assert granted["prepare_mnist"] == ("1", "4000M", "0")
    assert all(granted[rule][2] == "1" for rule in ("encode", "encode_videos", "classify_topk", "compare_estimators"))

    files = sorted(path.relative_to(tmp_path) for pattern in COMPARED
                   for folder in ("data/processed", "results") for path in (tmp_path / folder).rglob(pattern))
    assert {str(path) for path in files} >= set(TARGETS)
    different = [str(path) for path in files if not filecmp.cmp(snakemake_run.root / path, tmp_path / path, shallow=False)]
    assert different == []
