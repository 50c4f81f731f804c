#!/usr/bin/env bash
# Installs the dependencies (Debian 12), builds build/timbrel and runs the main job on the bundled
# models (out/song.wav + out/song.mid, out/twinkle.wav).
set -euo pipefail
cd "$(dirname "$0")/.."
tools/install-deps.sh
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release
cmake --build build -j"$(nproc)" --target timbrel
echo
if [[ -f models/gm-timbres/model.json && -f models/melody-2bar/model.json ]] && build/timbrel generate --help >/dev/null 2>&1; then
  mkdir -p out
  drums=()
  [[ -f models/gm-drums/model.json && -f models/drums-2bar/model.json ]] && drums=(--drums)
  build/timbrel generate --force -o out/song.wav "${drums[@]}"
  build/timbrel render --force samples/twinkle.mid -o out/twinkle.wav --timbre "preset:Flute"
  build/timbrel inspect out/song.wav out/song.mid out/twinkle.wav
else
  echo "== The main job (timbrel generate: sample a melody, render it with neural timbres) needs the"
  echo "== bundled models, which are not in this version yet. Running what exists instead:"
  echo
  build/timbrel info
  echo
  build/timbrel inspect samples/*.mid
  echo
  echo "== Spectral stage: a violin note through the GANSynth representation and back"
  mkdir -p out
  build/timbrel resynth --force tests/data/spectral/notes/violin_e4.wav -o out/violin_mel_if.wav
  build/timbrel resynth --force tests/data/spectral/notes/violin_e4.wav -o out/violin_polished.wav --phase if+fgla
  build/timbrel spectrogram --force tests/data/spectral/notes/violin_e4.wav -o out/violin.png
  if [[ -f models/melody-2bar/model.json ]]; then
    echo
    echo "== MusicVAE stage: 4 two-bar melodies and 4 drum patterns from the bundled models"
    mkdir -p out
    build/timbrel sample --force --model models/melody-2bar -n 4 --seed 1 -o out/melodies.mid
    [[ -f models/drums-2bar/model.json ]] && build/timbrel sample --force --model models/drums-2bar -n 4 --seed 1 -o out/drums.mid
    build/timbrel inspect out/*.mid
  fi
fi
