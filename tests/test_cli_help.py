"""The CLI's help: every option documented with its default, the subcommands listed in workflow order."""

import argparse
import re

import pytest

from influential_factors import cli
from influential_factors.cli.options import HelpFormatter

from conftest import REPO
from workflow_project import ScratchProject


def _subcommands() -> dict[str, argparse.ArgumentParser]:
    """The parser's subcommands, in the order `influential-factors --help` lists them."""
    parser = cli.build_parser()
    return next(action for action in parser._actions if isinstance(action, argparse._SubParsersAction)).choices


def _options():
    return [(name, action) for name, command in _subcommands().items() for action in command._actions
            if action.help is not argparse.SUPPRESS and action.dest != "help"]


@pytest.mark.parametrize("name, action", _options(), ids=[f"{name} {action.dest}" for name, action in _options()])
def test_every_option_has_help_and_shows_its_default(name, action):
    assert action.help and action.help.strip()
    shown = HelpFormatter(name)._get_help_string(action)
    assert action.required or "%(default)s" in shown  # an optional option says what it is when omitted


def test_help_renders_every_subcommand(capsys):
    """Every help text formats (a stray % or a default argparse cannot show would raise here)."""
    for name in _subcommands():
        with pytest.raises(SystemExit):
            cli.main([name, "--help"])
        assert capsys.readouterr().out.startswith(f"usage: influential-factors {name} ")


def _rule_commands() -> dict[str, str]:
    """Each Snakemake rule's subcommand (`rule NAME:` ... `influential-factors COMMAND`), from the rule files."""
    commands = {}
    for path in sorted((REPO / "workflow" / "rules").glob("*.smk")):
        for rule, body in re.findall(r"^rule (\w+):\n(.*?)(?=^\S|\Z)", path.read_text(), re.M | re.S):
            command = re.search(r"influential-factors ([a-z-]+)", body)
            if command:
                commands[rule] = command.group(1)
    return commands


def test_subcommands_are_listed_in_workflow_order(tmp_path, venv_bin):
    """No subcommand reads what a subcommand listed after it writes (Snakemake's rule graph), and every rule's
    subcommand is listed."""
    order = list(_subcommands())
    rules = _rule_commands()
    assert set(rules.values()) <= set(order)
    graph = ScratchProject(tmp_path, venv_bin).run("snakemake", "--rulegraph", "--forceall", "all")
    labels = dict(re.findall(r'^\s*(\d+)\[label = "(\w+)"', graph, re.M))
    edges = [(labels[source], labels[target]) for source, target in re.findall(r"^\s*(\d+) -> (\d+)$", graph, re.M)]
    assert len(edges) > 20
    late = [(rules[source], rules[target]) for source, target in edges if source in rules and target in rules
            and order.index(rules[source]) > order.index(rules[target])]
    assert late == []
