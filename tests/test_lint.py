"""The rules pass `snakemake --lint` without a finding (every rule names its environment) and are snakefmt-formatted."""

import re
import subprocess
import sys
from pathlib import Path

from workflow_project import REPO, ScratchProject

NO_ENVIRONMENT = "Specify a conda environment or container for each rule."
ENVIRONMENT = "../envs/cluster.yaml"  # the one locked environment, relative to workflow/rules/ (Snakefile: no rule runs)


def lint_findings(output: str) -> set[tuple[str, str]]:
    """(rule or snakefile, finding) for every finding `snakemake --lint` printed."""
    findings, target = set(), None
    for line in output.splitlines():
        if heading := re.match(r"Lints for (?:rule (\w+) \(|snakefile (\S+):)", line):
            target = heading.group(1) or Path(heading.group(2)).name
        elif finding := re.match(r"    \* (.+?):?$", line):
            findings.add((target, finding.group(1)))
    return findings


def rules_running_commands() -> set[str]:
    """The rules with a shell command (`all` and the other target rules run none)."""
    text = "".join(path.read_text() for path in [REPO / "Snakefile", *(REPO / "workflow/rules").glob("*.smk")])
    blocks = re.split(r"^rule (\w+):", text, flags=re.M)[1:]
    return {name for name, body in zip(blocks[::2], blocks[1::2]) if re.search(r"^    shell:", body, flags=re.M)}


def test_lint_findings_parse_by_rule():
    output = ("Lints for snakefile /x/rules/data.smk:\n    * Mixed rules and functions in same snakefile.:\n"
              "      Small one-liner functions ...\n\nLints for rule a (line 3, /x/Snakefile):\n"
              "    * Specify a conda environment or container for each rule.:\n")
    assert lint_findings(output) == {("data.smk", "Mixed rules and functions in same snakefile."), ("a", NO_ENVIRONMENT)}


def test_snakemake_lint_finds_nothing(tmp_path, venv_bin):
    project = ScratchProject(tmp_path, venv_bin)
    output = project.run("snakemake", "--lint", check=False)
    assert lint_findings(output) == set(), output


def test_every_rule_running_a_command_names_the_locked_environment():
    """Each rule file's rules with a command name workflow/envs/cluster.yaml (requirements.lock), relative to the file."""
    named = set()
    for path in (REPO / "workflow/rules").glob("*.smk"):
        blocks = re.split(r"^rule (\w+):", path.read_text(), flags=re.M)[1:]
        named |= {name for name, body in zip(blocks[::2], blocks[1::2])
                  if re.search(r'^    conda:\n        "' + re.escape(ENVIRONMENT) + '"$', body, flags=re.M)}
        assert (path.parent / ENVIRONMENT).resolve() == REPO / "workflow/envs/cluster.yaml"
    assert named == rules_running_commands()


def test_rules_are_snakefmt_formatted():
    snakefmt = Path(sys.executable).parent / "snakefmt"  # its settings: pyproject.toml's [tool.snakefmt]
    result = subprocess.run([str(snakefmt), "--check", "Snakefile", "workflow/rules"], cwd=REPO, capture_output=True,
                            text=True)
    assert result.returncode == 0, result.stderr
