#!/usr/bin/env bash
# Builds a libFuzzer target with clang (ASan + UBSan) and runs it for a bounded time.
# Usage: run-fuzz.sh SOURCE_DIR WORK_DIR TARGET SECONDS [extra libFuzzer flags...]
# Exit 77 (a ctest skip) when clang or its libFuzzer runtime is missing.
set -euo pipefail
src=$1 work=$2 target=$3 seconds=$4
shift 4
mkdir -p "$work"
clangxx=$(command -v clang++ || true)
if [[ -z "$clangxx" ]]; then echo "SKIP: clang++ not installed (libFuzzer)"; exit 77; fi
if ! echo 'extern "C" int LLVMFuzzerTestOneInput(const char*, unsigned long){return 0;}' |
     "$clangxx" -x c++ -fsanitize=fuzzer - -o "$work/probe" 2>/dev/null; then
  echo "SKIP: clang's libFuzzer runtime missing (install libclang-rt-14-dev)"; exit 77
fi
case "$target" in
  midi) sources=("$src/src/music/midi_reader.cpp" "$src/src/music/midi_writer.cpp" "$src/src/music/tempo_map.cpp" "$src/src/music/chords.cpp"
                 "$src/src/util/atomic_file.cpp" "$src/src/util/file_io.cpp" "$src/tests/fuzz/fuzz_midi.cpp"); libs=() ;;
  safetensors) sources=("$src/src/formats/safetensors_layout.cpp" "$src/tests/fuzz/fuzz_safetensors.cpp"); libs=() ;;
  model_card) sources=("$src/src/formats/model_card.cpp" "$src/src/util/step_draw.cpp" "$src/tests/fuzz/fuzz_model_card.cpp"); libs=() ;;
  tfjs) sources=("$src/src/formats/js_checkpoints.cpp" "$src/tests/fuzz/fuzz_js_checkpoints.cpp"); libs=(-DTIMBREL_FUZZ_TFJS) ;;
  dljs) sources=("$src/src/formats/js_checkpoints.cpp" "$src/tests/fuzz/fuzz_js_checkpoints.cpp"); libs=() ;;
  npy) sources=("$src/src/util/npy.cpp" "$src/src/util/atomic_file.cpp" "$src/src/util/file_io.cpp" "$src/tests/fuzz/fuzz_npy.cpp"); libs=() ;;
  sound_file) sources=("$src/src/audio/sound_file.cpp" "$src/src/util/atomic_file.cpp" "$src/src/util/file_io.cpp"
                       "$src/tests/fuzz/fuzz_sound_file.cpp"); libs=(-lsndfile) ;;
  *) echo "unknown fuzz target $target" >&2; exit 2 ;;
esac
bin="$work/fuzz_$target"
# Rebuild only when a source changed.
if [[ ! -x "$bin" ]] || [[ -n "$(find "${sources[@]}" "$src/include" "$src/src" -newer "$bin" 2>/dev/null | head -1)" ]]; then
  "$clangxx" -std=c++17 -O1 -g -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined -DTIMBREL_LIBFUZZER \
    -I"$src/include" -I"$src/src" "${sources[@]}" "${libs[@]}" -o "$bin"
fi
corpus="$work/corpus_$target"
mkdir -p "$corpus"
# -malloc_limit_mb bounds each allocation: a reader that trusts a declared size fails here.
# The RSS limit only guards against runaway growth: ASan's quarantine (kept small here) and the
# growing corpus raise RSS over a run without any input at fault (a 512 MB limit tripped on the
# empty input after 114k runs).
ASAN_OPTIONS=${ASAN_OPTIONS:-quarantine_size_mb=64} \
"$bin" "$corpus" "$src/tests/fuzz/corpus/$target" -max_total_time="$seconds" -rss_limit_mb=1536 \
  -malloc_limit_mb=256 -timeout=5 -print_final_stats=1 "$@" 2>&1 | tail -20
exit "${PIPESTATUS[0]}"
