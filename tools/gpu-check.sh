#!/usr/bin/env bash
# On a lent GPU machine (no package access; see ../shared/gpu/README.md): unpack the Debian
# packages brought in .debs/, build against the machine's CUDA-enabled libtorch with the CUDA
# kernels, run the whole test suite (GPU tests included), the GPU benches and the PyTorch
# comparison, and write every log and result into OUT_DIR.
# Prepare .debs/ here first (where apt works):
#   echo /.debs/ >> .git/info/exclude
#   ../shared/gpu/fetch-debs.sh .debs libfluidsynth-dev librtmidi-dev && cp ../shared/gpu/*.sh .debs/
# Usage: tools/gpu-check.sh OUT_DIR   (exit status: that of the test run)
set -uo pipefail
out=${1:?usage: tools/gpu-check.sh OUT_DIR}
mkdir -p "$out"
cd "$(dirname "$0")/.."
eval "$(bash .debs/unpack-debs.sh .debs /opt/debroot)"
torch_prefix=$(python3 -c 'import torch; print(torch.utils.cmake_prefix_path)')
{ nvidia-smi; nvcc --version; python3 -c 'import torch; print("torch", torch.__version__, "cuda", torch.version.cuda)'; } >"$out/machine.txt" 2>&1
cmake -S . -B build-gpu -G Ninja -DCMAKE_BUILD_TYPE=Release -DTIMBREL_CUDA=ON \
  -DCMAKE_PREFIX_PATH="$DEBROOT_PREFIX;$torch_prefix" >"$out/configure.log" 2>&1 || { echo "configure failed: $out/configure.log"; exit 1; }
cmake --build build-gpu -j"$(nproc)" >"$out/build.log" 2>&1 || { echo "build failed: $out/build.log"; exit 1; }
ctest --test-dir build-gpu -j8 --output-on-failure >"$out/tests.log" 2>&1
status=$?
build-gpu/timbrel info --json >"$out/info.json" 2>&1
for batch in 1 64 256 1024; do
  build-gpu/timbrel bench --device cuda --batch "$batch" --json >"$out/bench_cuda_batch$batch.json" 2>&1
  build-gpu/bench/timbrel_bench_stages --device cuda --batch "$batch" --json >"$out/stages_cuda_batch$batch.json" 2>&1
done
build-gpu/timbrel bench --device cpu --json >"$out/bench_cpu.json" 2>&1
build-gpu/timbrel bench --device cuda --batch 256 --precision bf16 --json >"$out/bench_cuda_batch256_bf16.json" 2>&1
build-gpu/bench/timbrel_bench_cuda --benchmark_format=json >"$out/bench_cuda_gbench.json" 2>"$out/bench_cuda_gbench.log"
PYTHON=python3 bench/compare_spectral_gpu.sh 256 >"$out/compare_spectral_gpu.txt" 2>&1
tail -3 "$out/tests.log"
exit $status
