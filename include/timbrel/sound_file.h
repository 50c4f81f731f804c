#pragma once
// Sound files through libsndfile (WAV and FLAC) and resampling through libsoxr.
#include <cstddef>
#include <string>
#include <vector>

#include "timbrel/export.h"

namespace timbrel {

struct TIMBREL_API Audio {
  int sample_rate = 16000;
  int channels = 1;
  std::vector<float> samples;  // interleaved, nominal range [-1, 1]

  size_t frames() const { return channels > 0 ? samples.size() / static_cast<size_t>(channels) : 0; }
  double seconds() const { return sample_rate > 0 ? double(frames()) / sample_rate : 0.0; }
  float peak() const;
};

enum class SampleFormat { Pcm16, Pcm24, Float32 };

struct SoundFileInfo {
  std::string container;  // "WAV", "FLAC", ...
  std::string encoding;   // "PCM_16", "FLOAT", ...
  int sample_rate = 0;
  int channels = 0;
  long long frames = 0;
};

TIMBREL_API Audio read_sound_file(const std::string& path, SoundFileInfo* info = nullptr);

// The container comes from the extension (.wav, .flac); FLAC takes Pcm16 or Pcm24. Samples are
// clipped to [-1, 1] for the integer formats. The file appears atomically (temp + rename): on any
// error nothing is left behind and an existing file is untouched.
TIMBREL_API void write_sound_file(const std::string& path, const Audio& audio,
                      SampleFormat format = SampleFormat::Pcm16);

// Throws the Error write_sound_file would for `path` and `format` (extension, FLAC with float
// samples), so that a caller can refuse before rendering anything.
TIMBREL_API void check_sound_file_output(const std::string& path, SampleFormat format = SampleFormat::Pcm16);

// Parses "16", "24", "float" (as --bit-depth takes them); Error naming `parameter` otherwise.
TIMBREL_API SampleFormat parse_sample_format(const std::string& text, const std::string& parameter = "sample_format");
TIMBREL_API std::string to_string(SampleFormat format);  // "16", "24", "float"

// Average of the channels.
TIMBREL_API Audio mix_to_mono(const Audio& audio);

// High-quality resampling (libsoxr, HQ recipe). Returns a copy when the rate already matches.
TIMBREL_API Audio resample(const Audio& audio, int sample_rate);

}  // namespace timbrel
