// `timbrel eval song`: a render beside FluidSynth's render of the same sequence.
#include <nlohmann/json.hpp>

#include "spectral/spectrogram_image.h"
#include "timbrel/error.h"
#include "timbrel/evaluate.h"
#include "timbrel/spectral.h"
#include "train/audio_metrics.h"
#include "train/soundfont_notes.h"
#include "util/png.h"

namespace timbrel {
namespace {

nlohmann::json song_measures(const std::vector<float>& a) {
  const double total = train::band_power(a, 0, 8001);
  return {{"seconds", double(a.size()) / kNoteSampleRate},
          {"peak_db", train::peak_db(a)},
          {"subsonic_fraction", total > 0 ? train::band_power(a, 0, 30) / total : 0.0},
          {"centroid_hz", train::spectral_centroid_hz(a, 0, double(a.size()) / kNoteSampleRate)},
          {"loudness_range_db", train::loudness_range_db(a)},
          {"band_3_5k_fraction", total > 0 ? train::band_power(a, 3000, 5000) / total : 0.0},
          {"band_5_7k5_fraction", total > 0 ? train::band_power(a, 5000, 7500) / total : 0.0},
          {"band_3_7k5_fraction", total > 0 ? train::band_power(a, 3000, 7500) / total : 0.0}};
}

// Each spectrogram is scaled to its own loudest bin (80 dB shown).
void write_side_by_side(const std::string& path, const std::vector<float>& ours, const std::vector<float>& truth) {
  const RgbImage img = above({audio_spectrogram(ours.data(), ours.size()), audio_spectrogram(truth.data(), truth.size())}, 8);
  write_png(path, img.width, img.height, img.rgb);
}

}  // namespace

std::string compare_with_soundfont(std::vector<float> ours, const NoteSequence& sequence, const SongComparisonOptions& o) {
  if (sequence.notes.empty()) throw Error(o.subject, "has no notes to render");
  std::vector<float> truth = train::render_sequence_with_soundfont(sequence, o.soundfont);
  const size_t n = std::max(ours.size(), truth.size());
  ours.resize(n, 0.0f);
  truth.resize(n, 0.0f);
  const nlohmann::json a = song_measures(ours), b = song_measures(truth);
  nlohmann::json ratio = nlohmann::json::object();
  for (const char* k : {"centroid_hz", "band_3_5k_fraction", "band_5_7k5_fraction", "band_3_7k5_fraction"})
    ratio[k] = b[k].get<double>() > 0 ? a[k].get<double>() / b[k].get<double>() : 0.0;
  if (!o.png.empty()) write_side_by_side(o.png, ours, truth);
  return nlohmann::json{{"midi", o.subject}, {"soundfont", o.soundfont}, {"notes", o.notes}, {"seconds", double(n) / kNoteSampleRate},
                        {"timbrel", a}, {"fluidsynth", b}, {"ratio_timbrel_to_fluidsynth", ratio}}
      .dump();
}

}  // namespace timbrel
