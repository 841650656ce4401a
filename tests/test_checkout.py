"""The warning when the code that runs is not the working checkout's (two clones sharing one environment)."""

import os
import shutil
import subprocess
import sys

from influential_factors.pipeline import checkout

from influential_factors import cli

from conftest import REPO, SCHEMA


def _checkout(root, change: str = ""):
    """A checkout of the project in `root`: a Snakefile and this package's code, with `change` appended to information/mi.py."""
    (root / "Snakefile").write_text("")
    package = root / "src" / "influential_factors"
    shutil.copytree(checkout.PACKAGE, package, ignore=shutil.ignore_patterns("__pycache__"))
    with open(package / "information" / "mi.py", "a") as module:
        module.write(change)
    return package


def test_a_second_checkout_with_other_code_is_warned_about_once(tmp_path, monkeypatch, capsys):
    package = _checkout(tmp_path, "\n# the second clone's change\n")
    assert checkout.foreign_package(tmp_path) == package
    monkeypatch.chdir(tmp_path)
    for _ in range(2):
        assert cli.main(["validate-params", str(REPO / "params.yaml"), "--schema", str(SCHEMA)]) == 0
    warnings = [line for line in capsys.readouterr().err.splitlines() if line.startswith("warning:")]
    assert warnings == [f"warning: running influential_factors from {checkout.PACKAGE}, not this checkout's {package};"
                        f" install it here (`make install`) or set PYTHONPATH={package.parent}"]


def test_the_console_command_warns_in_a_second_checkout(tmp_path):
    _checkout(tmp_path, "\n# the second clone's change\n")
    env = dict(os.environ, PYTHONPATH=str(checkout.PACKAGE.parent))  # the package installed from the first clone
    result = subprocess.run([sys.executable, "-m", "influential_factors", "validate-params", str(REPO / "params.yaml"),
                             "--schema", str(SCHEMA)], cwd=tmp_path, env=env, capture_output=True, text=True)
    assert result.returncode == 0 and result.stderr.count("warning: running influential_factors from") == 1


def test_no_warning_in_the_real_checkout_a_copy_or_elsewhere(tmp_path):
    assert checkout.foreign_package(REPO) is None  # the tests run this checkout's code
    assert checkout.foreign_package(tmp_path) is None  # not a checkout
    _checkout(tmp_path)
    assert checkout.foreign_package(tmp_path) is None  # the same code (the tests' scratch projects)
