#pragma once
// MusicVAE melody and drum models: load (model folder, TF.js or deeplearn.js checkpoint),
// sample, encode, decode, interpolate. Windows are token lists of `steps` classes:
//  - melody (90 classes): 0 = no event (hold), 1 = note off, k >= 2 = pitch k - 2 + 21;
//  - drums (512 classes): bit i set = drum class i hit on that step (kick, snare, closed hat,
//    open hat, low tom, mid tom, high tom, crash, ride; Magenta's General MIDI mapping).
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "timbrel/chords.h"
#include "timbrel/export.h"
#include "timbrel/model_kind.h"
#include "timbrel/note_sequence.h"
#include "timbrel/step_draw.h"

namespace timbrel {

using Tokens = std::vector<int>;

struct MusicVaeInfo {
  ModelKind kind = ModelKind::Melody;
  std::string format;  // where it was read from, for display: "model folder", "tfjs" or "deeplearn.js"
  int steps = 32;
  int classes = 90;
  int z_size = 256;
  std::vector<int> encoder, decoder;
  std::vector<std::string> missing_encoder_tensors;  // non-empty: encode() throws
  // Chord-conditioned (Magenta's mel_chords): decode and encode take the chord of every step
  // (each step's chord reduced to its triad, TriadChordOneHotEncoding).
  bool chords = false;
  // How its card says to sample it (model.json "sampling"): what sample and generate use unless
  // asked otherwise. Without one: 0.5, drawn KeepDensity over chords and Flat otherwise.
  double temperature = 0.5;
  StepDraw draw = StepDraw::Flat;
};

// The chord sounding at each step of a window (`steps` of them).
using StepChords = std::vector<Chord>;

class TIMBREL_API MusicVae {
 public:
  // `path`: a model folder (model.json + weights.safetensors), a TF.js checkpoint folder
  // (weights_manifest.json) or a deeplearn.js folder (manifest.json). Throws Error naming it.
  static MusicVae load(const std::string& path);
  ~MusicVae();
  MusicVae(MusicVae&&) noexcept;
  MusicVae& operator=(MusicVae&&) noexcept;

  const MusicVaeInfo& info() const;
  // z: n * z_size floats, row-major. temperature 0 = argmax. `seed` fixes the sampling.
  // `chords`: a chord-conditioned model's, one StepChords per window or one for all of them
  // (required by such a model, refused by others). `draw`: how a temperature other than 0 and 1
  // applies to each step (StepDraw).
  std::vector<Tokens> decode(const std::vector<float>& z, double temperature = 0.0, uint64_t seed = 0,
                             const std::vector<StepChords>& chords = {}, StepDraw draw = StepDraw::Flat) const;
  // Means of q(z | window) for each window (n * z_size floats). `refine_steps` > 0 then moves each
  // mean that many Adam steps toward the latent the decoder best reconstructs its window from
  // (maximum a posteriori under N(0, 1)): closer endpoints for interpolation, at the cost of about
  // refine_steps teacher-forced decoder passes (forward and backward).
  std::vector<float> encode(const std::vector<Tokens>& windows, int refine_steps = 0,
                            const std::vector<StepChords>& chords = {}) const;
  // n latent vectors from `seed`: from the model card's "latent_prior" when it has one (fitted by
  // the trainer to the encoder's posteriors over its training windows, where a briefly trained
  // VAE's windows sit, far narrower than N(0, 1)): z ~ N(mean, diag(std^2)), or for a mixture
  // each latent from one component chosen by weight (a second generator seeded by `seed`);
  // else, or with `standard_prior`, Magenta's N(0, 1).
  std::vector<float> random_z(size_t n, uint64_t seed, bool standard_prior = false) const;
  // The same, with all n from one component of a mixture (chosen by weight): related latents,
  // such as the points of a latent walk that should stay in one style. Equals random_z for a
  // one-Gaussian or no prior.
  std::vector<float> random_z_related(size_t n, uint64_t seed) const;
  bool has_latent_prior() const;
  // Writes this model as a model folder (model.json + weights.safetensors, float32 or float16).
  void save(const std::string& dir, bool float16 = false) const;


 private:
  struct Impl;  // defined in the library (src/models/model_impls.h; the network src/nn/musicvae_model.h)
  friend struct detail::ModelAccess;
  explicit MusicVae(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// Spherical interpolation between a and b at t in [0, 1] (linear when they are parallel).
TIMBREL_API std::vector<float> slerp(const std::vector<float>& a, const std::vector<float>& b, double t);

// --- codecs (NoteSequence <-> windows) ---
constexpr int kMelodyMinPitch = 21, kMelodyMaxPitch = 108;
// Melody event (pitch, kMelodyNoEvent, kMelodyNoteOff) <-> class; -1 when out of range.
TIMBREL_API int melody_event_to_class(int event);
TIMBREL_API int melody_class_to_event(int cls);
// 0..8 for a General MIDI drum pitch Magenta maps, else -1; and the pitch written for a class.
TIMBREL_API int drum_class_of_pitch(int pitch);
TIMBREL_API int drum_pitch_of_class(int drum_class);

// Windows of `steps` (32 = 2 bars) of a sequence, as training and evaluation see them:
// quantized at 4 steps per quarter; melody: extract_melody + split_melody, a window every bar,
// each ending within the melody (a melody shorter than one window gives one, padded), windows
// with pitches outside 21..108 skipped; drums: the drum hits of every step, hop half a window,
// windows without a hit skipped. `gap_bars` > 0 (Magenta's OneHotMelodyConverter: 1): a rest of
// that many bars or more ends a melody, the next part starts at its first onset's bar, and parts
// shorter than a window give none, so no window spans an interlude without melody.
TIMBREL_API std::vector<Tokens> melody_windows(const NoteSequence& seq, int steps = 32, double gap_bars = 0);
TIMBREL_API std::vector<Tokens> drum_windows(const NoteSequence& seq, int steps = 32);
TIMBREL_API std::vector<Tokens> windows_for(ModelKind kind, const NoteSequence& seq, int steps = 32, double gap_bars = 0);
// melody_windows of a sequence with chord symbols (chords.h), and into `chords` the chord of
// every step of each window (N.C. before the first symbol): what a chord-conditioned model reads.
TIMBREL_API std::vector<Tokens> melody_windows_with_chords(const NoteSequence& seq, std::vector<StepChords>& chords, int steps = 32,
                                                           double gap_bars = 0);

// Windows back to notes, window i starting at step steps * i (melody: a note lasts until the
// next onset or note-off, the last one until the window's end; drums: one-step notes on
// channel 10). 4 steps per quarter.
TIMBREL_API NoteSequence windows_to_sequence(ModelKind kind, const std::vector<Tokens>& windows, double qpm = 120.0);

}  // namespace timbrel
