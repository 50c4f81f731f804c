#!/usr/bin/env bash
# Spectral stage on the GPU, Timbrel's CUDA kernels vs the same step in PyTorch on the same GPU,
# in one run. Needs a CUDA build (build/bench/timbrel_bench_stages with kernels) and a CUDA-enabled PyTorch.
# Usage: bench/compare_spectral_gpu.sh [batch] [seconds]   (python: $PYTHON, default python3)
set -euo pipefail
cd "$(dirname "$0")/.."
batch=${1:-256}
secs=${2:-2}
py=${PYTHON:-python3}
ours=$(build/bench/timbrel_bench_stages --device cuda --batch "$batch" --seconds "$secs" --json)
peer=$("$py" bench/peers/spectral_torch.py "$secs" cuda "$batch")
"$py" - "$ours" "$peer" <<'PY'
import json, sys
ours, peer = json.loads(sys.argv[1]), json.loads(sys.argv[2])
a, b = ours["spectral_to_audio_ms_per_note"], peer["spectral_to_audio_ms_per_note"]
print(f"{ours['device']}, batch {ours['batch']}; PyTorch {peer['torch_version']}; copy bandwidth {ours['copy_bandwidth_gb_s']:.0f} GB/s")
print(f"{'stage':14} {'ms':>9} {'GB/s':>8} {'of copy':>8}")
for name, st in ours["stages"].items():
    print(f"{name:14} {st['ms']:9.3f} {st['gb_s']:8.0f} {100 * st['of_copy']:7.0f}%")
print(f"spectrogram -> audio: timbrel {a * 1e3:.2f} us/note, PyTorch {b * 1e3:.2f} us/note: {b / a:.1f}x "
      f"(floor {ours['floor_ms_per_note'] * 1e3:.2f} us/note)")
PY
