import sys
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[1]
SCHEMA = REPO / "workflow" / "schemas" / "params.schema.yaml"


@pytest.fixture
def default_params():
    """The repository's params.yaml, as a dict."""
    return yaml.safe_load((REPO / "params.yaml").read_text())


@pytest.fixture(scope="session")
def venv_bin():
    """The folder of the interpreter running the tests: snakemake, dvc and the CLI live there."""
    return str(Path(sys.executable).parent)


@pytest.fixture(scope="session")
def snakemake_run(tmp_path_factory, venv_bin):
    """The whole DAG run once by local Snakemake on the smoke configuration, shared by the slow tests."""
    from workflow_project import ScratchProject

    project = ScratchProject(tmp_path_factory.mktemp("snakemake"), venv_bin)
    project.run("snakemake", "--cores", "2", "all")
    project.run("snakemake", "--cores", "1", "--report", "results/report.html")  # the documented report command
    return project


@pytest.fixture(scope="module")
def one_thread():
    """For a module of tiny models (`pytestmark = pytest.mark.usefixtures("one_thread")`): extra threads only
    add contention."""
    import torch

    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)
