#include "train/timbre_sweep.h"

#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <iostream>
#include <map>
#include <memory>

#include "audio/resample.h"
#include "render/ddsp_bank.h"
#include "render/drum_highs.h"
#include "render/note_level.h"
#include "spectral/spectrogram_image.h"
#include "timbrel/error.h"
#include "timbrel/gansynth.h"
#include "timbrel/loudness.h"
#include "timbrel/sound_file.h"
#include "timbrel/spectral.h"
#include "train/audio_metrics.h"
#include "train/soundfont_notes.h"
#include "train/sweep_models.h"
#include "util/png.h"

namespace timbrel::train {
namespace fs = std::filesystem;
namespace {

// The renderer's output rate, where the sweep also compares (FluidSynth's notes rendered at it).
constexpr int kStudioRate = 48000;
constexpr size_t kStudioSamples = size_t(kNoteSamples / kNoteSampleRate * kStudioRate);
constexpr double kFloorDb = kReportFloorDb;

// `audio` at rate `to` as the renderer resamples notes, exactly `length` samples (zero-padded or cut).
std::vector<float> resampled(std::vector<float> audio, int from, int to, size_t length) {
  audio = resample_note(std::move(audio), from, to);
  audio.resize(length, 0.0f);
  return audio;
}

double median(std::vector<double> v) {
  v.erase(std::remove_if(v.begin(), v.end(), [](double x) { return !std::isfinite(x); }), v.end());
  if (v.empty()) return NAN;
  std::nth_element(v.begin(), v.begin() + long(v.size() / 2), v.end());
  return v[v.size() / 2];
}

// Mean and worst of a measure over the notes: the largest, the smallest (`low_is_bad`), or the
// farthest from zero (`by_magnitude`, for signed errors).
nlohmann::json summary(const nlohmann::json& notes, const std::string& key, bool low_is_bad, bool by_magnitude = false) {
  double sum = 0, worst = low_is_bad ? INFINITY : -INFINITY;
  int count = 0, worst_pitch = -1;
  for (const auto& n : notes) {
    if (!n.contains(key) || !n[key].is_number()) continue;
    const double v = n[key].get<double>();
    sum += v;
    const bool worse = by_magnitude ? (count == 0 || std::abs(v) > std::abs(worst)) : (low_is_bad ? v < worst : v > worst);
    if (worse) worst = v, worst_pitch = n["pitch"].get<int>();
    ++count;
  }
  if (!count) return nullptr;
  return {{"mean", sum / count}, {"worst", worst}, {"worst_pitch", worst_pitch}};
}

// FluidSynth's notes of one General MIDI preset (and of its nearest sibling in the GM family, the
// scale of "close"), rendered as the note sets are: velocity 100, 3 s held, peak 0.9 (level kept).
struct Truth {
  std::map<int, std::vector<float>> audio, neighbour;  // by pitch, at peak 0.9
  std::map<int, std::vector<float>> audio_48k;         // by pitch, 48 kHz, at its real level
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
    const auto notes_48k = render_preset_notes(preset, pitches, {100}, kStudioRate);
    for (size_t i = 0; i < pitches.size(); ++i)
      if (audio.count(pitches[i])) audio_48k[pitches[i]] = notes_48k[i];
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

// Energy shares (dB of the whole) of 0-8, 8-16, 16-24 kHz and 8-24 kHz of a 48 kHz note.
nlohmann::json band_shares_db(const std::vector<float>& a) {
  const std::vector<double> e = band_energies(a.data(), a.size(), kStudioRate, {0, 8000, 16000, 24000.5});
  const double total = e[0] + e[1] + e[2];
  auto share = [&](double x) { return floored_db(total > 0 ? 10 * std::log10(x / total) : -INFINITY); };
  return {{"0_8k", share(e[0])}, {"8_16k", share(e[1])}, {"16_24k", share(e[2])}, {"8_24k", share(e[1] + e[2])}};
}

double note_lufs(const std::vector<float>& a) {
  Audio audio;
  audio.sample_rate = kStudioRate;
  audio.samples = a;
  return floored_db(measure_loudness(audio).integrated_lufs);
}

// At the renderer's 48 kHz (the note as played, a drum hit with its high band) beside FluidSynth's
// 48 kHz note: band shares, integrated loudness and the LSD over 0-24 kHz.
void measure_48k(nlohmann::json& m, const std::vector<float>& played, const std::vector<float>* truth) {
  m["bands_db"] = band_shares_db(played);
  m["lufs"] = note_lufs(played);
  if (!truth || !m.contains("truth")) return;
  m["truth"]["bands_db"] = band_shares_db(*truth);
  m["truth"]["lufs"] = note_lufs(*truth);
  m["band_8_24k_error_db"] = m["bands_db"]["8_24k"].get<double>() - m["truth"]["bands_db"]["8_24k"].get<double>();
  m["lsd_48k_db"] = log_spectral_distance(played, *truth);
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

// Each note's loudness relative to the keyboard's (kit's) median beside the truth's: how evenly
// the model's notes are levelled against how evenly FluidSynth's are.
void level_balance(nlohmann::json& notes) {
  std::vector<double> ours, real;
  auto usable = [](const nlohmann::json& n) {
    return n.contains("truth") && n.contains("lufs") && n["lufs"].get<double>() > kFloorDb && n["truth"]["lufs"].get<double>() > kFloorDb;
  };
  for (const auto& n : notes)
    if (usable(n)) ours.push_back(n["lufs"].get<double>()), real.push_back(n["truth"]["lufs"].get<double>());
  const double mo = median(ours), mr = median(real);
  for (auto& n : notes)
    if (usable(n)) n["level_balance_error_db"] = (n["lufs"].get<double>() - mo) - (n["truth"]["lufs"].get<double>() - mr);
}

void write_sweep_png(const std::string& path, const std::vector<std::vector<float>>& generated,
                     const std::vector<std::vector<float>>& real) {
  std::vector<RgbImage> top, bottom;
  for (const auto& a : generated) top.push_back(audio_spectrogram(a.data(), a.size()));
  for (const auto& a : real) bottom.push_back(audio_spectrogram(a.data(), a.size()));
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
                 s["lsd_neighbour_db"] = summary(notes, "lsd_neighbour_db", true), s["lsd_48k_db"] = summary(notes, "lsd_48k_db", false),
                 s["band_8_24k_error_db"] = summary(notes, "band_8_24k_error_db", false, true),
                 s["level_balance_error_db"] = summary(notes, "level_balance_error_db", false, true);
  return s;
}

// What every timbre of one sweep shares.
struct SweepRun {
  const SweepModel& model;
  const TimbreSweepOptions& o;
  const SweepLimits& limits;
  InverseOptions inverse;  // how the notes (and the truth's round trip) become audio
  std::optional<DrumHighs> highs = std::nullopt;  // a drum model's high band, as the renderer adds it
  bool drums = false, track = false;
  int lo = 0, hi = 0;
  std::string work = "";
  std::vector<SoundFontPreset> soundfont_presets = {};
  nlohmann::json failed = nlohmann::json::array();
  size_t notes = 0, raw_subsonic = 0;
};

// A note as the renderer plays it at 48 kHz: levelled at its own rate (GANSynth's), resampled, a drum hit given
// its kit's high band (note_renderer.cpp's order).
std::vector<float> played_at_48k(const SweepRun& run, std::vector<float> native, const std::string& spec, const std::string& kit, int pitch) {
  if (run.model.levels_notes) level_note(native, run.model.relative_db(spec, pitch), run.model.sample_rate);
  std::vector<float> out = resampled(std::move(native), run.model.sample_rate, kStudioRate, kStudioSamples);
  if (run.highs && run.highs->has_kit(kit)) run.highs->add_high_band(out, kStudioRate, kit, pitch, uint64_t(pitch));
  return out;
}

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
  const size_t per_note = size_t(kNoteSamples / kNoteSampleRate * m.sample_rate);
  for (size_t i = 0; i < pitches.size(); ++i) {
    const int pitch = pitches[i];
    const std::vector<float> native(audio.begin() + long(i * per_note), audio.begin() + long((i + 1) * per_note));
    const std::vector<float> a = resampled(native, m.sample_rate, kNoteSampleRate, kNoteSamples);
    const std::string wav = run.track ? run.work + "/note_" + std::to_string(pitch) + ".wav" : "";
    notes.push_back(measure(a, pitch, run.drums, m.relative_db(spec, pitch), wav, truth.get(), run.inverse));
    const std::vector<float> played = played_at_48k(run, native, spec, preset, pitch);
    const bool has_truth = truth && truth->audio.count(pitch);
    measure_48k(notes.back(), played, has_truth ? &truth->audio_48k.at(pitch) : nullptr);
    if (!run.o.png_dir.empty()) {
      // Drums: the first third of a second at 48 kHz (the high band); melodic: the first second at 16 kHz.
      const size_t shown = run.drums ? kStudioRate / 3 : kNoteSampleRate;
      generated.emplace_back(run.drums ? played : a);
      generated.back().resize(shown);
      if (has_truth) {
        real.push_back(run.drums ? truth->audio_48k.at(pitch) : truth->audio.at(pitch));
        if (!run.drums)
          for (float& v : real.back()) v *= float(std::pow(10.0, truth->level_db.at(pitch) / 20) / 0.9);
        real.back().resize(shown);
      }
    }
    ++run.notes;
  }
  if (run.drums) kit_balance(notes);
  level_balance(notes);
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
  // Either engine: a DDSP model (trained here, or a Magenta graph) or bank of them, or a GANSynth model.
  std::unique_ptr<Gansynth> gansynth;
  std::unique_ptr<DdspBank> ddsp;
  SweepModel model;
  InverseOptions inverse = o.inverse.value_or(generated_note_inverse());
  if (is_ddsp_model(o.model) || is_ddsp_bank(o.model)) {
    ddsp = std::make_unique<DdspBank>(o.model);
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
  if (run.drums) run.highs = DrumHighs::load_beside(o.model);
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
