"""params.yaml: loading and validation against the JSON schema in workflow/schemas/.

Every problem is reported before the first job, one short line each naming the key (or the file and
line): YAML duplicate keys, a file that is not a mapping, schema violations, non-finite numbers and
control characters anywhere, relations between keys the schema cannot state, and real-data roots that
are missing or overlap the workflow's own output folders.
"""

from __future__ import annotations

import json
import math
import re
from pathlib import Path

import yaml

from ..models.objectives.settings import schema_sections
from .relations import LINE_WIDTH, data_root_errors, relation_errors, root_overlap_errors, short

DEFAULT_SCHEMA = Path("workflow") / "schemas" / "params.schema.yaml"


class ParamsError(ValueError):
    """params.yaml breaks the schema; the message has one line per broken rule, naming the key."""

    one_problem_per_line = True  # the CLI prints the message as it is (cli.user_error)


def _clip(line: str, width: int = LINE_WIDTH) -> str:
    line = " ".join(line.split()) if "\n" in line or "\r" in line else line
    return line if len(line) <= width else line[: width - 3] + "..."


def _key_path(path) -> str:
    """`vae.mnist.betas[0]` from jsonschema's deque of keys and indices."""
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text or "(top level)"


def _parse_key_path(text: str) -> tuple:
    """The keys and indices of a key path as _key_path writes it: `vae.mnist.betas[0]` -> ('vae', 'mnist', 'betas', 0)."""
    return tuple(int(index) if index else key for key, index in re.findall(r"([^.\[\]]+)|\[(\d+)\]", text))


def value_sources(path: tuple, sources: list[tuple[str, object]]) -> list[str]:
    """Which of `sources` ((label, mapping), each overriding the ones before, merged key by key as Snakemake merges
    config files and --config) set the value at `path`: the last one holding it (a list or a scalar replaces what
    was there), or each holding it where it is a mapping; none when no source holds it."""
    holders = []
    for label, content in sources:
        node, held = content, True
        for key in path:
            if not isinstance(node, dict):
                break  # a list or a scalar above `path` replaced everything below it
            if key not in node:
                held = False
                break
            node = node[key]
        if held:
            holders = holders + [label] if isinstance(node, dict) else [label]
    return holders


# --- reading YAML: duplicate keys are an error, not "the last one wins" --------------------------------------

class _UniqueKeyLoader(yaml.SafeLoader):
    """yaml.SafeLoader that records every key repeated within one mapping (Snakemake's loader silently keeps
    the last, DVC refuses the file). Merge keys (`<<`) may be overridden, as YAML intends."""

    def __init__(self, stream):
        super().__init__(stream)
        self.duplicates: list[tuple[int, object, int]] = []  # (line, key, line of its first occurrence)

    def construct_mapping(self, node, deep=False):
        if isinstance(node, yaml.MappingNode):
            seen = {}
            for key_node, _ in node.value:
                if key_node.tag == "tag:yaml.org,2002:merge":
                    continue
                key = self.construct_object(key_node, deep=True)
                try:
                    first = seen.setdefault(key, key_node.start_mark.line + 1)
                except TypeError:  # an unhashable key: the constructor reports it
                    continue
                if first != key_node.start_mark.line + 1:
                    self.duplicates.append((key_node.start_mark.line + 1, key, first))
        return super().construct_mapping(node, deep=deep)


def _json_pairs(duplicates: list):
    def hook(pairs):
        seen = set()
        for key, _ in pairs:
            if key in seen:
                duplicates.append((None, key, None))
            seen.add(key)
        return dict(pairs)
    return hook


def read_yaml(path: str | Path) -> tuple[object, list[str]]:
    """The content of a YAML (or JSON, as Snakemake reads config files) file and one error line per
    duplicate key. Unreadable or malformed files raise ParamsError naming the file."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise ParamsError(_clip(f"{path}: cannot read parameters ({error})")) from error
    duplicates: list = []
    try:
        content = json.loads(text, object_pairs_hook=_json_pairs(duplicates))
    except ValueError:
        duplicates.clear()
        loader = _UniqueKeyLoader(text)
        try:
            content = loader.get_single_data()
        except yaml.YAMLError as error:
            raise ParamsError(_clip(f"{path}: cannot read parameters ({error})")) from error
        finally:
            loader.dispose()
        duplicates = loader.duplicates
    errors = [f"{path}:{line}: duplicate key {short(key)} (first on line {first}; Snakemake would keep the last, "
              f"DVC refuses the file)" if line else f"{path}: duplicate key {short(key)}"
              for line, key, first in sorted(duplicates, key=lambda item: item[0] or 0)]
    return content, errors


def _describe(value) -> str:
    if value is None:
        return "an empty file"
    kind = type(value).__name__
    return f"{'an' if kind[0] in 'aeiou' else 'a'} {kind} ({short(value)})"


def check_config_file(path: str | Path) -> None:
    """Raise ParamsError if the config file at `path` (when it exists) is not a mapping or repeats a key: for
    the Snakefile, before Snakemake's own loader reads it (it would say neither which file nor which key)."""
    if not Path(path).exists():
        return
    content, errors = read_yaml(path)
    if not isinstance(content, dict):
        raise ParamsError(f"{path}: expected a mapping of parameters, got {_describe(content)}")
    if errors:
        raise ParamsError(f"{path} is invalid:\n" + "\n".join(f"  {_clip(line)}" for line in errors))


