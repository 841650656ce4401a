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
