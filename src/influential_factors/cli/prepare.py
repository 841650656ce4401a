"""Preparing the data: MNIST, faces, shapes, a registered dataset, DEAP (simulated or real) as videos.

Each subcommand's parser and handler side by side: a DVC stage depends on its handler's imports only
(pipeline/code_deps.py).
"""

from __future__ import annotations

import argparse

from ..core.artifacts import refuse_overlap
from .options import finite_float, fraction, json_mapping, required_paths


def _prepare_mnist(args) -> None:
    from ..data.datasets import prepare_mnist

    if args.root:
        refuse_overlap(args.root, args.output, "--root", "--output")
    sizes = prepare_mnist(args.output, args.root, tuple(args.split), args.seed, args.limit, args.download)
    print(f"{args.output}: " + ", ".join(f"{name} {size}" for name, size in sizes.items()))


def _prepare_faces(args) -> None:
    from ..data.faces import prepare_faces

    if args.root:
        refuse_overlap(args.root, args.output, "--root", "--output")
    sizes = prepare_faces(args.output, args.root, crop=args.crop, split_mode=args.split_mode, split=tuple(args.split),
                          seed=args.seed, limit=args.limit, workers=args.workers, skip_corrupt=args.skip_corrupt)
    print(f"{args.output}: " + ", ".join(f"{name} {size}" for name, size in sizes.items()))


def _prepare_shapes(args) -> None:
    from ..data.shapes import prepare_shapes

    sizes = prepare_shapes(args.output, args.count, tuple(args.split), args.seed)
    print(f"{args.output}: " + ", ".join(f"{name} {size}" for name, size in sizes.items()))


def _prepare_dataset(args) -> None:
    from ..data.registry import prepare_registered

    sizes = prepare_registered(args.output, args.dataset, args.settings, args.seed)
    print(f"{args.output}: " + ", ".join(f"{name} {size}" for name, size in sizes.items()))


def _simulate_deap(args) -> None:
    from ..data.deap_simulator import simulate_deap

    simulate_deap(args.output_dir, args.subjects, trials=args.trials, seed=args.seed)
    print(f"{args.output_dir}: {args.subjects} simulated subjects x {args.trials} trials in DEAP's format")


def _prepare_deap(args) -> None:
    from ..data.deap_videos import prepare_deap

    refuse_overlap(args.raw, args.output_dir, "--raw", "--output-dir")
    bands = {}
    for name, low, high in args.band:
        try:
            edges = [finite_float(low), finite_float(high)]
        except argparse.ArgumentTypeError as error:
            raise ValueError(f"--band {name}: {error}") from None
        if not 0 <= edges[0] < edges[1]:
            raise ValueError(f"--band {name}: needs 0 <= LOW_HZ < HIGH_HZ, got {low} {high}")
        bands[name] = edges
    sizes = prepare_deap(args.raw, args.subjects, args.output_dir, montage=args.montage, channels=args.channels,
                         bands=bands, baseline=args.baseline, split=tuple(args.split), seed=args.seed,
                         grid_size=args.grid_size, class_threshold=args.class_threshold)
    print(f"{args.output_dir}: " + ", ".join(f"{name} {size}" for name, size in sizes.items()))


