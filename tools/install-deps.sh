#!/usr/bin/env bash
# Installs the Debian 12 packages Timbrel builds and tests with. Idempotent: packages that are
# already installed are skipped, and apt is not touched at all when nothing is missing.
# Usage: tools/install-deps.sh [--test]   (--test adds what only the test suite needs)
set -euo pipefail

packages=(
  build-essential cmake ninja-build pkg-config ccache
  libtorch-dev libopenblas0-pthread
  libgloo-dev   # headers of libtorch's Gloo process group (data-parallel training over c10d)
  libsndfile1-dev portaudio19-dev libfftw3-dev libsoxr-dev libfluidsynth-dev librtmidi-dev
  libebur128-dev  # EBU R128 loudness and true peak (inspect, normalize_loudness)
  nlohmann-json3-dev libcli11-dev libfmt-dev
  pybind11-dev python3-dev   # the Python module (TIMBREL_PYTHON=AUTO builds it when these are there)
  dpf-source   # the DAW plug-in: LV2, VST3, CLAP and a JACK standalone (TIMBREL_PLUGIN)
)
if [[ "${1:-}" == "--test" ]]; then
  packages+=(
    libgtest-dev libgmock-dev libbenchmark-dev
    midicsv            # independent MIDI parser for golden tests
    timgm6mb-soundfont # small GM SoundFont for the note-set and timbre-training tests
    fluid-soundfont-gm # FluidR3_GM: what the bundled timbre models learned; the sweep's truth
    aubio-tools        # independent pitch tracker (aubiopitch) for the timbre tests
    python3-numpy python3-pytest  # the Python module's tests; tools/ardour/wav_sane.py
    jackd2             # JACK server (dummy driver) the streaming tests play through
    libjack-jackd2-dev # the JACK clients of the plug-in's jalv test
    liblilv-dev        # the LV2 host of the plug-in tests
    jalv               # a real LV2 host on JACK: the plug-in's xrun test
    ardour             # Ardour 7: its headless Lua session tool bounces the plug-in (tools/ardour-bounce.sh)
    clang libclang-rt-14-dev  # libFuzzer targets
  )
fi

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if ((${#missing[@]} == 0)); then
  echo "install-deps: all ${#packages[@]} packages already installed"
  exit 0
fi

sudo=""
if [[ $(id -u) -ne 0 ]]; then
  command -v sudo >/dev/null || { echo "install-deps: need root or sudo to install: ${missing[*]}" >&2; exit 1; }
  sudo="sudo"
fi
echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
