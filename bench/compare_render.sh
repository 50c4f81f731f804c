#!/usr/bin/env bash
# Renders one ~50 s Nottingham tune with Timbrel's bundled timbre model (CPU) and with FluidSynth
# (a sample-based synthesiser, FluidR3_GM) in one run, and prints both wall times: Timbrel's first
# render (every note generated) and its second (every note read back from the note cache), and
# what starting the program alone costs.
# Usage: bench/compare_render.sh [BUILD_DIR] [MIDI_FILE]
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
tune=${2:-../shared/data/melodies/nottingham/midi/ashover11.mid}
sf=/usr/share/sounds/sf2/FluidR3_GM.sf2
[[ -f $tune ]] || { echo "no $tune (../shared/data missing?)" >&2; exit 1; }
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
"$build/timbrel" inspect "$tune"
seconds() { local t0=$EPOCHREALTIME; "$@" > "$out/log" 2>&1; awk -v a="$t0" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.2f", b - a }'; }
for run in 1 2; do
  rm -rf "$out/notes"
  render=("$build/timbrel" render --force "$tune" -o "$out/timbrel.wav" --timbre preset:Flute --cache-dir "$out/notes")
  t=$(seconds "${render[@]}")
  echo "run $run: timbrel render (gm-timbres, CPU, 48 kHz stereo with room, incl. model load; every note generated): $t s   [$(tail -1 "$out/log")]"
  t=$(seconds "${render[@]}")
  echo "run $run: timbrel render again (every note from the note cache): $t s   [$(tail -1 "$out/log")]"
  t=$(seconds "$build/timbrel" --version)
  echo "run $run: timbrel --version (starting the program, no work; libtorch loads only when a network runs): $t s"
  if command -v fluidsynth > /dev/null && [[ -f $sf ]]; then
    t=$(seconds fluidsynth -ni -q -F "$out/fluid.wav" -r 48000 "$sf" "$tune")
    echo "run $run: fluidsynth (FluidR3_GM, 48 kHz stereo, its reverb and chorus): $t s"
  fi
done
