#!/bin/sh
# Decoding speed of timbrel's MusicVAE decoder beside the PyTorch eager peer, in one run on the
# same machine, thread count and OpenBLAS kernels. Usage: bench/run-musicvae-bench.sh [BUILD_DIR] [THREADS]
set -eu
build=${1:-build}
threads=${2:-2}
export OMP_NUM_THREADS=$threads OPENBLAS_NUM_THREADS=$threads
# Same BLAS kernels for both (timbrel would pick them itself; Python would not): see
# src/models/openblas_kernels.h.
if [ -z "${OPENBLAS_CORETYPE:-}" ] && grep -q avx512f /proc/cpuinfo; then export OPENBLAS_CORETYPE=SkylakeX; fi
here=$(dirname "$0")
echo "== timbrel (libtorch C++), $threads threads, OPENBLAS_CORETYPE=${OPENBLAS_CORETYPE:-auto}"
"$build/bench/timbrel_bench_musicvae" --benchmark_filter='temp_x10:0' --benchmark_min_time=3
echo "== PyTorch eager peer (LSTMCell loop), $threads threads"
/usr/bin/python3 "$here/peers/musicvae_decode_torch.py" 64 256
echo "== the machine's SGEMM ceiling at the decoder's shapes (OpenBLAS through NumPy), $threads threads"
/usr/bin/python3 "$here/peers/gemm_ceiling.py"
