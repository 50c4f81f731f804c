#!/bin/sh
# Renders `generate --arrange --drums` songs for seeds 1..N with both engines, and for each writes
# the audio, the MIDI, a spectrogram PNG, a piano roll PNG and each part's level beside the melody
# (eval parts). Usage: tools/listen-arrangements.sh OUT_DIR [SEEDS=20] [BUILD=build]
set -eu
out=$1; seeds=${2:-20}; build=${3:-build}
mkdir -p "$out"
for seed in $(seq 1 "$seeds"); do
  for engine in gansynth ddsp; do
    name="$out/seed$seed-$engine"
    rm -f "$name.wav" "$name.mid" "$name.png" "$name-roll.png"
    "$build/timbrel" generate --arrange --drums --bars 8 --seed "$seed" --engine "$engine" -o "$name.wav" > /dev/null 2>&1
    "$build/timbrel" spectrogram "$name.wav" -o "$name.png" > /dev/null 2>&1
    "$build/timbrel" roll "$name.mid" -o "$name-roll.png" > /dev/null
    "$build/timbrel" eval parts "$name.mid" --engine "$engine" 2> /dev/null | sed "s|^|seed $seed $engine: |"
  done
done
