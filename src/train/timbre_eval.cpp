#include "train/timbre_eval.h"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <iostream>
#include <map>
#include <set>

#include "nn/gansynth_net.h"
#include "nn/model_folder.h"
#include "timbrel/error.h"
#include "timbrel/gansynth.h"
#include "timbrel/musicvae.h"  // slerp
#include "timbrel/sound_file.h"
#include "timbrel/spectral.h"
#include "train/audio_metrics.h"
#include "train/note_dataset.h"
#include "train/timbre_generator.h"
#include "train/train_util.h"
#include "util/half.h"

namespace timbrel::train {
namespace fs = std::filesystem;
namespace {

std::vector<float> halves(const uint16_t* p, size_t n) {
  std::vector<float> out(n);
  for (size_t i = 0; i < n; ++i) out[i] = half_to_float(p[i]);
  return out;
}


struct Generated {
  std::vector<std::vector<float>> spectrograms, audio;
};

Generated generate(const Gansynth& g, const std::vector<std::vector<float>>& zs, const std::vector<int>& pitches, int threads) {
  Generated out;
  for (size_t first = 0; first < zs.size(); first += 16) {
    const size_t n = std::min<size_t>(16, zs.size() - first);
    std::vector<float> z;
    std::vector<int> p;
    for (size_t i = first; i < first + n; ++i) {
      z.insert(z.end(), zs[i].begin(), zs[i].end());
      p.push_back(pitches[i]);
    }
    std::vector<float> spec = g.generate(z, p), audio(n * kNoteSamples);
    spectrograms_to_audio(spec.data(), n, audio.data(), g.played_inverse(), threads);  // as the renderer
    for (size_t i = 0; i < n; ++i) {
      out.spectrograms.emplace_back(spec.begin() + long(i * kSpectrogramValues), spec.begin() + long((i + 1) * kSpectrogramValues));
      out.audio.emplace_back(audio.begin() + long(i * kNoteSamples), audio.begin() + long((i + 1) * kNoteSamples));
      scale_to_peak(out.audio.back(), 0.9f);  // as the note sets store notes
    }
  }
  return out;
}

// Evenly spread picks of `count` items out of `n`.
std::vector<size_t> spread(size_t n, size_t count) {
  std::vector<size_t> out;
  if (n == 0) return out;
  count = std::min(count, n);
  for (size_t k = 0; k < count; ++k) out.push_back(k * n / count);
  return out;
}

nlohmann::json pitch_score(const std::vector<double>& tracked, const std::vector<int>& targets) {
  size_t folded = 0, exact = 0, voiced = 0;
  std::vector<double> cents;
  for (size_t i = 0; i < tracked.size(); ++i) {
    if (std::isnan(tracked[i])) continue;
    ++voiced;
    const double c = folded_cents(tracked[i], targets[i]);
    cents.push_back(std::abs(c));
    folded += std::abs(c) <= 50;
    exact += std::abs(100 * (tracked[i] - targets[i])) <= 50;
  }
  std::sort(cents.begin(), cents.end());
  const double n = double(std::max<size_t>(1, tracked.size()));
  return {{"notes", tracked.size()},
          {"voiced", voiced},
          {"in_tune_octave_folded", double(folded) / n},
          {"in_tune_exact", double(exact) / n},
          {"median_abs_folded_cents", cents.empty() ? 0.0 : cents[cents.size() / 2]}};
}

struct DistanceSum {
  double log_mel = 0, mr_stft = 0;
  size_t n = 0;
  void add(double lm, double mr) {
    log_mel += lm;
    mr_stft += mr;
    ++n;
  }
  nlohmann::json json() const {
    return {{"notes", n}, {"log_mel_l1", n ? log_mel / double(n) : 0.0}, {"mr_stft", n ? mr_stft / double(n) : 0.0}};
  }
};

// Largest step against the overall direction, as a fraction of the overall change (0 = monotonic).
double worst_reversal(const std::vector<double>& v) {
  const double total = v.back() - v.front();
  const double scale = std::max(std::abs(total), 1e-9);
  double worst = 0;
  for (size_t i = 1; i < v.size(); ++i) worst = std::max(worst, -(v[i] - v[i - 1]) * (total >= 0 ? 1 : -1) / scale);
  return worst;
}

// The model as a trainable graph with every weight frozen, for fitting latents.
std::unique_ptr<TrainableGansynth> frozen_generator(const std::string& model_dir) {
  auto folder = nn::read_model_folder(model_dir, "gansynth");
  GansynthConfig c = nn::gansynth_config_from_json(folder.card.at("hparams"), model_dir + "/model.json");
  auto net = std::make_unique<TrainableGansynth>(c, folder.tensors, model_dir);
  for (auto t : net->network_parameters()) t.set_requires_grad(false);
  if (net->pitch_template().defined()) net->pitch_template().set_requires_grad(false);
  return net;
}

// Fits a timbre latent to real notes of one instrument with the generator frozen (Adam on z,
// the training loss): what makes a held-out instrument playable.
std::vector<float> fit_timbre(const TrainableGansynth& net, const std::vector<std::vector<float>>& spectrograms,
                              const std::vector<int>& pitches, const std::vector<float>& start, int steps) {
  const GansynthConfig& c = net.config();
  const int64_t n = int64_t(spectrograms.size());
  torch::Tensor target = torch::empty({n, kSpectrogramFrames, kSpectrogramBins, 2});
  torch::Tensor index = torch::empty({n}, torch::kLong);
  for (int64_t i = 0; i < n; ++i) {
    std::memcpy(target[i].data_ptr<float>(), spectrograms[size_t(i)].data(), kSpectrogramValues * 4);
    index[i] = int64_t(pitches[size_t(i)] - c.min_pitch);
  }
  torch::Tensor z = torch::tensor(start).view({1, c.latent_size}).clone().set_requires_grad(true);
  torch::optim::Adam adam({z}, torch::optim::AdamOptions(0.05));
  for (int s = 0; s < steps; ++s) {
    adam.zero_grad();
    reconstruction_loss(net.forward(z.expand({n, c.latent_size}), index), target).total.backward();
    adam.step();
  }
  torch::Tensor out = z.detach().contiguous();
  return std::vector<float>(out.data_ptr<float>(), out.data_ptr<float>() + out.numel());
}


using Log = std::function<void(const std::string&)>;
using TrackPitch = std::function<double(const std::string& name, const std::vector<float>& audio)>;

// The truth's side of the pitch test: real presets (every split), spread over the set, at the
// same pitches as the generated notes.
nlohmann::json truth_pitch_score(const NoteSet& set, const std::vector<int>& pitches, int timbres, const TrackPitch& track_pitch) {
  std::vector<std::string> names;
  std::map<std::pair<std::string, int>, size_t> at;
  for (size_t i = 0; i < set.size(); ++i) {
    const auto& r = set.note(i);
    if (!at.count({r.preset, r.pitch})) at[{r.preset, r.pitch}] = i;
    if (names.empty() || names.back() != r.preset) names.push_back(r.preset);
  }
  std::vector<std::string> chosen;
  for (size_t k : spread(names.size(), size_t(timbres))) chosen.push_back(names[k]);
  std::vector<double> truth;
  std::vector<int> truth_pitches;
  for (size_t i = 0; i < pitches.size(); ++i) {
    for (size_t k = 0; k < chosen.size(); ++k) {
      auto it = at.find({chosen[(i + k) % chosen.size()], pitches[i]});
      if (it == at.end()) continue;
      truth.push_back(track_pitch("truth_" + std::to_string(i), halves(set.audio(it->second), kNoteSamples)));
      truth_pitches.push_back(pitches[i]);
      break;
    }
  }
  nlohmann::json score = pitch_score(truth, truth_pitches);
  return {{"score", score}, {"presets", chosen}};
}

// 1. In tune: notes of random timbres over MIDI 36..84 through the tracker (and the truth's).
nlohmann::json pitch_test(const Gansynth& g, const NoteSet* set, const TimbreEvalOptions& o, const TrackPitch& track_pitch,
                          const Log& log) {
  const GansynthConfig& c = g.info().config;
  std::vector<int> pitches;
  std::vector<std::vector<float>> zs;
  for (int i = 0; i < o.notes; ++i) {
    pitches.push_back(std::clamp(36 + (i * 11) % 49, c.min_pitch, c.max_pitch()));
    zs.push_back(g.timbre("seed:" + std::to_string(i % std::max(1, o.timbres))));
  }
  log("pitch test: generating " + std::to_string(o.notes) + " notes of " + std::to_string(o.timbres) + " random timbres");
  Generated random_notes = generate(g, zs, pitches, o.threads);
  std::vector<double> tracked;
  for (size_t i = 0; i < random_notes.audio.size(); ++i) tracked.push_back(track_pitch("random_" + std::to_string(i), random_notes.audio[i]));
  nlohmann::json report = {{"generated", pitch_score(tracked, pitches)}};
  if (set) {
    const nlohmann::json truth = truth_pitch_score(*set, pitches, o.timbres, track_pitch);
    report["truth"] = truth["score"];
    report["truth_presets"] = truth["presets"];
  }
  return report;
}

// Generated vs real notes of validation (preset, pitch) pairs, and the scale of "close": another
// preset of the same GM family at the same pitch.
void validation_distances(const Gansynth& g, const NoteSet& set, const std::vector<size_t>& picked, int threads, DistanceSum& val,
                          DistanceSum& family) {
  std::vector<std::vector<float>> vz;
  std::vector<int> vp;
  for (size_t i : picked) {
    vz.push_back(g.timbre("preset:" + set.note(i).preset));
    vp.push_back(set.note(i).pitch);
  }
  Generated gen = generate(g, vz, vp, threads);
  for (size_t k = 0; k < picked.size(); ++k) {
    const auto truth_spec = halves(set.spectrogram(picked[k]), kSpectrogramValues);
    const auto truth_audio = halves(set.audio(picked[k]), kNoteSamples);
    val.add(log_mel_distance(gen.spectrograms[k].data(), truth_spec.data()), mr_stft_distance(gen.audio[k], truth_audio));
    const auto& r = set.note(picked[k]);
    for (size_t j = 0; j < set.size(); ++j) {
      const auto& q = set.note(j);
      if (q.family == r.family && q.preset != r.preset && q.pitch == r.pitch) {
        family.add(log_mel_distance(halves(set.spectrogram(j), kSpectrogramValues).data(), truth_spec.data()),
                   mr_stft_distance(halves(set.audio(j), kNoteSamples), truth_audio));
        break;
      }
    }
  }
}

// Held-out presets: the embedding fitted to every other note (in pitch order), measured on the
// rest. Returns the names fitted.
std::vector<std::string> held_out_distances(const Gansynth& g, const NoteSet& set, const std::vector<size_t>& test_notes,
                                            const TimbreEvalOptions& o, DistanceSum& test, const Log& log) {
  const GansynthConfig& c = g.info().config;
  std::map<std::string, std::vector<size_t>> by_preset;
  for (size_t i : test_notes) by_preset[set.note(i).preset].push_back(i);
  std::vector<std::string> test_names, fitted_names;
  for (const auto& [name, ids] : by_preset)
    if (ids.size() >= 4) test_names.push_back(name);
  std::vector<float> mean(size_t(c.latent_size), 0.0f);
  for (const auto& name : g.info().timbre_names) {
    auto e = g.timbre("preset:" + name);
    for (size_t i = 0; i < e.size(); ++i) mean[i] += e[i] / float(g.info().timbre_names.size());
  }
  std::unique_ptr<TrainableGansynth> frozen;  // loaded once, only when a preset is fitted
  for (size_t k : spread(test_names.size(), size_t(o.test_presets))) {
    const std::string& name = test_names[k];
    auto ids = by_preset[name];
    std::sort(ids.begin(), ids.end(), [&](size_t a, size_t b) { return set.note(a).pitch < set.note(b).pitch; });
    std::vector<std::vector<float>> fit_specs;
    std::vector<int> fit_pitches;
    std::vector<size_t> held;
    for (size_t j = 1; j < ids.size(); j += 2) held.push_back(ids[j]);
    for (size_t j : spread((ids.size() + 1) / 2, 8)) {
      fit_specs.push_back(halves(set.spectrogram(ids[2 * j]), kSpectrogramValues));
      fit_pitches.push_back(set.note(ids[2 * j]).pitch);
    }
    log("distances: fitting held-out preset '" + name + "' to " + std::to_string(fit_specs.size()) + " notes");
    if (!frozen) frozen = frozen_generator(o.model);
    std::vector<float> z = fit_timbre(*frozen, fit_specs, fit_pitches, mean, o.fit_steps);
    std::vector<size_t> eval;
    for (size_t j : spread(held.size(), 6)) eval.push_back(held[j]);
    std::vector<std::vector<float>> ez(eval.size(), z);
    std::vector<int> ep;
    for (size_t i : eval) ep.push_back(set.note(i).pitch);
    Generated gen = generate(g, ez, ep, o.threads);
    for (size_t j = 0; j < eval.size(); ++j)
      test.add(log_mel_distance(gen.spectrograms[j].data(), halves(set.spectrogram(eval[j]), kSpectrogramValues).data()),
               mr_stft_distance(gen.audio[j], halves(set.audio(eval[j]), kNoteSamples)));
    fitted_names.push_back(name);
  }
  return fitted_names;
}

// 2. Distances on validation pitches of training presets, and on held-out presets.
nlohmann::json distance_test(const Gansynth& g, const NoteSet& set, const TimbreEvalOptions& o, const Log& log) {
  const GansynthConfig& c = g.info().config;
  std::set<std::string> known(g.info().timbre_names.begin(), g.info().timbre_names.end());
  std::vector<size_t> validation, test_notes;
  for (size_t i = 0; i < set.size(); ++i) {
    const auto& r = set.note(i);
    if (r.pitch < c.min_pitch || r.pitch > c.max_pitch()) continue;
    if (r.split == "validation" && known.count(r.preset)) validation.push_back(i);
    if (r.split == "test") test_notes.push_back(i);
  }
  std::vector<size_t> picked;
  for (size_t k : spread(validation.size(), size_t(o.distance_notes))) picked.push_back(validation[k]);
  DistanceSum val, family, test;
  if (!picked.empty()) {
    log("distances: " + std::to_string(picked.size()) + " validation notes");
    validation_distances(g, set, picked, o.threads, val, family);
  }
  const std::vector<std::string> fitted = held_out_distances(g, set, test_notes, o, test, log);
  return {{"validation_pitches", val.json()},
          {"test_presets", test.json()},
          {"test_preset_names", fitted},
          {"same_family_other_preset", family.json()},
          {"about", "generated vs FluidSynth render of the same (preset, pitch); same_family_other_preset: "
                    "two real presets of one GM family at one pitch (the scale of 'close')"}};
}

// 3. Interpolation between presets (or random timbres when the model names none): do centroid and
// loudness move monotonically along each slerp?
nlohmann::json interpolation_test(const Gansynth& g, const TimbreEvalOptions& o) {
  const GansynthConfig& c = g.info().config;
  std::vector<std::string> names = g.info().timbre_names;
  if (names.size() < 2) names = {"seed:1", "seed:2", "seed:3", "seed:4"};
  else
    for (auto& n : names) n = "preset:" + n;
  std::vector<double> centroid_worst, loudness_worst;
  size_t centroid_monotonic = 0, loudness_monotonic = 0;
  nlohmann::json paths = nlohmann::json::array();
  const int pitch = std::clamp(60, c.min_pitch, c.max_pitch());
  for (int k = 0; k < o.paths; ++k) {
    const std::string a = names[size_t(k * 7) % names.size()], b = names[(size_t(k * 7) + names.size() / 2) % names.size()];
    std::vector<std::vector<float>> pz;
    auto za = g.timbre(a), zb = g.timbre(b);
    for (int s = 0; s < o.path_steps; ++s) pz.push_back(slerp(za, zb, double(s) / (o.path_steps - 1)));
    Generated gen = generate(g, pz, std::vector<int>(pz.size(), pitch), o.threads);
    std::vector<double> cent, loud;
    for (const auto& audio : gen.audio) {
      cent.push_back(spectral_centroid_hz(audio));
      loud.push_back(loudness_db(audio));
    }
    centroid_worst.push_back(worst_reversal(cent));
    loudness_worst.push_back(worst_reversal(loud));
    centroid_monotonic += centroid_worst.back() == 0;
    loudness_monotonic += loudness_worst.back() == 0;
    paths.push_back({{"from", a}, {"to", b}, {"centroid_hz", cent}, {"loudness_db", loud}});
  }
  return {{"pitch", pitch},
          {"steps", o.path_steps},
          {"paths", paths.size()},
          {"centroid_monotonic_paths", centroid_monotonic},
          {"loudness_monotonic_paths", loudness_monotonic},
          {"centroid_worst_reversal", *std::max_element(centroid_worst.begin(), centroid_worst.end())},
          {"loudness_worst_reversal", *std::max_element(loudness_worst.begin(), loudness_worst.end())},
          {"about", "worst reversal: largest step against the path's overall direction / overall change"},
          {"detail", paths}};
}

}  // namespace

nlohmann::json evaluate_timbre_model(const TimbreEvalOptions& o) {
  auto log = o.log ? o.log : [](const std::string&) {};
  set_training_threads(o.threads);
  Gansynth g = Gansynth::load(o.model);
  std::string work = o.work_dir;
  if (work.empty()) work = (fs::temp_directory_path() / ("timbrel-eval-" + std::to_string(::getpid()))).string();
  fs::create_directories(work);
  const TrackPitch track_pitch = [&](const std::string& name, const std::vector<float>& audio) {
    return aubio_median_pitch(audio, kNoteSampleRate, work + "/" + name + ".wav");
  };
  std::unique_ptr<NoteSet> set;
  if (!o.data.empty()) set = std::make_unique<NoteSet>(NoteSet::open(o.data));
  if (set) set->require_sample_rate(kNoteSampleRate, "eval timbre");

  nlohmann::json report = {{"model", o.model}, {"data", o.data}, {"pitch_tracker", "aubiopitch -p yinfft on the note at 48 kHz (aubio-tools)"}};
  report["pitch"] = aubiopitch_available() ? pitch_test(g, set.get(), o, track_pitch, log)
                                           : nlohmann::json("skipped: aubiopitch not found (apt install aubio-tools)");
  report["distances"] = set ? distance_test(g, *set, o, log) : nlohmann::json("skipped: no --data");
  report["interpolation"] = interpolation_test(g, o);
  if (o.work_dir.empty()) fs::remove_all(work);
  return report;
}

}  // namespace timbrel::train