# --- the checks ----------------------------------------------------------------------------------------------

def value_errors(params, path=()) -> list[tuple[tuple, str]]:
    """(key path, line) for every non-finite number (.nan, .inf: JSON schema cannot say "finite") and every
    string with a control character (a newline in a name splits a shell command), anywhere in `params`."""
    errors = []
    if isinstance(params, dict):
        for key, value in params.items():
            errors += value_errors(value, path + (key,))
    elif isinstance(params, list):
        for index, value in enumerate(params):
            errors += value_errors(value, path + (index,))
    elif isinstance(params, float) and not math.isfinite(params):
        errors.append((path, f"{_key_path(path)}: {params} is not a finite number"))
    elif isinstance(params, str) and any(ord(char) < 32 or ord(char) == 127 for char in params):
        errors.append((path, f"{_key_path(path)}: {short(params)} contains a control character (e.g. a newline)"))
    return errors


def validation_errors(params: dict, schema: dict, skip: set = frozenset()) -> list[str]:
    """One line per schema violation: the key, its (shortened) value and the rule it broke; keys in `skip`
    (already reported) are left out."""
    from jsonschema import Draft202012Validator

    validator = Draft202012Validator(schema)
    lines = []
    for error in sorted(validator.iter_errors(params), key=lambda e: list(map(str, e.absolute_path))):
        if tuple(error.absolute_path) in skip:
            continue
        message = error.message
        full = repr(error.instance)
        if len(full) > 40 and full in message:
            message = message.replace(full, short(error.instance))
        lines.append(f"{_key_path(error.absolute_path)}: {message}")
    return lines


def with_objectives(schema: dict) -> dict:
    """`schema` with the objectives' sections, which the schema file leaves out: params.yaml's `objectives` (each
    objective's settings) and a dataset's `vae.<dataset>.objectives` (their beta grids), from the objectives'
    declarations (models/objectives/settings.py), so that a new objective needs no schema edit."""
    settings, grids = schema_sections()
    schema = {**schema, "properties": {**schema["properties"], "objectives": settings}}
    vae = schema.get("$defs", {}).get("vae")
    if isinstance(vae, dict):
        schema["$defs"] = {**schema["$defs"], "vae": {**vae, "properties": {**vae["properties"], "objectives": grids}}}
    return schema


def validate_params(params: dict, schema_path: str | Path = DEFAULT_SCHEMA, source: str | None = None,
                    files: list | tuple = (), overrides: dict | None = None) -> dict:
    """Return `params` unchanged if valid, else raise ParamsError listing every violation, one line each.

    `files` are the config files `params` was merged from, each overriding the ones before (Snakemake: params.yaml,
    then each --configfile): each is checked for repeated keys. `overrides` are Snakemake's --config values, applied
    last. With more than one source, each line names where its value came from. `source` names the parameters in
    the heading (default: the sources, else params.yaml).
    """
    sources = []
    errors = []
    for path in files:
        content, duplicates = read_yaml(path)
        if not isinstance(content, dict):
            raise ParamsError(f"{path}: expected a mapping of parameters, got {_describe(content)}")
        sources.append((str(path), content))
        errors += duplicates
    sources += [("--config", dict(overrides))] if overrides else []
    source = source or ", ".join(label for label, _ in sources) or "params.yaml"
    if not isinstance(params, dict):
        raise ParamsError(f"{source}: expected a mapping of parameters, got {_describe(params)}")
    schema, schema_duplicates = read_yaml(schema_path)
    if schema_duplicates or not isinstance(schema, dict):
        problems = "; ".join(schema_duplicates or ["not a mapping"])
        raise ParamsError(_clip(f"{schema_path}: not a valid schema ({problems})"))
    schema = with_objectives(schema)
    bad_values = value_errors(params)
    errors += [line for _, line in bad_values]
    errors += validation_errors(params, schema, skip={path for path, _ in bad_values})
    overlaps = root_overlap_errors(params)
    overlapping = {line.split(":")[0] for line in overlaps}  # "does not exist" would only add noise there
    errors += relation_errors(params) + overlaps
    errors += [line for line in data_root_errors(params) if line.split(":")[0] not in overlapping]
    if errors:
        heading = f"the parameters merged from {source} are" if len(sources) > 1 else f"{source} is"
        raise ParamsError(f"{heading} invalid:\n" + "\n".join(f"  {_attributed(line, sources)}" for line in errors))
    return params


def _attributed(line: str, sources: list[tuple[str, object]]) -> str:
    """`line` (clipped) and, when the parameters come from several sources, the one(s) its key's value came from."""
    holders = value_sources(_parse_key_path(line.split(": ", 1)[0]), sources) if len(sources) > 1 else []
    suffix = f" (from {', '.join(holders)})" if holders else ""
    return _clip(line, LINE_WIDTH - len(suffix)) + suffix


def load_params(path: str | Path, schema_path: str | Path = DEFAULT_SCHEMA) -> dict:
    """Read and validate a params file (repeated keys are errors, like any other violation)."""
    params, _ = read_yaml(path)
    return validate_params(params, schema_path, source=str(path), files=[path])
