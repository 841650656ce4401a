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
import reprlib
from pathlib import Path

import yaml

from .artifacts import path_relation
from .layout import OUTPUT_FOLDERS
from .objective_settings import ATTRIBUTE_DATASETS, SUPERVISED, has_attributes, settings_problem, settings_section
from .registry import DATASETS  # a real-data root equal to, inside or containing one could be overwritten

DEFAULT_SCHEMA = Path("workflow") / "schemas" / "params.schema.yaml"


# The images' side per dataset (datasets.MNIST_SHAPE, faces.FACE_SIZE, shapes.SIZE; DEAP: data.deap.grid_size):
# each of vae.<dataset>.channels' conv layers halves it, so it must be divisible by 2^layers.
IMAGE_SIDES = {name: entry.side for name, entry in DATASETS.items() if entry.side}

LINE_WIDTH = 200  # the longest line of an error message; a longer one is cut
_REPR = reprlib.Repr()
_REPR.maxstring = _REPR.maxother = _REPR.maxlong = 40
_REPR.maxlist = _REPR.maxtuple = 8
_REPR.maxdict = 4
_REPR.maxlevel = 2


class ParamsError(ValueError):
    """params.yaml breaks the schema; the message has one line per broken rule, naming the key."""


def short(value) -> str:
    """repr() of `value`, shortened (reprlib-style) so that a huge value never makes a giant line."""
    return _REPR.repr(value)


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


def _numbers(value) -> bool:
    return (isinstance(value, list) and all(isinstance(item, (int, float)) and not isinstance(item, bool)
                                            and math.isfinite(item) for item in value))


def _section(params, *keys):
    for key in keys:
        params = params.get(key) if isinstance(params, dict) else None
    return params


def _name(key) -> str:
    """A mapping key as it appears in a key path: plain when a short string, else shortened repr()."""
    return key if isinstance(key, str) and len(key) <= 40 and key.isprintable() else short(key)


def _split_errors(key: str, split, count) -> list[str]:
    """A seeded split of `count` samples leaves a part empty (the arithmetic of datasets.split_indices, which
    fails at preparation time)."""
    if not (_numbers(split) and len(split) == 3 and abs(sum(split) - 1) <= 1e-6 and min(split) >= 0
            and isinstance(count, int) and not isinstance(count, bool) and count > 0):
        return []
    ends = [min(count, int(round(split[0] * count)))]
    ends.append(min(count, ends[0] + int(round(split[1] * count))))
    sizes = dict(zip(("train", "val", "test"), (ends[0], ends[1] - ends[0], count - ends[1])))
    empty = [name for name, size in sizes.items() if size <= 0]
    if empty:
        return [f"{key}: {short(split)} leaves a part of {count} samples empty ({', '.join(empty)})"]
    return []


