#pragma once
// Rendering a NoteSequence with neural timbres: every distinct (pitch, timbre) is generated once,
// in batches, then each note is placed at its MIDI time with Magenta's envelope (linear attack,
// hold to the note end, linear release), scaled by 0.5 x velocity / 127 after normalising the
// generated note to its own peak (-6 dBFS headroom), and mixed under a soft limiter.
#include <cstddef>
#include <functional>
#include <string>
#include <vector>

#include "timbrel/gansynth.h"
#include "timbrel/note_sequence.h"
#include "timbrel/spectral.h"

namespace timbrel {

// Which latent each note gets.
struct TimbreSchedule {
  std::vector<std::string> timbres{"seed:0"};  // one timbre, or the morph's A, B, C, ...
  double seconds_per_timbre = 0;               // morph: slerp from one timbre to the next over this time
  std::string pad;                             // "x,y": bilinear mix of the 4 `corners` (overrides the rest)
  std::vector<std::string> corners;
  // Per-track timbres (track index -> spec), e.g. {1: "preset:Flute"}; other tracks use the above.
  std::vector<std::pair<int, std::string>> track_timbres;
};

struct NoteRenderOptions {
  TimbreSchedule schedule;
  std::string drum_timbre;      // spec in the drum model ("" = preset "Standard", else its first preset, else seed:0)
  double attack = 0.010, release = 0.3;
  int sample_rate = 16000;      // output rate (soxr when not 16000)
  bool strict = false;          // pitches outside the model's range: error instead of octave transposition
  InverseOptions inverse;
  int batch = 16;
  int threads = 0;
  SpectralBackend spectral;     // empty: the CPU spectral path
  Gansynth::DeviceSpectral device_spectral;  // for a model on a GPU: its output stays there
  std::function<void(size_t done, size_t total)> progress;  // generation progress (notes)
  std::string subject = "song";  // names the input in errors (e.g. the MIDI file)
};

struct NoteRenderReport {
  size_t notes = 0, drum_notes = 0, generated = 0;  // generated: distinct (pitch, timbre) notes synthesised
  size_t transposed = 0, skipped_drums = 0;         // out-of-range pitches moved by octaves; drum notes without a drum model
  double seconds = 0, peak_before_limiter = 0;
};

// Mono audio at options.sample_rate. `drums` may be null: drum notes are then skipped (counted).
std::vector<float> render_sequence(const NoteSequence& seq, const Gansynth& melodic, const Gansynth* drums,
                                   const NoteRenderOptions& options, NoteRenderReport* report = nullptr);

// The latent of a note starting at `time` under the schedule (slerp between neighbouring timbres
// of a morph, as Magenta's MIDI renderer does at each note start).
std::vector<float> scheduled_timbre(const Gansynth& model, const TimbreSchedule& schedule, double time, int track);
// The same with each spec's latent from `lookup` (e.g. a cache, so .npy timbres are read once).
using TimbreLookup = std::function<const std::vector<float>&(const std::string& spec)>;
std::vector<float> scheduled_timbre(const TimbreLookup& lookup, const TimbreSchedule& schedule, double time, int track);

// The soft limiter: identity below 0.7, then a tanh knee up to a ceiling of 0.99.
float soft_limit(float x);

}  // namespace timbrel
