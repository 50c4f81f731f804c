#!/usr/bin/python3
"""The machine's single-precision GEMM ceiling, for the GFLOP/s of our decoders and convolutions to
be read against: OpenBLAS through NumPy (Debian's), at the thread count of OPENBLAS_NUM_THREADS,
best of 5 repeats. Shapes: the MusicVAE decoder's per-step products at batch 256 (layer 1's
recurrent [256 x 256] x [256 x 1024], layer 2's [256 x 512] x [512 x 1024]) and a large square.
Prints one JSON line per shape: {"m", "k", "n", "threads", "gflops"}."""
import json
import os
import time

import numpy as np

SHAPES = [(256, 256, 1024, 200), (256, 512, 1024, 200), (1024, 1024, 1024, 20)]


def gflops(m, k, n, reps):
    rng = np.random.default_rng(0)
    a = rng.random((m, k), dtype=np.float32)
    b = rng.random((k, n), dtype=np.float32)
    c = a @ b  # warm-up, and the output buffer
    best = 0.0
    for _ in range(5):
        t = time.perf_counter()
        for _ in range(reps):
            np.matmul(a, b, out=c)
        best = max(best, 2.0 * m * k * n * reps / (time.perf_counter() - t) / 1e9)
    return best


def main():
    threads = os.environ.get("OPENBLAS_NUM_THREADS", "all")
    for m, k, n, reps in SHAPES:
        print(json.dumps({"m": m, "k": k, "n": n, "threads": threads, "gflops": round(gflops(m, k, n, reps), 1)}))


if __name__ == "__main__":
    main()
