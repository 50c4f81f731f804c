#include "train/drum_highs_fit.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <map>

#include "render/drum_highs.h"
#include "timbrel/build_config.h"
#include "timbrel/error.h"
#include "timbrel/spectral.h"
#include "util/file_io.h"

#if TIMBREL_FLUIDSYNTH
#include <fluidsynth.h>
#endif

namespace timbrel::train {
namespace fs = std::filesystem;
using namespace drum_highs;

#if TIMBREL_FLUIDSYNTH
namespace {

// One FluidSynth at `rate` with the kit on the drum channel (reverb and chorus off).
struct KitSynth {
  fluid_settings_t* settings = nullptr;
  fluid_synth_t* synth = nullptr;
  KitSynth(const std::string& soundfont, int bank, int program, int rate) {
    for (int level : {FLUID_PANIC, FLUID_ERR, FLUID_WARN, FLUID_INFO, FLUID_DBG}) fluid_set_log_function(level, nullptr, nullptr);
    if (!fs::is_regular_file(soundfont)) throw Error(soundfont, "no such SoundFont file");
    settings = new_fluid_settings();
    fluid_settings_setnum(settings, "synth.sample-rate", double(rate));
    fluid_settings_setint(settings, "synth.reverb.active", 0);
    fluid_settings_setint(settings, "synth.chorus.active", 0);
    fluid_settings_setint(settings, "synth.cpu-cores", 1);
    fluid_settings_setnum(settings, "synth.gain", 0.5);
    synth = new_fluid_synth(settings);
    const int font = synth ? fluid_synth_sfload(synth, soundfont.c_str(), 0) : FLUID_FAILED;
    if (font == FLUID_FAILED) {
      release();
      throw Error(soundfont, "FluidSynth cannot load it as a SoundFont (.sf2/.sf3)");
    }
    fluid_synth_set_channel_type(synth, 9, CHANNEL_TYPE_DRUM);
    if (fluid_synth_program_select(synth, 9, font, bank, program) != FLUID_OK) {
      release();
      throw Error(soundfont, "has no kit at bank " + std::to_string(bank) + ", program " + std::to_string(program));
    }
  }
  ~KitSynth() { release(); }
  void release() {
    if (synth) delete_fluid_synth(synth);
    if (settings) delete_fluid_settings(settings);
    synth = nullptr;
    settings = nullptr;
  }
  KitSynth(const KitSynth&) = delete;
  KitSynth& operator=(const KitSynth&) = delete;
};

}  // namespace

std::vector<std::vector<float>> render_drum_hits(const std::string& soundfont, int bank, int program, const std::vector<int>& notes,
                                                 int rate) {
  KitSynth s(soundfont, bank, program, rate);
  const int length = int(kDrumHitSeconds * rate), held = int(kDrumNoteSeconds * rate);
  std::vector<float> left(static_cast<size_t>(length)), right(static_cast<size_t>(length));
  std::vector<std::vector<float>> out;
  for (int note : notes) {
    fluid_synth_noteon(s.synth, 9, note, 100);
    fluid_synth_write_float(s.synth, held, left.data(), 0, 1, right.data(), 0, 1);
    fluid_synth_noteoff(s.synth, 9, note);
    fluid_synth_write_float(s.synth, length - held, left.data(), held, 1, right.data(), held, 1);
    fluid_synth_all_sounds_off(s.synth, 9);
    fluid_synth_write_float(s.synth, 64, left.data(), 0, 1, right.data(), 0, 1);  // the killed voices go
    std::vector<float> mono(static_cast<size_t>(length));
    for (size_t i = 0; i < mono.size(); ++i) mono[i] = 0.5f * (left[i] + right[i]);
    out.push_back(std::move(mono));
  }
  return out;
}
#else
std::vector<std::vector<float>> render_drum_hits(const std::string& soundfont, int, int, const std::vector<int>&, int) {
  throw Error(soundfont, "SoundFonts need libfluidsynth: this build has none (configure with -DTIMBREL_FLUIDSYNTH=ON)");
}
#endif

bool fit_hit_highs(const std::vector<float>& hit, int rate, float* envelope_db, float* band_ratio_db) {
  constexpr float kSilent = -300;
  std::fill(envelope_db, envelope_db + kBands * kKnots, kSilent);
  std::fill(band_ratio_db, band_ratio_db + kBands, kSilent);
  float peak = 0;
  for (float v : hit) peak = std::max(peak, std::fabs(v));
  if (peak < 1e-4f) return false;  // -80 dBFS: no sample for this key
  const size_t onset = onset_sample(hit.data(), hit.size());
  const BandFrames f = band_frames(hit.data(), hit.size(), rate, onset);
  const double low = f.band_total(0);
  if (!(low > 0)) return false;
  auto db = [&](double ratio) { return float(std::max(double(kSilent), 10 * std::log10(std::max(ratio, 1e-300)))); };
  for (int b = 1; b <= kBands; ++b) band_ratio_db[b - 1] = db(f.band_total(b) / low);
  // Each knot: the mean energy per second of the frames nearest to it (cells between midpoints).
  const auto& knots = knot_seconds();
  const double frame_s = double(f.hop) / rate;
  for (size_t k = 0; k < kKnots; ++k) {
    const double lo = k == 0 ? 0.0 : 0.5 * (knots[k - 1] + knots[k]);
    const double hi = k + 1 == kKnots ? 1e9 : 0.5 * (knots[k] + knots[k + 1]);
    std::vector<double> sum(kBands + 1, 0.0);
    int count = 0;
    for (int t = f.lead; t < f.frames; ++t) {
      const double at = (t - f.lead) * frame_s;
      if (at < lo - 1e-9 || at >= hi - 1e-9) continue;
      for (int b = 1; b <= kBands; ++b) sum[size_t(b)] += f.at(t, b);
      ++count;
    }
    if (!count) continue;
    for (int b = 1; b <= kBands; ++b) envelope_db[size_t(b - 1) * kKnots + k] = db(sum[size_t(b)] / count / frame_s / low);
  }
  return true;
}

namespace {

// The 48 kHz hit's 0-8 kHz energy per second over the 16 kHz hit's (dB): FluidSynth at 16 kHz folds
// a hit's highs into 0-8 kHz, and the drum model learned that folded energy.
float low_gain_db(const std::vector<float>& hit48, const std::vector<float>& hit16) {
  const double low48 = band_frames(hit48.data(), hit48.size(), kDrumHighsRate, onset_sample(hit48.data(), hit48.size())).band_total(0);
  double all16 = 0;
  for (float v : hit16) all16 += double(v) * v;
  if (!(low48 > 0) || !(all16 > 0)) return 0;
  return float(std::clamp(10 * std::log10((low48 / kDrumHighsRate) / (all16 / kNoteSampleRate)), -60.0, 60.0));
}

// The model card's presets and their (bank, program), and its data licence.
std::map<std::string, std::pair<int, int>> card_kits(const std::string& model_dir, std::string& licence) {
  const std::string path = (fs::path(model_dir) / "model.json").string();
  nlohmann::json card;
  try {
    card = nlohmann::json::parse(read_text_file(path));
  } catch (const nlohmann::json::exception& e) {
    throw Error(path, std::string("not JSON: ") + e.what());
  }
  if (!card.contains("timbre_programs") || !card["timbre_programs"].is_object())
    throw Error(path, "has no \"timbre_programs\" (each kit's GM bank and program)");
  std::map<std::string, std::pair<int, int>> kits;
  for (const auto& [name, p] : card["timbre_programs"].items())
    if (p.is_object() && p.value("bank", -1) >= 0) kits[name] = {p.value("bank", 0), p.value("program", 0)};
  if (card.contains("data") && card["data"].is_object()) licence = card["data"].value("licence", "");
  return kits;
}

}  // namespace

DrumHighsFitReport fit_drum_highs(const DrumHighsFitOptions& o) {
  const auto start = std::chrono::steady_clock::now();
  if (o.soundfont.empty()) throw Error("soundfont", "required");
  if (o.out.empty()) throw Error("out", "required");
  std::string licence;
  const auto all = card_kits(o.model_dir, licence);
  std::vector<std::string> names = o.kits;
  if (names.empty())
    for (const auto& kv : all) names.push_back(kv.first);
  for (const auto& n : names)
    if (!all.count(n)) throw Error("kits", "the model has no preset \"" + n + "\"");
  std::vector<int> notes;
  for (int n = kFirstNote; n <= kLastNote; ++n) notes.push_back(n);
  std::vector<float> envelope(names.size() * kNotes * kBands * kKnots), ratio(names.size() * kNotes * kBands), gain(names.size() * kNotes);
  DrumHighsFitReport r;
  for (size_t k = 0; k < names.size(); ++k) {
    const auto [bank, program] = all.at(names[k]);
    const auto hits = render_drum_hits(o.soundfont, bank, program, notes);
    const auto hits16 = render_drum_hits(o.soundfont, bank, program, notes, kNoteSampleRate);
    size_t sounding = 0;
    for (size_t i = 0; i < hits.size(); ++i) {
      const size_t at = k * kNotes + i;
      const bool ok = fit_hit_highs(hits[i], kDrumHighsRate, &envelope[at * kBands * kKnots], &ratio[at * kBands]);
      gain[at] = ok ? low_gain_db(hits[i], hits16[i]) : 0.0f;
      sounding += ok;
      r.silent_notes += !ok;
    }
    r.notes += hits.size();
    if (o.log) o.log("drum-highs: " + names[k] + " (bank " + std::to_string(bank) + ", program " + std::to_string(program) + "): " +
                     std::to_string(sounding) + " of " + std::to_string(hits.size()) + " notes sound");
  }
  r.kits = names.size();
  r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  const nlohmann::json provenance = {{"soundfont", fs::path(o.soundfont).filename().string()},
                                     {"data_licence", licence},
                                     {"sample_rate", kDrumHighsRate},
                                     {"velocity", 100},
                                     {"note_seconds", kDrumNoteSeconds},
                                     {"hit_seconds", kDrumHitSeconds},
                                     {"reverb_chorus", "off"},
                                     {"fit_seconds", std::round(r.seconds * 10) / 10}};
  DrumHighs(names, std::move(envelope), std::move(ratio), std::move(gain)).save(o.out, provenance.dump());
  r.bytes = fs::file_size(o.out);
  return r;
}

}  // namespace timbrel::train

namespace timbrel {

DrumHighsFitReport fit_drum_highs(const DrumHighsFitOptions& options) { return train::fit_drum_highs(options); }

}  // namespace timbrel
