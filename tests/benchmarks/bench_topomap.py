"""Time EEGLearn's per-frame griddata(method="cubic") loop against the precomputed Clough-Tocher matrix.

On biosemi32 with DEAP's 32 channels and N random frames of 3 bands, prints the seconds of (a) one
griddata call per frame and band, (b) the one-off matrix build and (c) the matrix applied to all
frames at once (best of 5 runs, as timeit reports: one run of 0.05 s is at the mercy of page
faults and other processes), the speed ratio (a)/(c) and the largest absolute difference of the
images (NaN outside the hull counts as 0). BLAS runs on one thread: on a busy machine OpenBLAS's thread
start-up inside every Delaunay triangulation would otherwise dominate the griddata loop.
"""

import os

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")

import argparse  # noqa: E402
import time  # noqa: E402

import numpy as np  # noqa: E402
from scipy.interpolate import griddata  # noqa: E402

from influential_factors.data.topomap import TopomapInterpolator, azimuthal_equidistant, electrode_positions  # noqa: E402

DEAP_CHANNELS = ("Fp1 AF3 F3 F7 FC5 FC1 C3 T7 CP5 CP1 P3 P7 PO3 O1 Oz Pz "
                 "Fp2 AF4 Fz F4 F8 FC6 FC2 Cz C4 T8 CP6 CP2 P4 P8 PO4 O2").split()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--frames", type=int, default=2000, help="random frames of 3 bands (default 2000)")
    frames = parser.parse_args().frames
    points = azimuthal_equidistant(electrode_positions("biosemi32", DEAP_CHANNELS))
    values = np.random.default_rng(0).normal(size=(frames, 3, len(points)))

    start = time.perf_counter()
    interpolator = TopomapInterpolator(points, grid_size=32)
    build = time.perf_counter() - start

    grid = (interpolator.grid_x, interpolator.grid_y)
    start = time.perf_counter()
    reference = np.array([[griddata(points, band, grid, method="cubic") for band in frame] for frame in values])
    loop = time.perf_counter() - start

    matrix = float("inf")
    for _ in range(5):
        start = time.perf_counter()
        images = interpolator(values)
        matrix = min(matrix, time.perf_counter() - start)

    difference = np.abs(images - np.nan_to_num(reference, nan=0.0)).max()
    print(f"{frames} frames x 3 bands, {len(points)} electrodes, 32x32 grid")
    print(f"griddata loop:    {loop:.3f} s ({1e3 * loop / values[..., 0].size:.3f} ms per map)")
    print(f"matrix build:     {build:.4f} s (once per montage)")
    print(f"matrix apply:     {matrix:.4f} s (best of 5)")
    print(f"speed-up:         {loop / matrix:.0f}x (apply only), {loop / (build + matrix):.0f}x (build + apply)")
    print(f"max |difference|: {difference:.2e}")


if __name__ == "__main__":
    main()
