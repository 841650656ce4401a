"""The rules between params.yaml's keys that its JSON schema cannot state, each problem one line naming the key:
split fractions, DEAP's bands and channels, conv layers against image sides, top-k lists, objectives' settings
and attributes, and real-data roots (missing, or overlapping the workflow's output folders)."""

from __future__ import annotations

import math
import reprlib
from pathlib import Path

from ..core.artifacts import path_relation
from ..data.registry import DATASETS  # a real-data root equal to, inside or containing one could be overwritten
from ..models.objectives.settings import (ATTRIBUTE_DATASETS, has_attributes, settings_problem, settings_section,
                                          supervised)
from .layout import OUTPUT_FOLDERS

# The images' side per dataset (datasets.MNIST_SHAPE, faces.FACE_SIZE, shapes.SIZE; DEAP: data.deap.grid_size):
# each of vae.<dataset>.channels' conv layers halves it, so it must be divisible by 2^layers.
IMAGE_SIDES = {name: entry.side for name, entry in DATASETS.items() if entry.side}

LINE_WIDTH = 200  # the longest line of an error message; a longer one is cut
_REPR = reprlib.Repr()
_REPR.maxstring = _REPR.maxother = _REPR.maxlong = 40
_REPR.maxlist = _REPR.maxtuple = 8
_REPR.maxdict = 4
_REPR.maxlevel = 2


def short(value) -> str:
    """repr() of `value`, shortened (reprlib-style) so that a huge value never makes a giant line."""
    return _REPR.repr(value)


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
    from ..data.deap import DEAP_EEG_CHANNELS, SAMPLING_RATE
    from ..data.dsprites import ROWS as DSPRITES_ROWS  # the whole grid, which data.dsprites.count null prepares

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
    dsprites = _section(params, "data", "dsprites") or {}
    errors += _split_errors("data.dsprites.split", dsprites.get("split"), dsprites.get("count") or DSPRITES_ROWS)
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
        if _section(section, "network") == "mlp":
            continue  # no conv layers: channels are ignored
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
              if isinstance(section, dict) for objective, grid in (section.get("objectives") or {}).items()
              if grid != []]  # an empty grid trains none: its settings may be anything
    if not chosen or not isinstance(settings, dict):
        return []
    errors = []
    for dataset, objective, latents in chosen:
        section = settings.get(settings_section(objective)) or {}
        problem = isinstance(latents, int) and settings_problem(objective, section, latents)
        if problem:
            errors.append(f"vae.{dataset}.objectives.{objective}: {problem} (vae.{dataset}.latents is {latents})")
        elif objective in supervised():
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
    for name in ("mnist", "celeba", "deap", "dsprites"):
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
