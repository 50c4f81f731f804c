#pragma once
// Rendering a NoteSequence with neural timbres: every distinct (pitch, timbre) is generated once,
// in batches, its sub-sonic energy filtered out and its level set to the training data's level for
// that (timbre, pitch) (render/note_level.h); drum hits get the band above 8 kHz the 16 kHz model
// cannot make (models/gm-drums' high band). Each note is then placed at its MIDI time with
// Magenta's envelope (linear attack, hold to the note end, linear release), scaled by
// 0.5 x velocity / 127 (-6 dBFS headroom), and follows every General MIDI controller its channel
// carries as FluidSynth does: volume and expression (CC7, CC11), pan (CC10), the sustain pedal
// (CC64), pitch bend in its RPN 0 range, modulation (CC1), reverb and chorus sends (CC91, CC93;
// until a file sends them, each instrument's own send as FluidR3's GM presets carry it), reset all
// controllers (CC121). The stereo mix goes through a room (reverb and chorus), a DC blocker and a soft
// limiter, at 48 kHz unless asked otherwise; the render is bit-identical run to run.
// Drum notes use the drum model; note numbers outside General MIDI's kit (35..81) are mapped onto
// Magenta's nine drum classes as its drum encoder maps them.
#include <cstddef>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "timbrel/export.h"
#include "timbrel/ddsp.h"
#include "timbrel/gansynth.h"
#include "timbrel/note_sequence.h"
#include "timbrel/spectral.h"

namespace timbrel {

// A point on NSynth Super's pad: x, y in [0, 1] mix four corner timbres (see bilinear).
struct PadPosition {
  double x = 0, y = 0;
};
// "x,y" with both in [0, 1]; Error naming `parameter` otherwise.
TIMBREL_API PadPosition parse_pad_position(const std::string& text, const std::string& parameter = "pad");

// Which latent each note gets.
struct TimbreSchedule {
  std::vector<std::string> timbres{"seed:0"};  // one timbre, or the morph's A, B, C, ...
  double seconds_per_timbre = 0;               // morph: slerp from one timbre to the next over this time
  std::optional<PadPosition> pad;              // bilinear mix of the 4 `corners` (overrides the rest)
  std::vector<std::string> corners;
  // Per-track timbres (track index -> spec), e.g. {1: "preset:Flute"}; other tracks use the above.
  std::vector<std::pair<int, std::string>> track_timbres;
  // Each note's timbre is its General MIDI program ("program:N") unless a track timbre names one;
  // `timbres` then only serve models whose card records no programs.
  bool follow_programs = false;
};

// Which neural engine plays the melodic notes (drum notes always use the drum model).
enum class TimbreEngine { Gansynth, Ddsp };
// "gansynth" | "ddsp"; Error naming `parameter` otherwise.
TIMBREL_API TimbreEngine parse_timbre_engine(const std::string& text, const std::string& parameter = "engine");

struct NoteRenderOptions {
  TimbreSchedule schedule;
  TimbreEngine engine = TimbreEngine::Gansynth;
  DdspPerformanceOptions ddsp;
  bool drums = true;            // false: drum notes are left out (Engine; counted as skipped_drums)
  std::string drum_timbre;      // spec in the drum model ("" = preset "Standard", else its first preset, else seed:0)
  double attack = 0.010, release = 0.3;
  int sample_rate = 48000;      // output rate (the 16 kHz notes are resampled with soxr)
  int channels = 2;             // 2: stereo; 1: mono (L + R at the level a centred note has in mono)
  bool room = true;             // false: no reverb or chorus whatever CC91/CC93 say (a dry render)
  std::optional<double> loudness;  // integrated loudness (LUFS, EBU R128) to normalise a file render to
  double true_peak = -1.0;      // its true-peak ceiling, dBTP
  bool strict = false;          // pitches outside the model's range: error instead of octave transposition
  InverseOptions inverse = generated_note_inverse();
  InverseOptions drum_inverse = generated_drum_inverse();  // the drum model's hits
  int batch = 16;
  int threads = 0;
  SpectralBackend spectral;     // empty: the CPU spectral path
  SpectralBackend device_spectral;  // for a model on a GPU: its output stays there
  std::function<void(size_t done, size_t total)> progress;  // generation progress (notes)
  // Generated notes kept in this folder between renders ("" = none; default_note_cache_folder()
  // is the usual place): a note whose model weights, device, precision, timbre, pitch and phase
  // options match is read back instead of generated. Velocity and sample rate are applied after,
  // so one note serves them all. A render that adds notes trims the folder to note_cache_bytes,
  // least recently used notes first; concurrent renders may share it. A folder that cannot be
  // made leaves the render uncached (report.cache_error says why).
  std::string note_cache;
  uint64_t note_cache_bytes = uint64_t(1) << 30;
  // Names `spectral` and `device_spectral` in the note cache's key (the Engine names its GPU
  // backend); notes made through backends without a name are not kept.
  std::string spectral_name;
  std::string subject = "song";  // names the input in errors (e.g. the MIDI file)
};

// Where renders keep their generated notes unless told otherwise: $TIMBREL_NOTE_CACHE ("off": ""
// = no cache), else $XDG_CACHE_HOME/timbrel/notes, else $HOME/.cache/timbrel/notes ("" when
// neither is set). The library never caches on its own: pass this as NoteRenderOptions::note_cache.
TIMBREL_API std::string default_note_cache_folder();

struct NoteRenderReport {
  size_t notes = 0, drum_notes = 0, generated = 0;  // generated: distinct (pitch, timbre) notes synthesised
  size_t cached = 0;                                 // distinct notes read from options.note_cache instead
  size_t cache_write_failures = 0;                   // new notes the cache could not keep (e.g. a full disk)
  std::string cache_error;                           // why options.note_cache was not used ("" when it was)
  size_t transposed = 0, skipped_drums = 0;         // out-of-range pitches moved by octaves; drum notes without a drum model
  size_t mapped_drums = 0, unknown_drums = 0;       // drum notes mapped onto Magenta's classes; skipped (no class)
  std::map<int, std::string> substituted_programs;  // GM program -> the preset used in its place (no exact preset)
  size_t ddsp_voices = 0;                           // DDSP: monophonic voices the melodic notes needed
  std::map<int, int> octave_shifts;                 // DDSP: track -> octaves it was moved into the model's range
  double seconds = 0, peak_before_limiter = 0;
  size_t sustained = 0;                             // notes the pedal held past their key release
  double integrated_lufs = 0, true_peak_dbtp = 0;   // of the file render (EBU R128), after any normalisation
};

}  // namespace timbrel
