#!/usr/bin/env bash
# Headless Ardour bounce of the Timbrel LV2 instrument.
#
#   tools/ardour-bounce.sh BUNDLE_DIR MIDI_FILE OUT_WAV
#
# Builds a fresh 48 kHz Ardour session in a temp folder (Ardour 7's luasession,
# ardour7-lua, on its "None (Dummy)" backend: no GUI, no sound card), with one MIDI
# track whose instrument is the LV2 plug-in in BUNDLE_DIR (found through LV2_PATH
# pointing at a folder that holds only a symlink to the bundle), puts MIDI_FILE on
# it as one region at time 0 (all channels, controllers and program changes), waits
# for the plug-in's `ready` output, plays the song through once in real time (so that
# its program changes are built), waits again, then exports the master bus to OUT_WAV: 48 kHz
# stereo 32-bit float WAV, no normalisation, no dither, the whole song plus 2 s.
#
# Env: ARDOUR_LUA (default ardour7-lua), BOUNCE_TAIL_S (2), BOUNCE_READY_TIMEOUT_S (120),
#      BOUNCE_TIMEOUT_S (180: each Ardour run is killed after it; three fit a test's 600 s),
#      BOUNCE_WARMUP=0 skips the warm-up pass (see tools/ardour/bounce.lua),
#      BOUNCE_TRIES (3: Ardour runs, when Ardour crashes or hangs before the export is
#      complete, or writes a broken file),
#      BOUNCE_KEEP=1 keeps the temp folder (session and logs).
set -euo pipefail

