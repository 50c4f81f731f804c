// Sound files through libsndfile; every write goes through AtomicFile.
#include <sndfile.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <memory>

#include "timbrel/error.h"
#include "timbrel/sound_file.h"
#include "util/atomic_file.h"
#include "util/file_io.h"

namespace timbrel {
namespace {

struct SndfileCloser {
  void operator()(SNDFILE* f) const { sf_close(f); }
};
using SndfilePtr = std::unique_ptr<SNDFILE, SndfileCloser>;

std::string format_name(int format, int mask) {
  SF_FORMAT_INFO info{};
  info.format = format & mask;
  if (sf_command(nullptr, SFC_GET_FORMAT_INFO, &info, sizeof info) != 0 || !info.name) return "unknown";
  return info.name;
}

std::string encoding_name(int format) {
  switch (format & SF_FORMAT_SUBMASK) {
    case SF_FORMAT_PCM_S8: return "PCM_S8";
    case SF_FORMAT_PCM_U8: return "PCM_U8";
    case SF_FORMAT_PCM_16: return "PCM_16";
    case SF_FORMAT_PCM_24: return "PCM_24";
    case SF_FORMAT_PCM_32: return "PCM_32";
    case SF_FORMAT_FLOAT: return "FLOAT";
    case SF_FORMAT_DOUBLE: return "DOUBLE";
    case SF_FORMAT_VORBIS: return "VORBIS";
    case SF_FORMAT_OPUS: return "OPUS";
    default: return format_name(format, SF_FORMAT_SUBMASK);
  }
}

std::string container_name(int format) {
  switch (format & SF_FORMAT_TYPEMASK) {
    case SF_FORMAT_WAV: return "WAV";
    case SF_FORMAT_WAVEX: return "WAVEX";
    case SF_FORMAT_FLAC: return "FLAC";
    case SF_FORMAT_AIFF: return "AIFF";
    case SF_FORMAT_OGG: return "OGG";
    case SF_FORMAT_RF64: return "RF64";
    default: return format_name(format, SF_FORMAT_TYPEMASK);
  }
}

// libsndfile's container and sample encoding for `path` and `format`, or an Error naming `path`.
std::pair<int, int> sound_file_format(const std::string& path, SampleFormat format) {
  std::string ext = lower_extension(path);
  int container;
  if (ext == "wav") container = SF_FORMAT_WAV;
  else if (ext == "flac") container = SF_FORMAT_FLAC;
  else throw Error(path, "unknown sound file extension '." + ext + "' (use .wav or .flac)");
  int sub = format == SampleFormat::Pcm16 ? SF_FORMAT_PCM_16
            : format == SampleFormat::Pcm24 ? SF_FORMAT_PCM_24 : SF_FORMAT_FLOAT;
  if (container == SF_FORMAT_FLAC && sub == SF_FORMAT_FLOAT)
    throw Error(path, "FLAC stores integer samples only: use 16 or 24 bits");
  return {container, sub};
}

}  // namespace

float Audio::peak() const {
  float p = 0.0f;
  for (float s : samples) p = std::max(p, std::fabs(s));
  return p;
}

Audio read_sound_file(const std::string& path, SoundFileInfo* info_out) {
  SF_INFO info{};
  SndfilePtr file(sf_open(path.c_str(), SFM_READ, &info));
  if (!file) throw Error(path, std::string("cannot read as a sound file: ") + sf_strerror(nullptr));
  if (info.channels < 1 || info.channels > 256 || info.samplerate < 1)
    throw Error(path, "implausible header: " + std::to_string(info.channels) + " channels at " +
                          std::to_string(info.samplerate) + " Hz");
  // sf_count_t frames can be absurd in a corrupt header: read in blocks instead of trusting it.
  Audio audio;
  audio.sample_rate = info.samplerate;
  audio.channels = info.channels;
  const sf_count_t block = 65536;
  std::vector<float> buf(size_t(block) * size_t(info.channels));
  for (;;) {
    sf_count_t got = sf_readf_float(file.get(), buf.data(), block);
    if (got <= 0) break;
    audio.samples.insert(audio.samples.end(), buf.begin(), buf.begin() + got * info.channels);
  }
  if (sf_error(file.get()) != SF_ERR_NO_ERROR)
    throw Error(path, std::string("read failed: ") + sf_strerror(file.get()));
  if (info_out) {
    info_out->container = container_name(info.format);
    info_out->encoding = encoding_name(info.format);
    info_out->sample_rate = info.samplerate;
    info_out->channels = info.channels;
    info_out->frames = static_cast<long long>(audio.frames());
  }
  return audio;
}

void check_sound_file_output(const std::string& path, SampleFormat format) { sound_file_format(path, format); }

void write_sound_file(const std::string& path, const Audio& audio, SampleFormat format) {
  const auto [container, sub] = sound_file_format(path, format);
  if (audio.channels < 1 || audio.sample_rate < 1 || audio.samples.size() % size_t(audio.channels) != 0)
    throw Error(path, "invalid audio buffer (" + std::to_string(audio.channels) + " channels, " +
                          std::to_string(audio.samples.size()) + " samples)");
  if (container == SF_FORMAT_FLAC && audio.sample_rate > 655350)
    throw Error(path, "sample rate too high for FLAC");
  for (float s : audio.samples)
    if (!std::isfinite(s)) throw Error(path, "audio contains NaN or infinite samples");

  SF_INFO info{};
  info.samplerate = audio.sample_rate;
  info.channels = audio.channels;
  info.format = container | sub;
  if (!sf_format_check(&info))
    throw Error(path, "libsndfile cannot write this format/channel/rate combination");

  AtomicFile out(path);
  {
    SndfilePtr file(sf_open_fd(out.fd(), SFM_WRITE, &info, SF_FALSE));
    if (!file) throw Error(path, std::string("cannot write: ") + sf_strerror(nullptr));
    // Clip instead of wrapping when converting floats beyond [-1, 1] to integers.
    sf_command(file.get(), SFC_SET_CLIPPING, nullptr, SF_TRUE);
    sf_count_t frames = sf_count_t(audio.frames());
    if (sf_writef_float(file.get(), audio.samples.data(), frames) != frames)
      throw Error(path, std::string("write failed: ") + sf_strerror(file.get()));
    sf_write_sync(file.get());
  }  // sf_close finalises the header before the rename
  out.commit();
}

SampleFormat parse_sample_format(const std::string& text, const std::string& parameter) {
  if (text == "16") return SampleFormat::Pcm16;
  if (text == "24") return SampleFormat::Pcm24;
  if (text == "float" || text == "32f" || text == "f32") return SampleFormat::Float32;
  throw Error(parameter, "'" + text + "' is not one of 16, 24, float");
}

std::string to_string(SampleFormat format) {
  return format == SampleFormat::Pcm24 ? "24" : format == SampleFormat::Float32 ? "float" : "16";
}

}  // namespace timbrel
