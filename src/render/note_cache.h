#pragma once
// Generated notes kept on disk between renders, so a song rendered again after an edit generates
// only its new notes. A note is the generator's 16 kHz output before levelling, resampling and
// velocity, so one entry serves every velocity and sample rate. Its key holds everything the
// samples depend on (the model's weights fingerprint, device, precision, timbre latent, pitch,
// phase options, spectral backend, library and libtorch versions); the file stores the whole key
// and a checksum, and a file that does not match is a miss.
//
// Safe under concurrent renders: files are written whole and renamed into place (atomic_file.h);
// a reader keeps a file it opened even if another process replaces or evicts it. The folder is
// bounded: trim() evicts the least recently used files (a hit refreshes its time).
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "timbrel/spectral.h"

namespace timbrel {

class Gansynth;

struct NoteCacheKey {
  std::string bytes;  // the whole key
  uint64_t hash = 0;  // names the file
};

// `backend`: which spectral path turns the spectrogram into audio ("cpu", or a caller's name).
NoteCacheKey note_cache_key(const Gansynth& model, int pitch, const std::vector<float>& z, const InverseOptions& inverse,
                            const std::string& backend);

class NoteCache {
 public:
  // Creates `folder` if needed (Error naming the parameter "note_cache" when it cannot);
  // max_bytes > 0 (the renderer checks it).
  NoteCache(std::string folder, uint64_t max_bytes);
  // The note stored under `key` into `note` (kNoteSamples values); false when there is none or
  // it is unreadable or does not match (such a file is removed).
  bool load(const NoteCacheKey& key, std::vector<float>& note) const;
  // Stores `note` under `key`; false when it could not be written (a full disk): a cache that
  // cannot keep a note must not fail the render.
  bool store(const NoteCacheKey& key, const std::vector<float>& note) const;
  // Evicts the least recently used notes until the folder holds at most max_bytes of them.
  void trim() const;
  const std::string& folder() const { return folder_; }

 private:
  std::string path_of(const NoteCacheKey& key) const;
  std::string folder_;
  uint64_t max_bytes_;
};

}  // namespace timbrel
