#!/usr/bin/env bash
# Installs the build BUILD into SCRATCH/prefix, builds examples/consumer against it through CMake
# (find_package(Timbrel)) and through pkg-config, and runs both. ctest runs it as install_consumer.
# Usage: tools/test-install.sh BUILD SCRATCH
set -euo pipefail
build=$(cd "$1" && pwd)
scratch=$2
src=$(cd "$(dirname "$0")/.." && pwd)
rm -rf "$scratch"
mkdir -p "$scratch"
cmake --install "$build" --prefix "$scratch/prefix" > "$scratch/install.log"
# Nothing may find the source tree's models: the installed library finds its own.
export TIMBREL_MODELS="$scratch/no-models-here"
cd "$scratch"

cmake -S "$src/examples/consumer" -B cmake-build -DCMAKE_PREFIX_PATH="$scratch/prefix" > cmake-build.log
cmake --build cmake-build >> cmake-build.log
cmake-build/timbrel_consumer "$scratch/cmake.wav"

libdir=$(dirname "$(find "$scratch/prefix" -name timbrel.pc)")
export PKG_CONFIG_PATH=$libdir
# shellcheck disable=SC2046  # pkg-config's flags are words
c++ $(pkg-config --cflags timbrel) "$src/examples/consumer/main.cpp" -o pkgconfig-consumer \
  $(pkg-config --libs timbrel) -Wl,-rpath,"$(pkg-config --variable=libdir timbrel)"
./pkgconfig-consumer "$scratch/pkgconfig.wav"
"$scratch/prefix/bin/timbrel" note --pitch 60 -o "$scratch/note.wav" > /dev/null
echo "install_consumer: ok"
