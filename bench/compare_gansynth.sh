#!/bin/sh
# GANSynth generator speed of timbrel (libtorch C++) beside the PyTorch eager peer, in one run on
# the same machine and thread count. Usage: bench/compare_gansynth.sh [BUILD_DIR] [THREADS]
set -eu
build=${1:-build}
threads=${2:-2}
export OMP_NUM_THREADS=$threads
here=$(dirname "$0")
echo "== timbrel (libtorch C++), $threads threads"
"$build/bench/timbrel_bench_gansynth" --benchmark_min_time=2
echo "== PyTorch eager peer, $threads threads"
/usr/bin/python3 "$here/peers/gansynth_torch.py" 1 8
echo "== the machine's SGEMM ceiling (OpenBLAS through NumPy), $threads threads"
OPENBLAS_NUM_THREADS=$threads /usr/bin/python3 "$here/peers/gemm_ceiling.py"
