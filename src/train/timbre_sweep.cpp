#include "train/timbre_sweep.h"

#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <iostream>
#include <map>
#include <memory>

#include "render/note_level.h"
#include "spectral/spectrogram_image.h"
#include "timbrel/error.h"
#include "timbrel/gansynth.h"
#include "timbrel/sound_file.h"
#include "timbrel/spectral.h"
#include "train/audio_metrics.h"
#include "train/soundfont_notes.h"
#include "train/sweep_models.h"
#include "util/png.h"

namespace timbrel::train {
namespace fs = std::filesystem;
namespace {

double median(std::vector<double> v) {
  v.erase(std::remove_if(v.begin(), v.end(), [](double x) { return !std::isfinite(x); }), v.end());
  if (v.empty()) return NAN;
  std::nth_element(v.begin(), v.begin() + long(v.size() / 2), v.end());
  return v[v.size() / 2];
}

// Mean and worst (largest, or smallest when `low_is_bad`) of a measure over the notes.
nlohmann::json summary(const nlohmann::json& notes, const std::string& key, bool low_is_bad) {
  double sum = 0, worst = low_is_bad ? INFINITY : -INFINITY;
  int count = 0, worst_pitch = -1;
  for (const auto& n : notes) {
    if (!n.contains(key) || !n[key].is_number()) continue;
    const double v = n[key].get<double>();
    sum += v;
    ++count;
    if (low_is_bad ? v < worst : v > worst) worst = v, worst_pitch = n["pitch"].get<int>();
  }
  if (!count) return nullptr;
  return {{"mean", sum / count}, {"worst", worst}, {"worst_pitch", worst_pitch}};
}

// FluidSynth's notes of one General MIDI preset (and of its nearest sibling in the GM family, the
// scale of "close"), rendered as the note sets are: velocity 100, 3 s held, peak 0.9 (level kept).
struct Truth {
  std::map<int, std::vector<float>> audio, neighbour;  // by pitch, at peak 0.9
  std::map<int, double> level_db;                      // the note's real peak
  std::string neighbour_name;

