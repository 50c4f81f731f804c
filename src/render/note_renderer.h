#pragma once
// The NoteRenderer behind render_sequence and streaming playback: it renders a NoteSequence
// incrementally, in time order, so a player can start after the first batch of notes. Samples it
// hands out are final (every note that can sound in them has been mixed and limited), so
// rendering in one call or in many gives the same audio.
#include <cstddef>
#include <map>
#include <string>
#include <vector>

#include "render/note_level.h"
#include "timbrel/play.h"
#include "timbrel/render.h"

namespace timbrel {

class NoteRenderer {
 public:
  // `melodic` may be null when the sequence has no melodic notes (they are played elsewhere).
  NoteRenderer(const NoteSequence& seq, const Gansynth* melodic, const Gansynth* drums, const NoteRenderOptions& options);
  // Audio at kNoteSampleRate from time 0 (e.g. DDSP voices) mixed under the notes, before the DC
  // blocker and the limiter; the render lasts at least as long. Call before rendering.
  void mix_in(std::vector<float> bed);

  // Length of the whole render at kNoteSampleRate (last note end + release).
  size_t total_samples() const { return total_; }
  size_t emitted() const { return emitted_; }
  bool finished() const { return emitted_ >= total_; }
  // Appends the samples [emitted(), min(until, total_samples())) at kNoteSampleRate to `out`,
  // generating (in batches) the notes that start before `until`.
  void render_until(size_t until, std::vector<float>& out);
  // Counts so far (generated grows as batches are made; peak covers the emitted samples).
  const NoteRenderReport& report() const { return report_; }

 private:
  struct Job {
    const Gansynth* model;
    int pitch;
    std::vector<float> z;
    std::vector<float> audio;  // levelled note (note_level.h), once generated
  };
  struct Placed {
    size_t job;
    size_t start;  // sample
    double held;   // samples
    float gain;
  };
  void generate_next_batch(const Gansynth* model);
  void place(const Placed& p);

  NoteRenderOptions options_;
  const Gansynth* drum_model_ = nullptr;  // its jobs take options_.drum_inverse
  NoteRenderReport report_;
  std::vector<Job> jobs_;
  std::vector<Placed> placed_;                        // sorted by start
  std::map<const Gansynth*, std::vector<size_t>> queue_;  // each model's jobs in order of first use
  std::map<const Gansynth*, size_t> queue_next_;
  size_t next_place_ = 0, total_ = 0, emitted_ = 0;
  std::vector<float> mix_;  // samples from emitted_ on (front part consumed lazily)
  std::vector<float> bed_;  // mix_in's audio, from time 0
  size_t mix_offset_ = 0;   // index in mix_ of sample emitted_
  HighPass dc_blocker_{20.0, double(kNoteSampleRate)};  // the mix's DC and sub-sonic drift
};

// Mono audio at options.sample_rate. `drums` may be null: drum notes are then skipped (counted).
std::vector<float> render_sequence(const NoteSequence& seq, const Gansynth& melodic, const Gansynth* drums,
                                   const NoteRenderOptions& options, NoteRenderReport* report = nullptr);

// The latent of a note starting at `time` under the schedule (slerp between neighbouring timbres
// of a morph, as Magenta's MIDI renderer does at each note start).
// `program`: the note's General MIDI program (used when schedule.follow_programs).
std::vector<float> scheduled_timbre(const Gansynth& model, const TimbreSchedule& schedule, double time, int track, int program = -1);
// The same with each spec's latent from `lookup` (e.g. a cache, so .npy timbres are read once).
using TimbreLookup = std::function<const std::vector<float>&(const std::string& spec)>;
std::vector<float> scheduled_timbre(const TimbreLookup& lookup, const TimbreSchedule& schedule, double time, int track,
                                    int program = -1);
// The note a drum model plays for MIDI drum note `pitch`: itself inside General MIDI's kit
// (35..81), else the first pitch of its Magenta drum class; -1 when Magenta maps it to none.
int drum_note_for_kit(int pitch);

// The soft limiter: identity below 0.7, then a tanh knee up to a ceiling of 0.99.
float soft_limit(float x);

// A file's audio is built in memory (~200 MB per hour at 48 kHz): a render stops at this length.
constexpr double kMaxRenderHours = 4.0;

// render_sequence with `bed` mixed in (NoteRenderer::mix_in) and `melodic` possibly null.
std::vector<float> render_with_bed(const NoteSequence& seq, const Gansynth* melodic, const Gansynth* drums,
                                   const NoteRenderOptions& options, std::vector<float> bed, NoteRenderReport* report);

// A sequence streamed to an audio device while it renders (Engine::play's GANSynth path).
PlayReport play_sequence(const NoteSequence& seq, const Gansynth& melodic, const Gansynth* drums, const PlayOptions& options);

// play_sequence with `bed` mixed in (as render_with_bed).
PlayReport play_with_bed(const NoteSequence& seq, const Gansynth* melodic, const Gansynth* drums, const PlayOptions& options,
                         std::vector<float> bed);

}  // namespace timbrel
