"""The GPU run, in one command for a machine with a GPU: the project's benchmarks at the sizes worth timing there.

1. Training throughput of the three networks (bench_training.py): the plain DataLoader loop, the project's
   loop, bf16 autocast and bf16 with torch.compile (the last two on CUDA only), each against the baseline.
2. The mixture estimator on 10,000 x 128 posteriors (bench_estimators.py): the current way and the new one.
3. The paper-size MNIST preset (workflow/presets/paper-mnist.yaml: 42,000 training digits, 200 epochs):
   one full epoch of its network in the project's loop, timed, and what 200 take.
Prints the hardware first, then each benchmark's output; --markdown also writes all of it to a file for the
README. --tiny runs every part at a size a CPU finishes in seconds (the test suite does, so the script is
ready when a GPU is).

    python tests/benchmarks/bench_gpu.py --markdown gpu.md              # on the GPU machine
    python tests/benchmarks/bench_gpu.py --tiny --device cpu           # the tests' run
"""

import argparse
import platform
import subprocess
import sys
from pathlib import Path

import torch

HERE = Path(__file__).parent
PAPER_MNIST_IMAGES, PAPER_MNIST_EPOCHS = 42_000, 200


def hardware(device: str) -> str:
    """The device, PyTorch and CUDA versions, and the host's CPU."""
    name = torch.cuda.get_device_name(device) if device.startswith("cuda") else "CPU only"
    host = platform.processor() or platform.machine()
    return f"device: {name}; torch {torch.__version__}, CUDA {torch.version.cuda}; host {host}, " \
           f"{torch.get_num_threads()} threads"


def parts(device: str, tiny: bool) -> dict[str, list[str]]:
    """The title and command line of each benchmark script run."""
    training = [sys.executable, str(HERE / "bench_training.py"), "--device", device]
    estimators = [sys.executable, str(HERE / "bench_estimators.py"), "--device", device]
    return {
        "Training throughput, three networks": training + (["--images", "128", "--rounds", "1"] if tiny
                                                           else ["--images", "8192", "--rounds", "3"]),
        "Mixture estimator": estimators + (["--samples", "400", "--factors", "8", "--active", "2", "--repeats", "1"]
                                           if tiny else []),
    }


def paper_mnist_epoch(device: str, images: int) -> str:
    """One epoch of the paper-size MNIST preset's network and loop on `images` random digits (after one
    warm-up epoch), and what the preset's 200 epochs of 42,000 digits take at that rate."""
    sys.path.insert(0, str(HERE))
    import bench_training

    run = bench_training.loops("mnist", argparse.Namespace(images=images, batch_size=64), torch.device(device))["project"]
    run()
    elapsed = bench_training.timed(run, torch.device(device))[0]
    per_epoch = elapsed * PAPER_MNIST_IMAGES / images
    return (f"one epoch of {images:,} digits: {elapsed:.2f} s; at this rate an epoch of {PAPER_MNIST_IMAGES:,} takes "
            f"{per_epoch:.1f} s and the preset's {PAPER_MNIST_EPOCHS} epochs {per_epoch * PAPER_MNIST_EPOCHS / 60:.1f} min "
            "(per beta)\n")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    parser.add_argument("--tiny", action="store_true", help="every part at a size a CPU runs in seconds")
    parser.add_argument("--markdown", type=Path, help="also write everything printed to this file")
    args = parser.parse_args()
    sections = [f"# GPU benchmarks\n\n{hardware(args.device)}\n"]
    print(sections[0])
    for title, command in parts(args.device, args.tiny).items():
        output = subprocess.run(command, check=True, capture_output=True, text=True).stdout
        shown = " ".join(Path(part).name if "/" in part else part for part in command)
        sections.append(f"## {title}\n\n`{shown}`\n\n{output}")
        print(sections[-1], flush=True)
    epoch = paper_mnist_epoch(args.device, 256 if args.tiny else PAPER_MNIST_IMAGES)
    sections.append(f"## Paper-size MNIST preset (workflow/presets/paper-mnist.yaml)\n\n{epoch}")
    print(sections[-1])
    if args.markdown:
        args.markdown.write_text("\n".join(sections))


if __name__ == "__main__":
    main()
