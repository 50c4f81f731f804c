#pragma once
// Options shared by the commands that play whole songs with neural timbres (render, generate,
// play): timbre schedule, envelope, models, and the sampled-melody song of `generate`.
#include <CLI/CLI.hpp>
#include <cstdint>
#include <memory>
#include <string>

#include "timbrel/engine.h"
#include "timbrel/gansynth.h"
#include "timbrel/note_sequence.h"
#include "timbrel/render.h"

namespace timbrel::cli {

struct SongFlags {
  std::string input, out, model, drum_model, timbre, morph, pad, corners, drum_timbre, device = "auto", bit_depth = "24", phase = "pghi", drum_phase = "griffin-lim", precision = "fp32";
  double seconds_per_timbre = 4.0, attack = 0.010, release = 0.3;
  int sample_rate = 48000, batch = 16;
  bool strict = false, no_drums = false;
  bool mono = false, dry = false;                     // one channel; no room
  std::string cache_dir;                              // --cache-dir (default: default_note_cache_folder())
  bool no_cache = false;
  double cache_size_mb = 1024;
  double loudness = 0, true_peak = -1;                // --loudness LUFS (0: off) under a --true-peak ceiling
  std::string engine = "gansynth", ddsp_model;  // --engine ddsp: melodic notes by DDSP models
  double vibrato = 12, glide = 0.06;
  bool flat_envelope = false;  // DDSP: attack and flat hold instead of the presets' learned envelopes
  // generate: a sampled melody (and drums)
  std::string melody_model, groove_model, humanize_model, drumify_model;
  std::string primer, melody_rnn_model, drums_rnn_model;  // generate --primer: continued by the RNNs
  int bars = 8;
  uint64_t seed = 0;
  double temperature = -1;  // song_temperature() when not given
  std::string draw;         // --draw: MusicVAE's StepDraw ("" = each card's)
  bool drums = false;
  bool quantized = false;  // --drums left on the grid (not humanized)
  double qpm = 120;
  bool arrange = false;  // generate --arrange: chords, bass and accompaniment
  std::string style = "auto";
  std::string chords, improv_rnn_model;  // generate --chords "C G Am F": a melody improvised over them
  double chord_guidance = -1;            // --chord-guidance (< 0: the model's own)
};

// --chord-guidance into `guidance` (left < 0 when not given: the model's own).
void add_chord_guidance_option(CLI::App* cmd, double& guidance);
// Error naming --chord-guidance when it was given (>= 0) with no --chords to guide toward.
void refuse_guidance_without_chords(double guidance, bool no_chords);
// A --chords progression with bars of `beats_per_bar` quarter notes ("" = none).
std::vector<ChordSpan> progression_flag(const std::string& text, double beats_per_bar = 4);
// --temperature, else 0.5 (the RNNs' continuations), or 1.0 over --chords (at lower temperatures
// the chord RNN's melodies span less than the data's). MusicVAE's walk takes its card's instead.
double song_temperature(const SongFlags& o);
// Quarter notes per bar of a sequence's last time signature (4 when it has none).
double beats_per_bar(const NoteSequence& seq);

// --model, --timbre/--morph/--pad, envelope, --dry, --phase, --strict, --engine and its DDSP options; with_file_output adds
// --sample-rate, --mono, --bit-depth, --loudness, --true-peak and the compute --device (else it is --compute: play's --device is
// the audio device).
void add_timbre_options(CLI::App* cmd, SongFlags& o, bool with_file_output = true);
// --bars, --seed, --temperature, --qpm, --melody-model, --drums, --groove-model, --primer,
// --melody-rnn, --drums-rnn, --arrange, --style, --chords, --improv-rnn.
void add_song_options(CLI::App* cmd, SongFlags& o);

NoteRenderOptions note_render_options(const SongFlags& o);
// The engine these options describe (models, --device, --precision); its notes go to stderr.
EngineOptions engine_params(const SongFlags& o);
// What `generate` asks the engine for: --bars of melody (and --drums).
SongOptions song_request(const SongFlags& o);
// The song `generate` plays: sampled (song_request), or the --primer continued for --bars bars.
NoteSequence generated_song(Engine& engine, const SongFlags& o);
// The library's notes and warnings, as the CLI prints them.
void print_note(const std::string& message);

}  // namespace timbrel::cli
