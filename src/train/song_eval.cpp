// `timbrel eval song`: a render beside FluidSynth's render of the same sequence, both at the
// render's rate and channels (48 kHz stereo by default).
#include <cmath>
#include <nlohmann/json.hpp>

#include "spectral/spectrogram_image.h"
#include "timbrel/error.h"
#include "timbrel/evaluate.h"
#include "timbrel/loudness.h"
#include "timbrel/sound_file.h"
#include "timbrel/spectral.h"
#include "train/audio_metrics.h"
#include "train/soundfont_notes.h"
#include "util/png.h"

namespace timbrel {
namespace {

using train::floored_db;
constexpr double kFloorDb = train::kReportFloorDb;
double share_db(double share) { return share > 0 ? floored_db(10 * std::log10(share)) : kFloorDb; }

// Energy of each band (Hz edges) summed over channels.
std::vector<double> band_energies(const Audio& a, const std::vector<double>& edges) {
  std::vector<double> e(edges.size() - 1, 0.0);
  std::vector<float> x(a.frames());
  for (int c = 0; c < a.channels; ++c) {
    for (size_t i = 0; i < x.size(); ++i) x[i] = a.samples[i * size_t(a.channels) + size_t(c)];
    const std::vector<double> channel = train::band_energies(x.data(), x.size(), a.sample_rate, edges);
    for (size_t b = 0; b < e.size(); ++b) e[b] += channel[b];
  }
  return e;
}

nlohmann::json stereo_measures(const Audio& a) {
  const std::vector<double> e = band_energies(a, {0, 8000, 16000, 24000.5});
  const double total = e[0] + e[1] + e[2];
  auto share = [&](double x) { return total > 0 ? x / total : 0.0; };
  nlohmann::json rms = nlohmann::json::array();
  for (int c = 0; c < a.channels; ++c) {
    double sum = 0;
    for (size_t i = size_t(c); i < a.samples.size(); i += size_t(a.channels)) sum += double(a.samples[i]) * a.samples[i];
    rms.push_back(sum > 0 ? floored_db(10 * std::log10(sum / double(a.frames()))) : kFloorDb);
  }
  const LoudnessInfo l = measure_loudness(a);
  return {{"band_0_8k_share", share(e[0])},
          {"band_8_16k_share", share(e[1])},
          {"band_16_24k_share", share(e[2])},
          {"band_8_24k_db", share_db(share(e[1] + e[2]))},
          {"channel_rms_dbfs", rms},
          {"integrated_lufs", floored_db(l.integrated_lufs)},
          {"true_peak_dbtp", floored_db(l.true_peak_dbtp)},
          {"loudness_range_lu", l.loudness_range_lu}};
}

// The measures `eval song` made before it went stereo, on the mono mix at the models' 16 kHz.
nlohmann::json mono_16k_measures(const std::vector<float>& a, double sample_peak_db) {
  const double total = train::band_power(a, 0, 8001);
  return {{"seconds", double(a.size()) / kNoteSampleRate},
          {"peak_db", sample_peak_db},
          {"subsonic_fraction", total > 0 ? train::band_power(a, 0, 30) / total : 0.0},
          {"centroid_hz", train::spectral_centroid_hz(a, 0, double(a.size()) / kNoteSampleRate)},
          {"loudness_range_db", train::loudness_range_db(a)},
          {"band_3_5k_fraction", total > 0 ? train::band_power(a, 3000, 5000) / total : 0.0},
          {"band_5_7k5_fraction", total > 0 ? train::band_power(a, 5000, 7500) / total : 0.0},
          {"band_3_7k5_fraction", total > 0 ? train::band_power(a, 3000, 7500) / total : 0.0}};
}

std::vector<float> mono_16k(const Audio& a) { return resample(mix_to_mono(a), kNoteSampleRate).samples; }

nlohmann::json measures(const Audio& a) {
  const std::vector<float> mono = mono_16k(a);
  nlohmann::json m = mono_16k_measures(mono, floored_db(20 * std::log10(double(a.peak()))));
  m.update(stereo_measures(a));
  return m;
}

// Each spectrogram is scaled to its own loudest bin (80 dB shown).
void write_side_by_side(const std::string& path, const Audio& ours, const Audio& truth) {
  const std::vector<float> a = mono_16k(ours), b = mono_16k(truth);
  const RgbImage img = above({audio_spectrogram(a.data(), a.size()), audio_spectrogram(b.data(), b.size())}, 8);
  write_png(path, img.width, img.height, img.rgb);
}

nlohmann::json comparison(const nlohmann::json& a, const nlohmann::json& b) {
  nlohmann::json ratio = nlohmann::json::object(), diff = nlohmann::json::object();
  for (const char* k : {"centroid_hz", "band_3_5k_fraction", "band_5_7k5_fraction", "band_3_7k5_fraction", "band_0_8k_share",
                        "band_8_16k_share", "band_16_24k_share"})
    ratio[k] = b[k].get<double>() > 0 ? a[k].get<double>() / b[k].get<double>() : 0.0;
  for (const char* k : {"band_8_24k_db", "integrated_lufs", "true_peak_dbtp", "peak_db"}) diff[k] = a[k].get<double>() - b[k].get<double>();
  nlohmann::json rms = nlohmann::json::array();
  for (size_t c = 0; c < a["channel_rms_dbfs"].size(); ++c)
    rms.push_back(a["channel_rms_dbfs"][c].get<double>() - b["channel_rms_dbfs"][c].get<double>());
  diff["channel_rms_dbfs"] = rms;
  return {{"ratio_timbrel_to_fluidsynth", ratio}, {"difference_db_timbrel_minus_fluidsynth", diff}};
}

}  // namespace

std::string compare_with_soundfont(std::vector<float> ours, const NoteSequence& sequence, const SongComparisonOptions& o) {
  if (sequence.notes.empty()) throw Error(o.subject, "has no notes to render");
  if (o.channels != 1 && o.channels != 2) throw Error("channels", "must be 1 or 2");
  if (ours.size() % size_t(o.channels) != 0) throw Error("ours", "has a sample count that is not a multiple of the channels");
  train::SoundFontSongOptions f;
  f.sample_rate = o.sample_rate;
  f.channels = o.channels;
  f.effects = o.effects;
  Audio a{o.sample_rate, o.channels, std::move(ours)}, b{o.sample_rate, o.channels, train::render_sequence_with_soundfont(sequence, o.soundfont, f)};
  const size_t n = std::max(a.samples.size(), b.samples.size());
  a.samples.resize(n, 0.0f);
  b.samples.resize(n, 0.0f);
  const nlohmann::json ma = measures(a), mb = measures(b);
  if (!o.png.empty()) write_side_by_side(o.png, a, b);
  nlohmann::json out{{"midi", o.subject},         {"soundfont", o.soundfont}, {"notes", o.notes},
                     {"seconds", a.seconds()},    {"sample_rate", o.sample_rate}, {"channels", o.channels},
                     {"fluidsynth_effects", o.effects}, {"timbrel", ma}, {"fluidsynth", mb}};
  out.update(comparison(ma, mb));
  return out.dump();
}

}  // namespace timbrel
