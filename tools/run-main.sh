#!/usr/bin/env bash
# Installs the dependencies (Debian 12), builds build/timbrel and runs the main job on the bundled
# models (out/song.wav + out/song.mid, out/twinkle.wav).
set -euo pipefail
cd "$(dirname "$0")/.."
tools/install-deps.sh
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release
cmake --build build -j"$(nproc)" --target timbrel
echo
mkdir -p out
build/timbrel generate --force -o out/song.wav --drums
build/timbrel render --force samples/twinkle.mid -o out/twinkle.wav --timbre "preset:Flute"
build/timbrel inspect out/song.wav out/song.mid out/twinkle.wav