def register(commands) -> None:
    """Add this module's subcommands to the CLI's subparsers."""
    command = commands.add_parser("prepare-mnist", help="load MNIST (real or embedded), split, save .npz")
    required_paths(command, "output")
    command.add_argument("--root", default=None, help="real MNIST in torchvision's layout; omit for the embedded digits"
                                                       " (params.yaml: data.mnist.root)")
    command.add_argument("--download", action="store_true",
                         help="let torchvision download MNIST into --root (params.yaml: data.mnist.download)")
    command.add_argument("--split", required=True, nargs=3, type=fraction,
                         help="train, validation, test fractions (params.yaml: data.mnist.split)")
    command.add_argument("--seed", required=True, type=int, help="seeds the split (params.yaml: seed)")
    command.add_argument("--limit", type=int, default=None,
                         help="keep only the first N images; omit to keep all (params.yaml: data.mnist.limit)")
    command.set_defaults(run=_prepare_mnist)
    command = commands.add_parser("prepare-faces", help="CelebA (or the embedded ORL faces) -> 64x64 RGB .npz")
    required_paths(command, "output")
    command.add_argument("--root", default=None, help="CelebA folder, official or Kaggle layout; omit for ORL faces"
                                                       " (params.yaml: data.celeba.root)")
    command.add_argument("--crop", required=True, type=int,
                         help="side of the centred square crop (CelebA; params.yaml: data.celeba.crop)")
    command.add_argument("--split-mode", required=True, choices=["random", "official"],
                         help="random: --split seeded by --seed; official: CelebA's partition (params.yaml: data.celeba.split_mode)")
    command.add_argument("--split", required=True, nargs=3, type=fraction,
                         help="train, validation, test fractions (params.yaml: data.celeba.split)")
    command.add_argument("--seed", required=True, type=int, help="seeds the split (params.yaml: seed)")
    command.add_argument("--limit", type=int, default=None,
                         help="keep only the first N images; omit to keep all (params.yaml: data.celeba.limit)")
    command.add_argument("--workers", type=int, default=1, help="processes decoding JPEGs (the rule's threads)")
    command.add_argument("--skip-corrupt", action="store_true",
                         help="leave unreadable images out, counted in the log (params.yaml: data.celeba.skip_corrupt)")
    command.set_defaults(run=_prepare_faces)
    command = commands.add_parser("prepare-shapes", help="draw the shapes data set with 5 known factors -> .npz")
    required_paths(command, "output")
    command.add_argument("--count", required=True, type=int, help="images drawn (params.yaml: data.shapes.count)")
    command.add_argument("--split", required=True, nargs=3, type=fraction,
                         help="train, validation, test fractions (params.yaml: data.shapes.split)")
    command.add_argument("--seed", required=True, type=int, help="seeds the factors and the split (params.yaml: seed)")
    command.set_defaults(run=_prepare_shapes)
    command = commands.add_parser("prepare-dataset", help="a registered image dataset with its own module -> .npz")
    required_paths(command, "output")
    command.add_argument("--dataset", required=True, help="its name in influential_factors/registry.py")
    command.add_argument("--settings", required=True, type=json_mapping,
                         help="its params.yaml section data.<dataset> as JSON (with `split`)")
    command.add_argument("--seed", required=True, type=int, help="seeds the split (params.yaml: seed)")
    command.set_defaults(run=_prepare_dataset)
    command = commands.add_parser("simulate-deap", help="write simulated EEG in DEAP's exact file format")
    required_paths(command, "output_dir")
    command.add_argument("--subjects", required=True, type=int,
                         help="writes s01.dat .. sNN.dat (the highest of params.yaml: data.deap.subjects)")
    command.add_argument("--trials", required=True, type=int,
                         help="trials per subject (params.yaml: data.deap.simulated_trials)")
    command.add_argument("--seed", required=True, type=int, help="params.yaml: seed")
    command.set_defaults(run=_simulate_deap)
    command = commands.add_parser("prepare-deap", help="DEAP sXX.dat files -> topographic-map videos")
    required_paths(command, "raw", "output_dir")
    command.add_argument("--subjects", nargs="+", type=int, required=True,
                         help="which sXX.dat files (params.yaml: data.deap.subjects)")
    command.add_argument("--montage", required=True, help="MNE standard montage (params.yaml: data.deap.montage)")
    command.add_argument("--channels", nargs="+", default=None,
                         help="EEG channels to map; omit for DEAP's 32 (params.yaml: data.deap.channels)")
    command.add_argument("--band", required=True, nargs=3, action="append", metavar=("NAME", "LOW_HZ", "HIGH_HZ"),
                         help="repeat per band, in colour-channel order (params.yaml: data.deap.bands)")
    command.add_argument("--baseline", required=True, choices=["keep", "drop", "subtract"],
                         help="the 3-s baseline windows (params.yaml: data.deap.baseline)")
    command.add_argument("--split", required=True, nargs=3, type=fraction,
                         help="train, validation, test fractions of the trials (params.yaml: data.deap.split)")
    command.add_argument("--seed", required=True, type=int, help="seeds the split (params.yaml: seed)")
    command.add_argument("--grid-size", required=True, type=int,
                         help="side of the topographic maps (params.yaml: data.deap.grid_size)")
    command.add_argument("--class-threshold", required=True, type=finite_float,
                         help="ratings above it are high (params.yaml: data.deap.class_threshold)")
    command.set_defaults(run=_prepare_deap)
