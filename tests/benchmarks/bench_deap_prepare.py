"""Full-size DEAP preparation: wall time and peak memory of simulating and preparing N subjects.

Simulates N subjects x 40 trials in DEAP's format (default 32, the real data set's size: 1,280
trials, about 3.3 GB of .dat files) into a scratch folder, then turns them into topographic-map
videos, and prints each phase's wall time and the process's peak resident memory against the
size of one subject's raw array (the most raw data the preparation may hold at a time).

    python tests/benchmarks/bench_deap_prepare.py [--subjects 32] [--scratch /tmp/deap-bench]
"""

from __future__ import annotations

import argparse
import resource
import shutil
import time
from pathlib import Path

from influential_factors.data.deap import N_CHANNELS, TRIAL_SAMPLES
from influential_factors.data.deap_simulator import simulate_deap
from influential_factors.data.deap import BANDS
from influential_factors.data.deap_videos import prepare_deap


def peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--subjects", type=int, default=32)
    parser.add_argument("--scratch", type=Path, default=Path("/tmp/deap-bench"))
    args = parser.parse_args()
    shutil.rmtree(args.scratch, ignore_errors=True)
    raw, output = args.scratch / "raw", args.scratch / "processed" / "deap"

    start = time.perf_counter()
    simulate_deap(raw, subjects=args.subjects, trials=40, seed=0)
    simulated = time.perf_counter() - start
    rss_after_simulation = peak_rss_mib()

    start = time.perf_counter()
    sizes = prepare_deap(raw, list(range(1, args.subjects + 1)), output, montage="biosemi32", channels=None,
                         bands=BANDS, baseline="keep", split=(0.8, 0.1, 0.1), seed=0, grid_size=32, class_threshold=5.0)
    prepared = time.perf_counter() - start
    one_subject = 40 * N_CHANNELS * TRIAL_SAMPLES * 8 / 2**20
    video_mib = (output / "videos.npy").stat().st_size / 2**20
    print(f"subjects {args.subjects}, trials {sizes['trials']}, frames {sizes['frames']}")
    print(f"simulate: {simulated:.1f} s ({simulated / args.subjects:.2f} s per subject), peak RSS {rss_after_simulation:.0f} MiB")
    print(f"prepare:  {prepared:.1f} s ({prepared / args.subjects:.2f} s per subject), videos {video_mib:.0f} MiB")
    print(f"peak RSS of the whole run {peak_rss_mib():.0f} MiB; one subject's raw array {one_subject:.0f} MiB "
          f"(ratio {peak_rss_mib() / one_subject:.1f})")
    shutil.rmtree(args.scratch)


if __name__ == "__main__":
    main()
