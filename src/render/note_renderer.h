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
#include "timbrel/render.h"

namespace timbrel {

class NoteRenderer {
 public:
  NoteRenderer(const NoteSequence& seq, const Gansynth& melodic, const Gansynth* drums, const NoteRenderOptions& options);

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
  NoteRenderReport report_;
  std::vector<Job> jobs_;
  std::vector<Placed> placed_;                        // sorted by start
  std::map<const Gansynth*, std::vector<size_t>> queue_;  // each model's jobs in order of first use
  std::map<const Gansynth*, size_t> queue_next_;
  size_t next_place_ = 0, total_ = 0, emitted_ = 0;
  std::vector<float> mix_;  // samples from emitted_ on (front part consumed lazily)
  size_t mix_offset_ = 0;   // index in mix_ of sample emitted_
  HighPass dc_blocker_{20.0, double(kNoteSampleRate)};  // the mix's DC and sub-sonic drift
};

}  // namespace timbrel
