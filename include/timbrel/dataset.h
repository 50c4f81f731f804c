#pragma once
// Note sets, what the timbre trainers learn from (`timbrel dataset notes`): single notes of
// SoundFont presets (libfluidsynth, reverb and chorus off: 3 s held + 1 s release) or of a folder
// of recordings, stored as index.json + spectrograms.npy (float16 [N, 128, 1024, 2]) + audio.npy
// (float16 [N, 64000]: 4 s at 16 kHz). Sets at another rate (48 kHz, for DDSP) hold audio.npy
// [N, 4 x rate] and no spectrograms (GANSynth's are 16 kHz). The split keeps whole presets out ("test") and some (preset, pitch) pairs
// of the others out ("validation").
#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "timbrel/export.h"
#include "timbrel/shard.h"

namespace timbrel {

struct NoteSetOptions {
  std::vector<std::string> soundfonts;
  std::string from_wavs;  // folder of recordings instead of SoundFonts
  std::string out_dir;
  bool drums = false;  // bank-128 kits at GM drum notes instead of melodic presets
  int min_pitch = 24, max_pitch = 84;
  std::vector<int> velocities{100};
  int sample_rate = 16000;    // 16000 (GANSynth and DDSP) or e.g. 48000 (DDSP only): index.json records it
  std::vector<int> programs;  // only these GM programs (empty: all)
  int max_presets = 0;        // 0: all
  double test_fraction = 0.1;
  int validation_every = 8;   // ~1 in 8 (preset, pitch) pairs of the training presets is held out
  // Presets trained whole: never test, no validation pairs. A drum kit's notes are different
  // instruments, so a held-out (kit, note) pair is a sound the model never heard; the kit a
  // renderer plays by default must be trained whole. Empty with `drums`: {"Standard"}.
  std::vector<std::string> train_whole;
  uint32_t seed = 0;
  // Render only the presets (or recording instruments) of this shard, by a stable hash of the
  // name; the split is the whole set's, and each note keeps its place in it for merge_note_sets.
  Shard shard;
  int threads = 0;
  std::function<void(const std::string&)> log;       // skipped files; unset: dropped
  std::function<void(const std::string&)> progress;  // "12/158 presets, 700 notes" as rendering goes
};

struct NoteSetReport {
  size_t notes = 0, silent = 0, presets = 0, train = 0, validation = 0, test = 0;
  double render_seconds = 0, analyse_seconds = 0;
};

// Error naming what is missing in a build without libfluidsynth (TIMBREL_FLUIDSYNTH=OFF) when
// `soundfonts` are given.
TIMBREL_API NoteSetReport build_note_set(const NoteSetOptions& options);

// Joins the shards 0..n-1 of one build_note_set (same options, each shard once) into one note
// set at `out_dir`, byte for byte what a single run writes.
TIMBREL_API NoteSetReport merge_note_sets(const std::vector<std::string>& shard_dirs, const std::string& out_dir);

}  // namespace timbrel
