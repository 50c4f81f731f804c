#pragma once
// The NoteRenderer behind render_sequence and streaming playback: it renders a NoteSequence
// incrementally, in time order, so a player can start after the first batch of notes. Frames it
// hands out are final (every note that can sound in them has been mixed, through the room and the
// limiter), so rendering in one call or in many gives the same audio.
#include <cstddef>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "util/huge_pages.h"

#include "render/channel_controls.h"
#include "render/note_cache.h"
#include "render/note_level.h"
#include "timbrel/play.h"
#include "timbrel/render.h"
#include "timbrel/sound_file.h"

namespace timbrel {

class DrumHighs;
class Room;

// Audio made elsewhere (a DDSP line) for one MIDI channel, mixed with that channel's pan and sends.
struct Stem {
  int channel = 0;
  int program = 0;   // its General MIDI program (the instrument's own effect sends)
  int sample_rate = kNoteSampleRate;
  size_t start = 0;  // its first sample's position, at its own rate
  std::vector<float> audio;
};

class NoteRenderer {
 public:
  // `melodic` may be null when the sequence has no melodic notes (they are played elsewhere);
  // `highs` (may be null) adds the drum hits' band above 8 kHz.
  NoteRenderer(const NoteSequence& seq, const Gansynth* melodic, const Gansynth* drums, const NoteRenderOptions& options,
               const DrumHighs* highs = nullptr);
  ~NoteRenderer();
  // Lines played elsewhere, mixed under the notes; the render lasts at least as long. Call before rendering.
  void mix_in(std::vector<Stem> stems);

  int sample_rate() const { return rate_; }
  int channels() const { return options_.channels; }
  // Length of the whole render in frames at sample_rate() (last note end + release + the room's tail).
  size_t total_frames() const { return total_; }
  size_t emitted() const { return emitted_; }
  bool finished() const { return emitted_ >= total_; }
  // Appends the frames [emitted(), min(until, total_frames())) to `out` (channels() samples a
  // frame, interleaved), generating (in batches) the notes that start before `until`.
  void render_until(size_t until, std::vector<float>& out);
  // Call before mix_in and rendering for a render to memory: the buses are then sized once, for
  // the whole render, so that placing notes never moves them (streaming leaves them to grow).
  void reserve_whole_render() { whole_render_ = true; }
  // Counts so far (generated grows as batches are made; peak covers the emitted samples).
  const NoteRenderReport& report() const { return report_; }

 private:
  struct Job {
    const Gansynth* model;
    int pitch;
    std::vector<float> z;
    int drum_note = -1;        // the kit piece (drum jobs)
    std::vector<float> audio;  // levelled note at the mix rate (note_level.h), once generated
  };
  struct Placed {
    size_t job;
    size_t start;  // frame
    double held;   // frames
    float gain;
    int channel;
    float reverb_base, chorus_base;  // the instrument's own sends (gm_sends.h)
  };
  void add_notes(const NoteSequence& seq, const Gansynth* melodic, const Gansynth* drums);
  void open_note_cache();
  const InverseOptions& inverse_for(const Gansynth* model) const;  // the drum model's hits take drum_inverse
  void generate_next_batch(const Gansynth* model);
  // Jobs of queue_[model][first, first + n) the note cache holds are prepared from it; returns the rest.
  std::vector<size_t> take_cached(const Gansynth* model, size_t first, size_t n, std::vector<NoteCacheKey>& keys);
  void prepare_job_audio(Job& job, std::vector<float> note16k) const;
  void place(const Placed& p);
  void place_stem(const Stem& s);
  void grow(size_t frames_from_emitted);
  void emit(size_t n, std::vector<float>& out);

  NoteRenderOptions options_;
  int rate_;
  const Gansynth* drum_model_ = nullptr;  // its jobs take options_.drum_inverse
  const DrumHighs* highs_ = nullptr;
  std::string kit_;                       // the drum model's preset in use ("" when not a preset)
  std::unique_ptr<SequenceControls> controls_;
  NoteRenderReport report_;
  std::vector<Job> jobs_;
  std::vector<Placed> placed_;                            // sorted by start
  std::map<const Gansynth*, std::vector<size_t>> queue_;  // each model's jobs in order of first use
  std::map<const Gansynth*, size_t> queue_next_;
  size_t next_place_ = 0, total_ = 0, emitted_ = 0;
  // The buses from frame emitted_ - offset_ on (the consumed front is dropped lazily).
  HugePageVector<float> stereo_, reverb_, chorus_;
  size_t offset_ = 0;
  bool whole_render_ = false;
  std::unique_ptr<Room> room_;
  std::unique_ptr<NoteCache> cache_;  // options_.note_cache's folder (null: none)
  bool cache_stored_ = false;         // a note was stored: trim the folder once all are made
  HighPass dc_left_, dc_right_;  // the mix's DC and sub-sonic drift
};

// The audio at options.sample_rate, options.channels. `drums` may be null: drum notes are then
// skipped (counted); `highs` may be null (no high band on the hits).
Audio render_sequence(const NoteSequence& seq, const Gansynth& melodic, const Gansynth* drums, const NoteRenderOptions& options,
                      NoteRenderReport* report = nullptr, const DrumHighs* highs = nullptr);

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

// A file's audio is built in memory (~1.4 GB per hour at 48 kHz stereo): a render stops at this length.
constexpr double kMaxRenderHours = 4.0;

// render_sequence with `stems` mixed in (NoteRenderer::mix_in) and `melodic` possibly null.
Audio render_with_stems(const NoteSequence& seq, const Gansynth* melodic, const Gansynth* drums, const NoteRenderOptions& options,
                        std::vector<Stem> stems, NoteRenderReport* report, const DrumHighs* highs = nullptr);

// A sequence streamed to an audio device while it renders (Engine::play's GANSynth path).
PlayReport play_sequence(const NoteSequence& seq, const Gansynth& melodic, const Gansynth* drums, const PlayOptions& options,
                         const DrumHighs* highs = nullptr);

// play_sequence with `stems` mixed in (as render_with_stems).
PlayReport play_with_stems(const NoteSequence& seq, const Gansynth* melodic, const Gansynth* drums, const PlayOptions& options,
                           std::vector<Stem> stems, const DrumHighs* highs = nullptr);

}  // namespace timbrel