  static std::vector<float> normalised(std::vector<float> a, double* level_db) {
    const float peak = scale_to_peak(a, 0.9f);
    if (level_db) *level_db = 20 * std::log10(std::max(double(peak), 1e-10));
    return a;
  }
  void render(const SoundFontPreset& preset, const SoundFontPreset* sibling, const std::vector<int>& pitches) {
    const auto notes = render_preset_notes(preset, pitches, {100});
    for (size_t i = 0; i < pitches.size(); ++i) {
      double db = 0;
      std::vector<float> a = normalised(notes[i], &db);
      if (db < -80) continue;  // no sample for this key
      audio[pitches[i]] = std::move(a);
      level_db[pitches[i]] = db;
    }
    if (!sibling) return;
    neighbour_name = sibling->name;
    const auto other = render_preset_notes(*sibling, pitches, {100});
    for (size_t i = 0; i < pitches.size(); ++i) neighbour[pitches[i]] = normalised(other[i], nullptr);
  }
};

// The SoundFont preset a model preset was trained from, and its nearest sibling of the same GM family.
bool find_presets(const std::vector<SoundFontPreset>& all, const std::map<std::string, std::pair<int, int>>& programs,
                  const std::string& preset, bool drums, SoundFontPreset& found, SoundFontPreset& sibling, bool& has_sibling) {
  auto it = programs.find(preset);
  if (it == programs.end()) return false;
  const int bank = it->second.first, program = it->second.second;
  bool ok = false;
  for (const auto& p : all)
    if (p.bank == bank && p.program == program) found = p, ok = true;
  has_sibling = false;
  int best = 1 << 30;
  for (const auto& p : all) {
    if ((p.bank == 128) != drums || (p.bank == bank && p.program == program)) continue;
    // Melodic: another instrument of the family (variants of one program share its samples).
    if (!drums && (p.program / 8 != program / 8 || p.program == program)) continue;
    const int d = std::abs(p.program - program) * 2 + (p.bank != bank);
    if (d < best) best = d, sibling = p, has_sibling = true;
  }
  return ok;
}

std::vector<float> round_trip(const std::vector<float>& audio, const InverseOptions& inverse) {
  std::vector<float> spec(kSpectrogramValues), out(kNoteSamples);
  audios_to_spectrograms(audio.data(), 1, spec.data(), SpectralScale::Mel, 1);
  spectrograms_to_audio(spec.data(), 1, out.data(), inverse, 1);
  return out;
}

// Measures of one generated note (and of its truth when there is one).
nlohmann::json measure(const std::vector<float>& audio, int pitch, bool drums, double relative_db, const std::string& wav,
                       const Truth* truth, const InverseOptions& inverse) {
  nlohmann::json m = {{"pitch", pitch},
                      {"peak_db", peak_db(audio)},
                      {"subsonic_fraction", subsonic_fraction(audio)},
                      {"centroid_hz", spectral_centroid_hz(audio, drums ? 0.0 : 0.2, drums ? 1.0 : 3.0)}};
  std::vector<float> played = audio;
  level_note(played, relative_db, kNoteSampleRate);
  m["played_db"] = peak_db(played);  // as the renderer plays it (0 dB = its full note level)
  m["level_deficit_db"] = relative_db - m["played_db"].get<double>();  // > 0: quieter than its level
  m["played_subsonic_fraction"] = subsonic_fraction(played);
  if (drums) {
    m["decay_s"] = decay_seconds(audio);
  } else {
    m["hnr_db"] = harmonic_to_noise_db(audio, pitch);
    if (!wav.empty()) {
      const double tracked = aubio_median_pitch(audio, kNoteSampleRate, wav);
      m["tracked_midi"] = std::isnan(tracked) ? nlohmann::json(nullptr) : nlohmann::json(tracked);
      if (!std::isnan(tracked)) m["folded_cents"] = folded_cents(tracked, pitch);
    }
  }
  if (!truth || !truth->audio.count(pitch)) return m;
  const std::vector<float>& real = truth->audio.at(pitch);
  nlohmann::json tm = {{"peak_db", truth->level_db.at(pitch)},
                       {"subsonic_fraction", subsonic_fraction(real)},
                       {"centroid_hz", spectral_centroid_hz(real, drums ? 0.0 : 0.2, drums ? 1.0 : 3.0)}};
  if (drums) {
    tm["decay_s"] = decay_seconds(real);
  } else {
    tm["hnr_db"] = harmonic_to_noise_db(real, pitch);
    if (!wav.empty()) {
      const double tracked = aubio_median_pitch(real, kNoteSampleRate, wav);
      if (!std::isnan(tracked)) tm["folded_cents"] = folded_cents(tracked, pitch);
    }
  }
  m["truth"] = tm;
  m["lsd_db"] = log_spectral_distance(audio, real);
  const std::vector<float> trip = round_trip(real, inverse);
  m["lsd_floor_db"] = log_spectral_distance(trip, real);
  m["truth"]["round_trip_peak_db"] = peak_db(trip);
  if (truth->neighbour.count(pitch)) m["lsd_neighbour_db"] = log_spectral_distance(truth->neighbour.at(pitch), real);
  return m;
}

// Why a note fails, or "" when it passes.
std::vector<std::string> failures(const nlohmann::json& m, bool drums, const SweepLimits& l) {
  std::vector<std::string> why;
  const bool has_truth = m.contains("truth");
  if (m["peak_db"].get<double>() < l.silent_peak_db) why.push_back("silent");
  // FluidSynth's own note may carry some energy below 30 Hz (a deep kick): allow 1.5x its share.
  const double subsonic_limit = std::max(l.subsonic_fraction, has_truth ? 1.5 * m["truth"]["subsonic_fraction"].get<double>() : 0.0);
  // As heard: after the renderer's 30 Hz high-pass (the raw share is reported beside it).
  if (m["played_subsonic_fraction"].get<double>() > subsonic_limit) why.push_back("sub-sonic");
  if (!drums) {
    if (m["hnr_db"].get<double>() < l.min_hnr_db) why.push_back("unpitched");
    // Where the tracker misses FluidSynth's own note too, it cannot judge the generated one.
    const bool tracker_trusted = !has_truth || (m["truth"].contains("folded_cents") && std::abs(m["truth"]["folded_cents"].get<double>()) <= l.max_folded_cents);
    if (tracker_trusted && m.contains("folded_cents") && std::abs(m["folded_cents"].get<double>()) > l.max_folded_cents) why.push_back("out of tune");
  }
  return why;
}

// Drums: each hit's played level relative to the kit's median beside the truth's.
void kit_balance(nlohmann::json& notes) {
  std::vector<double> played, real;
  for (const auto& n : notes) {
    played.push_back(n["played_db"].get<double>());
    if (n.contains("truth")) real.push_back(n["truth"]["peak_db"].get<double>());
  }
  const double mp = median(played), mr = median(real);
  for (auto& n : notes)
    if (n.contains("truth")) {
      n["kit_balance_error_db"] = (n["played_db"].get<double>() - mp) - (n["truth"]["peak_db"].get<double>() - mr);
      n["centroid_ratio"] = n["centroid_hz"].get<double>() / std::max(n["truth"]["centroid_hz"].get<double>(), 1.0);
    }
}

void write_sweep_png(const std::string& path, const std::vector<std::vector<float>>& generated,
                     const std::vector<std::vector<float>>& real) {
  const size_t second = kNoteSampleRate;  // the first second of each note
  std::vector<RgbImage> top, bottom;
  for (const auto& a : generated) top.push_back(audio_spectrogram(a.data(), std::min(a.size(), second)));
  for (const auto& a : real) bottom.push_back(audio_spectrogram(a.data(), std::min(a.size(), second)));
  std::vector<RgbImage> rows{beside(top, 1)};
  if (!real.empty()) rows.push_back(beside(bottom, 1));
  const RgbImage img = above(rows, 8);
  write_png(path, img.width, img.height, img.rgb);
}


nlohmann::json timbre_summary(const nlohmann::json& notes, bool drums, bool has_truth) {
  nlohmann::json s = {{"peak_db", summary(notes, "peak_db", true)}, {"subsonic_fraction", summary(notes, "subsonic_fraction", false)}};
  if (drums) s["kit_balance_error_db"] = summary(notes, "kit_balance_error_db", false), s["centroid_ratio"] = summary(notes, "centroid_ratio", false);
  else s["hnr_db"] = summary(notes, "hnr_db", true);
  if (has_truth) s["lsd_db"] = summary(notes, "lsd_db", false), s["lsd_floor_db"] = summary(notes, "lsd_floor_db", false),
                 s["lsd_neighbour_db"] = summary(notes, "lsd_neighbour_db", true);
  return s;
}

// What every timbre of one sweep shares.
struct SweepRun {
  const SweepModel& model;
  const TimbreSweepOptions& o;
  const SweepLimits& limits;
  InverseOptions inverse;  // how the notes (and the truth's round trip) become audio
  bool drums = false, track = false;
  int lo = 0, hi = 0;
  std::string work = "";
  std::vector<SoundFontPreset> soundfont_presets = {};
  nlohmann::json failed = nlohmann::json::array();
  size_t notes = 0, raw_subsonic = 0;
};

// One timbre over every pitch: generated, measured beside its truth, checked; the PNG written.
nlohmann::json sweep_timbre(SweepRun& run, const std::string& spec) {
  const SweepModel& m = run.model;
  const std::string preset = m.preset_of(spec);
  std::vector<int> pitches;
  for (int p = run.lo; p <= run.hi; ++p) pitches.push_back(p);
  const std::vector<float> audio = m.notes(spec, pitches, run.o.threads);
  std::unique_ptr<Truth> truth;
  SoundFontPreset found, sibling;
  bool has_sibling = false;
  if (!run.soundfont_presets.empty() && !preset.empty() && find_presets(run.soundfont_presets, m.programs, preset, run.drums, found, sibling, has_sibling)) {
    truth = std::make_unique<Truth>();
    truth->render(found, has_sibling ? &sibling : nullptr, pitches);
  }
  nlohmann::json notes = nlohmann::json::array();
  std::vector<std::vector<float>> generated, real;
  for (size_t i = 0; i < pitches.size(); ++i) {
    std::vector<float> a(audio.begin() + long(i * kNoteSamples), audio.begin() + long((i + 1) * kNoteSamples));
    const std::string wav = run.track ? run.work + "/note_" + std::to_string(pitches[i]) + ".wav" : "";
    notes.push_back(measure(a, pitches[i], run.drums, m.relative_db(spec, pitches[i]), wav, truth.get(), run.inverse));
    if (!run.o.png_dir.empty()) {
      generated.push_back(a);
      if (truth && truth->audio.count(pitches[i])) {
        real.push_back(truth->audio.at(pitches[i]));
        for (float& v : real.back()) v *= float(std::pow(10.0, truth->level_db.at(pitches[i]) / 20) / 0.9);
      }
    }
    ++run.notes;
  }
  if (run.drums) kit_balance(notes);
  for (const auto& n : notes) {
    const auto why = failures(n, run.drums, run.limits);
    if (!why.empty()) run.failed.push_back({{"timbre", spec}, {"pitch", n["pitch"]}, {"why", why}});
    if (n["subsonic_fraction"].get<double>() > run.limits.subsonic_fraction) ++run.raw_subsonic;
  }
  nlohmann::json t = {{"timbre", spec}, {"preset", preset}, {"notes", notes}, {"summary", timbre_summary(notes, run.drums, bool(truth))}};
  if (truth) t["truth"] = {{"soundfont", run.o.soundfont}, {"preset", found.name}, {"bank", found.bank}, {"program", found.program},
                           {"neighbour", truth->neighbour_name}};
  if (!run.o.png_dir.empty()) {
    std::string name = spec;
    std::replace_if(name.begin(), name.end(), [](char ch) { return !std::isalnum(static_cast<unsigned char>(ch)); }, '_');
    write_sweep_png(run.o.png_dir + "/sweep_" + name + ".png", generated, real);
  }
  return t;
}

}  // namespace

nlohmann::json sweep_timbre_model(const TimbreSweepOptions& o, const SweepLimits& limits) {
  auto log = o.log ? o.log : [](const std::string&) {};
  // Either engine: a DDSP model (trained here, or a Magenta graph) or a GANSynth model.
  std::unique_ptr<Gansynth> gansynth;
  std::unique_ptr<Ddsp> ddsp;
  SweepModel model;
  InverseOptions inverse = o.inverse.value_or(generated_note_inverse());
  if (is_ddsp_model(o.model)) {
    ddsp = std::make_unique<Ddsp>(Ddsp::load(o.model));
    model = ddsp_sweep_model(*ddsp, o.model);
  } else {
    gansynth = std::make_unique<Gansynth>(Gansynth::load(o.model));
    inverse = o.inverse.value_or(gansynth->played_inverse());
    model = gansynth_sweep_model(*gansynth, inverse);
  }
  SweepRun run{model, o, limits, inverse};
  run.drums = model.drums;
  run.track = !run.drums && aubiopitch_available();
  run.lo = model.lo;
  run.hi = model.hi;
  if (!o.soundfont.empty()) run.soundfont_presets = list_soundfont_presets(o.soundfont);
  run.work = o.work_dir.empty() ? (fs::temp_directory_path() / ("timbrel-sweep-" + std::to_string(::getpid()))).string() : o.work_dir;
  fs::create_directories(run.work);
  if (!o.png_dir.empty()) fs::create_directories(o.png_dir);

  nlohmann::json per_timbre = nlohmann::json::array();
  for (const std::string& spec : o.timbres.empty() ? model.default_timbres : o.timbres) {
    log("sweep: " + spec + ", MIDI " + std::to_string(run.lo) + ".." + std::to_string(run.hi));
    per_timbre.push_back(sweep_timbre(run, spec));
  }
  nlohmann::json report = {
      {"model", o.model},
      {"engine", ddsp ? "ddsp" : "gansynth"},
      {"kind", run.drums ? "drums" : "melodic"},
      {"pitches", {run.lo, run.hi}},
      {"limits", {{"silent_peak_db", limits.silent_peak_db}, {"subsonic_fraction", limits.subsonic_fraction},
                  {"min_hnr_db", run.drums ? nlohmann::json(nullptr) : nlohmann::json(limits.min_hnr_db)},
                  {"max_folded_cents", run.track ? nlohmann::json(limits.max_folded_cents) : nlohmann::json(nullptr)}}},
      {"phase", to_string(inverse.phase)},
      {"pitch_tracker", run.track ? "aubiopitch -p yinfft on the note at 48 kHz (aubio-tools)" : "none"},
      {"timbres", per_timbre},
      {"notes", run.notes},
      {"failed", run.failed},
      {"passed", run.failed.empty()},
      {"raw_subsonic_notes", run.raw_subsonic}};  // the generator's own output, before the renderer's high-pass
  if (o.work_dir.empty()) fs::remove_all(run.work);
  return report;
}

}  // namespace timbrel::train
