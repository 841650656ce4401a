"""The locks (`make lock`) agree with pyproject.toml, with each other, with the cluster's environment file
and, for the packages that write their version into the results, with the running environment."""
import re
import tomllib
from importlib.metadata import version
from pathlib import Path

import pytest
import yaml
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parents[1]
PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==(\S+)")


def read_lock(path):
    """{package: (version, number of sha256 hashes)} of a pip-compile lock."""
    pins, name = {}, None
    for line in path.read_text().splitlines():
        if match := PIN.match(line):
            name = canonicalize_name(match[1])
            pins[name] = (match[2], 0)
        elif name and line.strip().startswith("--hash=sha256:"):
            pins[name] = (pins[name][0], pins[name][1] + 1)
    return pins


LOCK = read_lock(ROOT / "requirements.lock")
TEST_LOCK = read_lock(ROOT / "requirements-test.lock")
PROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
RUNTIME = [Requirement(r) for r in PROJECT["dependencies"]]
TEST = [Requirement(r) for r in PROJECT["optional-dependencies"]["test"]]


@pytest.mark.parametrize("lock, requirements", [(LOCK, RUNTIME), (TEST_LOCK, RUNTIME + TEST)],
                         ids=["runtime", "test"])
def test_every_requirement_is_bounded_and_pinned_within_its_range(lock, requirements):
    for requirement in requirements:
        name = canonicalize_name(requirement.name)
        assert {spec.operator for spec in requirement.specifier} & {"<", "=="}, f"{name} has no upper bound"
        assert name in lock, f"{name} is not in the lock: run `make lock`"
        assert requirement.specifier.contains(lock[name][0], prereleases=True), \
            f"{name}=={lock[name][0]} is outside pyproject's {requirement.specifier}: run `make lock`"


def test_locks_pin_every_package_with_hashes_and_agree():
    """`pip install --require-hashes` needs a hash for every package; the test lock only adds to the runtime's."""
    assert [name for name, (_, hashes) in TEST_LOCK.items() if not hashes] == []
    assert {name: TEST_LOCK.get(name) for name in LOCK} == LOCK
    assert "pytest" not in LOCK


@pytest.mark.parametrize("package", ["torch", "numpy", "matplotlib", "pyarrow"])
def test_running_environment_has_the_locked_release(package):
    """These write their version into (or decide the bytes of) the results dvc.lock hashes."""
    assert version(package) == LOCK[package][0]


def test_cluster_environment_installs_the_lock_with_hashes():
    env_file = ROOT / "workflow" / "envs" / "cluster.yaml"
    dependencies = yaml.safe_load(env_file.read_text())["dependencies"]
    pip = next(entry["pip"] for entry in dependencies if isinstance(entry, dict))
    assert "--require-hashes" in pip
    locks = [(env_file.parent / line.split(maxsplit=1)[1]).resolve() for line in pip if line.startswith("-r ")]
    assert locks == [ROOT / "requirements.lock"]
    python = re.search(r"pip-compile with Python (\S+)", locks[0].read_text())[1]
    assert f"python={python}" in dependencies
