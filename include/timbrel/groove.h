#pragma once
// Groove: drums as a drummer plays them. GrooVAE's encoding (Gillick et al. 2019; Magenta's
// GrooveConverter): per sixteenth step and drum class (the 9 of drum_class_of_pitch), whether the
// drum is hit, how hard, and how far its onset lies from the step.
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "timbrel/export.h"
#include "timbrel/note_sequence.h"

namespace timbrel {

struct TIMBREL_API GrooveSteps {
  static constexpr int kClasses = 9;
  static constexpr int kStepsPerQuarter = 4;
  int steps = 0;        // whole bars of 16 steps (4/4)
  double qpm = 120.0;   // the grid's tempo (a performance's first)
  // [steps * kClasses], step-major. hit: 0 or 1; velocity: MIDI velocity / 127 (0 without a hit);
  // offset: (onset - the step's time) / step length, in [-0.5, 0.5] (0 without a hit).
  std::vector<float> hit, velocity, offset;

  size_t index(int step, int drum_class) const { return size_t(step) * kClasses + size_t(drum_class); }
  double step_seconds() const { return 60.0 / qpm / kStepsPerQuarter; }
  int hits() const;
};

// A drum performance on the 16th grid of its first tempo, bars counted from time 0 (as the Groove
// MIDI Dataset is recorded and as a DAW exports a clip). Where one class is hit twice within a step,
// the louder hit is kept (Magenta's rule). Drum notes only (channel 10); pitches outside the 9
// classes are dropped. `min_steps` pads the grid (rounded up to whole bars).
TIMBREL_API GrooveSteps encode_groove(const NoteSequence& drums, int min_steps = 0);
// The notes of a groove: each hit on its class's first pitch, at its offset, a step long, on channel 10.
TIMBREL_API NoteSequence decode_groove(const GrooveSteps& groove);

// The same hits on the grid with velocities and offsets cleared: what humanize reads.
TIMBREL_API GrooveSteps quantized_groove(const GrooveSteps& groove);
// `beat` played with `feel`'s timing and velocities: every drum note on a step and class where
// `feel` has a hit moves to that hit's offset (its length kept) and takes its velocity; other notes
// stay as they are. `feel` is on the grid of `beat`'s first tempo (as encode_groove(beat) is).
TIMBREL_API NoteSequence apply_groove(const NoteSequence& beat, const GrooveSteps& feel);
// A tapped rhythm: on each step with a hit, the loudest hit's velocity and offset on one class
// (kTapClass), the others cleared: what drumify reads (Magenta's tapify).
inline constexpr int kTapClass = 3;
TIMBREL_API GrooveSteps tap_groove(const GrooveSteps& groove);
// Taps as a user plays them (any notes, drum or pitched, one key or several) on the grid of
// `qpm`: every onset becomes a hit of kTapClass, the loudest per step kept.
TIMBREL_API GrooveSteps taps_from_notes(const NoteSequence& taps, double qpm, int min_steps = 0);

namespace detail {
struct ModelAccess;
}

struct GrooveModelInfo {
  std::string task;  // "humanize" (a quantized beat in, the same hits played) or "drumify" (taps in, a beat)
  int steps = 32;    // the window it plays at once (2 bars); longer grooves go window by window
  int z_size = 0;
};

struct GrooveOptions {
  uint64_t seed = 0;
  // z ~ N(mu, (temperature sigma)^2) around the encoder's mean for each window; 0 = the mean itself.
  double temperature = 1.0;
  double hit_threshold = 0.5;  // drumify: a drum is hit where its probability passes this
};

// A GrooVAE model folder (model.json + weights.safetensors), e.g. the bundled models/groove-humanize
// and models/groove-drumify.
class TIMBREL_API GrooveModel {
 public:
  static GrooveModel load(const std::string& folder);
  ~GrooveModel();
  GrooveModel(GrooveModel&&) noexcept;
  GrooveModel& operator=(GrooveModel&&) noexcept;
  const GrooveModelInfo& info() const;
  // The model's performance of `input` (quantized_groove for humanize, tap_groove or
  // taps_from_notes for drumify), window by window; same length and tempo as the input.
  GrooveSteps perform(const GrooveSteps& input, const GrooveOptions& options = {}) const;
  void save(const std::string& folder) const;

 private:
  struct Impl;
  friend struct detail::ModelAccess;
  explicit GrooveModel(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// A beat played: every drum note moved to the model's timing and given its velocity (pitches,
// lengths and the other notes kept). The beat is read on the grid of its first tempo; a played beat
// is quantized first. Throws Error("beat", ...) when it has no drum notes the model's classes know.
TIMBREL_API NoteSequence humanize(const GrooveModel& model, const NoteSequence& beat, const GrooveOptions& options = {});
// A drum beat for a tapped rhythm (notes on any key, on the grid of the taps' first tempo): every
// tapped step keeps a hit at the tap's onset. Throws Error("taps", ...) when there are no notes.
TIMBREL_API NoteSequence drumify(const GrooveModel& model, const NoteSequence& taps, const GrooveOptions& options = {});
// The feel of `performance` (per step of the bar and drum class: its mean offset and velocity)
// applied to `beat`'s drum notes; a class the performance never plays takes that step's mean over
// the classes it does. Throws Error("performance", ...) when it has no drum hits.
TIMBREL_API NoteSequence transfer_groove(const NoteSequence& beat, const NoteSequence& performance);

}  // namespace timbrel