if [[ $# -ne 3 ]]; then
  echo "usage: $0 BUNDLE_DIR MIDI_FILE OUT_WAV" >&2
  exit 2
fi
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
bundle="$(realpath "$1")"
midi="$(realpath "$2")"
out="$(realpath -m "$3")"
lua="${ARDOUR_LUA:-ardour7-lua}"
tail_s="${BOUNCE_TAIL_S:-2}"
ready_timeout="${BOUNCE_READY_TIMEOUT_S:-120}"
run_timeout="${BOUNCE_TIMEOUT_S:-180}"
py=/usr/bin/python3

[[ -f "$bundle/manifest.ttl" ]] || { echo "ardour-bounce: $bundle is not an LV2 bundle" >&2; exit 2; }
[[ -f "$midi" ]] || { echo "ardour-bounce: no MIDI file $midi" >&2; exit 2; }
[[ "$out" == *.wav ]] || { echo "ardour-bounce: OUT_WAV must end in .wav" >&2; exit 2; }
command -v "$lua" >/dev/null || { echo "ardour-bounce: $lua not found (Debian package ardour)" >&2; exit 2; }

work="$(mktemp -d "${TMPDIR:-/tmp}/ardour-bounce.XXXXXX")"
cleanup() { if [[ "${BOUNCE_KEEP:-0}" != 1 ]]; then rm -rf "$work"; else echo "ardour-bounce: kept $work" >&2; fi; }
trap cleanup EXIT

# The plug-in is found only through this folder; Ardour's own config (and our export
# preset) live in a private XDG_CONFIG_HOME so the user's ~/.config/ardour7 is untouched.
mkdir -p "$work/lv2" "$work/config/ardour7/export"
ln -s "$bundle" "$work/lv2/$(basename "$bundle")"
cp "$here/ardour/export/"* "$work/config/ardour7/export/"
export LV2_PATH="$work/lv2"
export XDG_CONFIG_HOME="$work/config"
export XDG_CACHE_HOME="$work/cache"

# The `ready` output's port index, from the bundle's description (bounce.lua polls it).
ready_port="$(sed -n '/lv2:index/{s/.*lv2:index *\([0-9]*\).*/\1/;h}; /lv2:symbol "ready"/{g;p;q}' "$bundle"/*_dsp.ttl)"
[[ -n "$ready_port" ]] || { echo "ardour-bounce: $bundle has no 'ready' output port" >&2; exit 2; }

summary="$("$py" "$here/ardour/midi_to_smf0.py" "$midi" "$work/song.mid")" \
  || { echo "ardour-bounce: could not read $midi" >&2; exit 1; }
read -r last_s _ticks nevents <<<"$summary"
end_sample="$("$py" -c "import math; print(math.ceil(($last_s + $tail_s) * 48000))")"
echo "ardour-bounce: $nevents MIDI events, last at ${last_s} s; exporting $end_sample samples"

lua_status=0
run_lua() {  # LOG SUCCESS_LINE SCRIPT ARGS... (ardour7-lua exits 0 even when a script fails)
  local log="$1" success="$2"; shift 2
  lua_status=0
  timeout -k 10 "$run_timeout" nice -n 10 "$lua" "$@" </dev/null >"$log" 2>&1 || lua_status=$?
  (( lua_status != 124 && lua_status != 137 )) || echo "ardour-bounce: Ardour ran past ${run_timeout} s" >>"$log"
  grep -v -e "direct dispatch of call slot" -e "queue call-slot" -e "Falling back to Reasonable Synth" -e "midi-audition" \
    -e "DummyMidiBuffer: it.s too late" -e "Ignored format .*encoder is not available" "$log" || true
  # What follows the success line (a crash or hang while Ardour tears down) does not undo it.
  grep -q "$success" "$log" && ! grep -q "BOUNCE-ERROR" "$log"
}

# Ardour crashed (killed by a signal) or hung (killed by our timeout)?
ardour_crashed() { (( lua_status > 128 || lua_status == 124 )); }

# A failed step's status: 2 when Ardour crashed or hung (another try may do), else 1.
failed() {
  ardour_crashed || return 1
  echo "ardour-bounce: Ardour crashed or hung (exit status $lua_status)" >&2
  return 2
}

# One try: a fresh session (folder and snapshot share a name: interchange/<name>/) with the
# region, the plug-in added, the song played through once, then the export. Returns 0, or
# 2 when another try may do (Ardour crashed, hung or wrote a broken file), or 1.
bounce_once() {  # TRY
  local session="$work/try$1/bounce" why
  mkdir -p "$work/try$1"
  run_lua "$work/try$1/create.log" "session created" "$here/ardour/create.lua" "$session" bounce \
    || { echo "ardour-bounce: creating the session failed" >&2; failed; return; }
  # The region runs to the end of the export range: Ardour does not play events that
  # fall exactly on a region's end (e.g. a last sustain-pedal release).
  "$py" "$here/ardour/inject_region.py" "$session" bounce "$work/song.mid" "$region_ticks" \
    || { echo "ardour-bounce: could not put the song in the session" >&2; return 1; }
  rm -f "$out"
  run_lua "$work/try$1/bounce.log" "^exported$" "$here/ardour/bounce.lua" "$session" bounce "$(dirname "$out")" "$name" \
    "$end_sample" "$ready_timeout" "$ready_port" "${BOUNCE_WARMUP:-1}" || { failed; return; }
  why="$("$py" "$here/ardour/wav_sane.py" "$out" "$end_sample")" && return 0
  echo "ardour-bounce: Ardour wrote a broken file: $why" >&2
  return 2
}

t_start=$SECONDS
region_ticks="$("$py" -c "import math; print(math.ceil(($last_s + $tail_s) * 2 * 1920))")"
mkdir -p "$(dirname "$out")"
name="$(basename "$out" .wav)"
# Ardour 7.3's export now and then corrupts its own heap and crashes (SIGSEGV or a glibc
# abort, in its export graph or when the export is torn down), with its own ACE Reasonable
# Synth as with this plug-in, and never in a session that only plays. A crash after
# bounce.lua said "exported" (the file is complete by then) keeps the bounce; one before,
# or a file with samples no instrument makes (not finite, beyond +-64), runs Ardour
# again, from a fresh session, up to BOUNCE_TRIES times.
tries="${BOUNCE_TRIES:-3}"
for (( try = 1; ; ++try )); do
  status=0
  bounce_once "$try" || status=$?
  if (( status == 0 )); then
    ! ardour_crashed || echo "ardour-bounce: Ardour crashed or hung (exit status $lua_status) closing the session after the export" >&2
    break
  fi
  (( status == 2 && try < tries )) || { echo "ardour-bounce: the bounce failed" >&2; exit 1; }
  echo "ardour-bounce: try $try of $tries failed; running Ardour again" >&2
done
[[ -s "$out" ]] || { echo "ardour-bounce: Ardour wrote no $out" >&2; exit 1; }
echo "ardour-bounce: wrote $out in $((SECONDS - t_start)) s ($try tries)"
