// Sample-rate conversion through libsoxr.
#include <soxr.h>

#include <cmath>

#include "audio/resample.h"
#include "timbrel/error.h"

namespace timbrel {

Audio mix_to_mono(const Audio& audio) {
  if (audio.channels <= 1) return audio;
  Audio out;
  out.sample_rate = audio.sample_rate;
  out.channels = 1;
  out.samples.resize(audio.frames());
  for (size_t i = 0; i < out.samples.size(); ++i) {
    float sum = 0;
    for (int c = 0; c < audio.channels; ++c) sum += audio.samples[i * size_t(audio.channels) + size_t(c)];
    out.samples[i] = sum / float(audio.channels);
  }
  return out;
}

Audio resample(const Audio& audio, int sample_rate) { return resample(audio, sample_rate, 0.0); }

std::vector<float> resample_note(std::vector<float> note, int from, int to) {
  if (from == to) return note;
  Audio a;
  a.sample_rate = from;
  a.samples = std::move(note);
  return resample(a, to, kNotePassband).samples;
}

// passband_end 0: soxr's default for HQ.
Audio resample(const Audio& audio, int sample_rate, double passband_end) {
  if (!(passband_end >= 0 && passband_end < 1)) throw Error("passband_end", "must be in [0, 1)");
  if (sample_rate < 1000 || sample_rate > 768000)
    throw Error("sample_rate", std::to_string(sample_rate) + " Hz is outside 1000..768000");
  if (audio.sample_rate == sample_rate) return audio;
  Audio out;
  out.sample_rate = sample_rate;
  out.channels = audio.channels;
  const double ratio = double(sample_rate) / audio.sample_rate;
  size_t out_frames = size_t(std::llround(audio.frames() * ratio));
  out.samples.resize(out_frames * size_t(audio.channels));
  soxr_io_spec_t io = soxr_io_spec(SOXR_FLOAT32_I, SOXR_FLOAT32_I);
  soxr_quality_spec_t q = soxr_quality_spec(SOXR_HQ, 0);
  if (passband_end > 0) q.passband_end = passband_end;
  size_t done = 0;
  soxr_error_t err = soxr_oneshot(audio.sample_rate, sample_rate, unsigned(audio.channels),
                                  audio.samples.data(), audio.frames(), nullptr,
                                  out.samples.data(), out_frames, &done, &io, &q, nullptr);
  if (err) throw Error("resample", std::string("libsoxr: ") + err);
  out.samples.resize(done * size_t(audio.channels));
  return out;
}

}  // namespace timbrel