def relation_errors(params: dict) -> list[str]:
    """The rules JSON schema cannot state, between keys, checked for every dataset (DVC builds them all):
    split fractions sum to 1 and leave no part empty, band edges are increasing and hold an FFT bin, conv
    layers fit the image size, DEAP's channel names exist, top-k lists hold 100, official CelebA splits need
    CelebA."""
    from .deap import DEAP_EEG_CHANNELS, SAMPLING_RATE

    errors = []
    sections = _section(params, "data")
    for name, section in (sections.items() if isinstance(sections, dict) else ()):
        section = section if isinstance(section, dict) else {}
        split = section.get("split")
        if _numbers(split) and abs(sum(split) - 1) > 1e-6:
            errors.append(f"data.{name}.split: {short(split)} must sum to 1")
    deap = _section(params, "data", "deap") or {}
    bands = deap.get("bands")
    bins = range(SAMPLING_RATE // 2 + 1)  # FFT of 1-s windows (deap_videos): one bin per whole Hz up to Nyquist
    for band, edges in (bands.items() if isinstance(bands, dict) else ()):
        if not (_numbers(edges) and len(edges) == 2):
            continue
        if edges[0] >= edges[1]:
            errors.append(f"data.deap.bands.{_name(band)}: {short(edges)} must be [low, high] with low < high")
        elif not any(edges[0] <= frequency < edges[1] for frequency in bins):
            errors.append(f"data.deap.bands.{_name(band)}: {short(edges)} holds no FFT bin (1-s windows: "
                          f"whole Hz from 0 to {SAMPLING_RATE // 2}, low included, high excluded)")
    if isinstance(bands, dict) and len(bands) not in (1, 3):
        errors.append(f"data.deap.bands: {len(bands)} bands; the figures draw 1 (grey) or 3 (R, G, B)")
    channels = deap.get("channels")
    if isinstance(channels, list):
        unknown = [channel for channel in channels if isinstance(channel, str) and channel not in DEAP_EEG_CHANNELS]
        if unknown:
            errors.append(f"data.deap.channels: {short(unknown)} are not among DEAP's 32 EEG channels")
    shapes = _section(params, "data", "shapes") or {}
    errors += _split_errors("data.shapes.split", shapes.get("split"), shapes.get("count"))
    subjects, trials = deap.get("subjects"), deap.get("simulated_trials")
    if deap.get("root") is None and isinstance(subjects, list) and isinstance(trials, int):
        errors += _split_errors("data.deap.split", deap.get("split"), len(subjects) * trials)
    celeba = _section(params, "data", "celeba") or {}
    if celeba.get("split_mode") == "official" and celeba.get("root") is None:
        errors.append("data.celeba.split_mode: 'official' needs real CelebA (data.celeba.root); "
                      "the embedded faces have no official partition")
    sides = dict(IMAGE_SIDES, deap=deap.get("grid_size"))
    vae = _section(params, "vae")
    for name, section in (vae.items() if isinstance(vae, dict) else ()):
        layers, side = _section(section, "channels"), sides.get(name)
        if isinstance(layers, list) and layers and isinstance(side, int) and side > 0 and side % 2 ** len(layers):
            errors.append(f"vae.{name}.channels: {len(layers)} conv layers each halve the {side}x{side} images, "
                          f"but {side} is not divisible by 2^{len(layers)}")
    errors += objective_errors(params)
    for key in ("topk_percent", "topk_percent_emotion"):
        percents = _section(params, "analysis", key)
        if isinstance(percents, list) and 100 not in percents:
            errors.append(f"analysis.{key}: {short(percents)} must contain 100 (the full model, the tables' "
                          f"reference row)")
    return errors


def objective_errors(params: dict) -> list[str]:
    """Each objective a dataset trains must work with its settings and that dataset's latents (ISA-VAE's layout
    holds them all, AnchorVAE's anchors are among them); the objective's own check says what is wrong."""
    vae, settings = _section(params, "vae"), _section(params, "objectives")
    chosen = [(name, objective, section.get("latents")) for name, section in (vae.items() if isinstance(vae, dict) else ())
              if isinstance(section, dict) for objective in (section.get("objectives") or {})]
    if not chosen or not isinstance(settings, dict):
        return []
    errors = []
    for dataset, objective, latents in chosen:
        section = settings.get(settings_section(objective)) or {}
        problem = isinstance(latents, int) and settings_problem(objective, section, latents)
        if problem:
            errors.append(f"vae.{dataset}.objectives.{objective}: {problem} (vae.{dataset}.latents is {latents})")
        elif objective in SUPERVISED:
            errors += _attribute_errors(params, dataset, objective, section)
    return errors


def _attribute_errors(params: dict, dataset: str, objective: str, settings: dict) -> list[str]:
    """A supervised objective needs an attribute of its dataset (objectives.mmvae.attributes.<dataset>), and
    real CelebA for faces: the embedded ORL faces and DEAP's maps carry no attribute labels."""
    root = (params.get("data", {}).get("celeba") or {}).get("root") if dataset == "celeba" else None
    if not has_attributes(dataset, root):
        carrier = "the embedded ORL faces (data.celeba.root null)" if dataset == "celeba" else dataset
        return [f"vae.{dataset}.objectives.{objective}: {carrier} carry no attribute labels; supervised objectives "
                f"train on {', '.join(ATTRIBUTE_DATASETS)} (CelebA with data.celeba.root set)"]
    if dataset not in settings.get("attributes", {}):
        return [f"vae.{dataset}.objectives.{objective}: objectives.{settings_section(objective)}.attributes has no "
                f"attribute for {dataset}"]
    return []


def data_root_errors(params: dict) -> list[str]:
    """A real-data root (data.<dataset>.root) that is not a folder, for every dataset the run builds
    (MNIST with `download: true` may create its root). Relative roots are taken from the working folder."""
    data, built = params.get("data"), params.get("datasets")
    if not isinstance(data, dict) or not isinstance(built, list):
        return []
    errors = []
    for name in ("mnist", "celeba", "deap"):
        section = data.get(name) if name in built else None
        root = section.get("root") if isinstance(section, dict) else None
        if not isinstance(root, str) or not root or section.get("download") is True:
            continue
        try:
            if Path(root).is_dir():
                continue
            problem = "is a file, not a folder" if Path(root).exists() else "does not exist"
        except (OSError, ValueError) as error:  # a NUL byte, a name too long: reported by the schema too
            problem = f"is not a usable path ({type(error).__name__})"
        errors.append(f"data.{name}.root: {short(root)} {problem} (real data selected; null uses the embedded data)")
    return errors


def root_overlap_errors(params: dict, project: str | Path | None = None) -> list[str]:
    """A real-data root equal to, inside or containing one of the workflow's OUTPUT_FOLDERS (preparation
    would overwrite or delete the user's files), for every dataset. Paths are compared resolved; relative
    ones are taken from `project` (the working folder by default, as Snakemake and DVC run there)."""
    base = Path(project) if project is not None else Path.cwd()
    data = params.get("data")
    errors = []
    for name in ("mnist", "celeba", "deap"):
        root = _section(data, name, "root")
        if not isinstance(root, str) or not root or "\x00" in root:
            continue
        for folder in OUTPUT_FOLDERS:
            try:
                relation = path_relation(base / root, base / folder)
            except (OSError, RuntimeError):  # a symlink loop: not a folder the workflow writes either
                break
            relation = {"is inside": "lies inside", "holds": "contains"}.get(relation, relation)
            if relation:
                errors.append(f"data.{name}.root: {short(root)} {relation} the workflow's output folder {folder} "
                              f"(its files could be overwritten or deleted); keep real data elsewhere")
                break
    return errors


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
