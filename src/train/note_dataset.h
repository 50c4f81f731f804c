#pragma once
// NSynth-like note sets: one folder with
//   index.json         {"format": "timbrel-notes", "version": 1, ..., "notes": [{source, bank, program,
//                       preset, family, pitch, velocity, split, peak}, ...]}
//   spectrograms.npy   float16 [N, 128, 1024, 2], normalised IF-mel (memory-mappable)
//   audio.npy          float16 [N, 4 x rate] mono (64000 at 16 kHz), each note scaled to peak 0.9
// index.json's "sample_rate" and "samples" say the rate (16000 unless made with another); only
// 16 kHz sets store spectrograms (GANSynth's representation is of 16 kHz notes).
// Notes come from SoundFonts (libfluidsynth, reverb and chorus off: 3 s held + 1 s release) or
// from a folder of recordings. The split keeps whole presets out ("test") and some (preset, pitch)
// pairs of the others out ("validation"), never a whole pitch nor a preset named in
// `train_whole`; the rest is "train".
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "timbrel/dataset.h"
#include "timbrel/shard.h"

namespace timbrel::train {

struct NoteRecord {
  std::string source;  // SoundFont or recording file
  int bank = 0, program = 0;
  std::string preset, family;
  int pitch = 60, velocity = 100;
  std::string split = "train";
  float peak = 0;  // peak before normalisation
};

NoteSetReport build_note_set(const NoteSetOptions& options);

// Joins the shards 0..n-1 of one `build_note_set` (same options, each shard once) into one note
// set at `out_dir`, byte for byte what a single run writes.
NoteSetReport merge_note_sets(const std::vector<std::string>& shard_dirs, const std::string& out_dir);

// The 16 General MIDI families (program 0..127 -> "Piano", ..., "Sound Effects").
std::string gm_family(int program);
// Pitch from a recording's file name: NSynth "name-060-100", note names ("C#4", "eb3", "A4" with
// C4 = 60) or a bare MIDI number ("_60", "-72"); -1 when the name has none.
int pitch_from_name(const std::string& stem);
// Median YIN estimate (MIDI, rounded) over 0.1..1.0 s of 16 kHz audio; -1 when unvoiced.
int estimate_pitch(const float* audio, size_t samples);
// Samples of one stored note at `sample_rate`: 3 s held + 1 s release.
inline size_t note_samples(int sample_rate) { return size_t(4) * size_t(sample_rate); }

// A note set opened read-only; the arrays are memory-mapped.
class NoteSet {
 public:
  static NoteSet open(const std::string& dir);
  ~NoteSet();
  NoteSet(NoteSet&&) noexcept;
  NoteSet& operator=(NoteSet&&) noexcept;

  size_t size() const;
  const NoteRecord& note(size_t i) const;
  const std::vector<NoteRecord>& notes() const;
  const uint16_t* spectrogram(size_t i) const;  // float16 [128][1024][2]; Error on a set at another rate than 16 kHz
  const uint16_t* audio(size_t i) const;        // float16 [samples()]
  int sample_rate() const;
  size_t samples() const;  // per note: 4 s
  bool has_spectrograms() const;
  // Error naming the set, its rate and `user` (what needs it) unless the set is at `rate`.
  void require_sample_rate(int rate, const std::string& user) const;
  const std::string& dir() const;
  std::string kind() const;  // "melodic" or "drums"

  struct Impl;

 private:
  explicit NoteSet(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace timbrel::train
