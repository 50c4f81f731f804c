#!/usr/bin/env bash
# Streaming soak: `timbrel play` for MINUTES through a private JACK server with the dummy driver,
# a sampled song with drums whose timbre morphs every 3 s across five timbres. Prints the
# summary line (underruns, server xruns) and the resident memory at the start, the largest seen,
# and at the end. Fails (exit 1) on any underrun or when the resident memory at the end exceeds
# the one after 5 s by more than 64 MB. Also the ctest `soak_play` (configure with
# -DTIMBREL_SOAK_TEST=ON; `ctest -L soak`); not in the default test run (10 minutes).
# Usage: tools/soak-play.sh [MINUTES=10] [BUILD_DIR=build]
set -euo pipefail
cd "$(dirname "$0")/.."
minutes=${1:-10}
build=${2:-build}
bars=$(( (minutes * 30 + 1) / 2 * 2 ))  # 2 s per bar at 120 qpm, even
(( bars <= 512 )) || { echo "at most 17 minutes (512 bars)" >&2; exit 2; }
name=timbrel-soak-$$
export JACK_NO_AUDIO_RESERVATION=1 JACK_DEFAULT_SERVER=$name JACK_NO_START_SERVER=1
jackd -r -n "$name" -d dummy -r 48000 -p 256 >/dev/null 2>&1 &
jack=$!
trap 'kill $jack 2>/dev/null || true' EXIT
for _ in $(seq 100); do jack_lsp -s "$name" >/dev/null 2>&1 && break; sleep 0.1; done
log=$(mktemp)
"$build/timbrel" play --generate --bars "$bars" --seed 11 --drums --seconds-per-timbre 3 \
  --morph "preset:Flute,preset:Cello,preset:Trumpet,seed:4,preset:Clarinet" >"$log" 2>&1 &
pid=$!
rss() { awk '/VmRSS/ {print $2}' "/proc/$pid/status" 2>/dev/null || echo 0; }
sleep 5
start=$(rss) peak=$start last=$start
while kill -0 "$pid" 2>/dev/null; do
  now=$(rss)
  [[ $now -gt 0 ]] && last=$now
  (( now > peak )) && peak=$now
  sleep 10
done
wait "$pid" || { cat "$log"; exit 1; }
summary=$(tail -1 "$log")
echo "$summary"
echo "RSS: ${start} kB after 5 s, peak ${peak} kB, ${last} kB at the end"
underruns=$(sed -n 's/.*underruns: \([0-9]*\).*/\1/p' <<<"$summary")
[[ -n "$underruns" ]] || { echo "FAIL: no summary line"; cat "$log"; exit 1; }
(( underruns == 0 )) || { echo "FAIL: $underruns underruns"; exit 1; }
(( last - start <= 65536 )) || { echo "FAIL: resident memory grew by $(( (last - start) / 1024 )) MB"; exit 1; }
echo "PASS: 0 underruns, memory bounded"
