#include "train/timbre_trainer.h"

#include <unistd.h>

#include <chrono>
#include <cmath>
#include <filesystem>
#include <iostream>
#include <map>
#include <random>

#include "nn/gansynth_net.h"
#include "nn/model_folder.h"
#include "timbrel/error.h"
#include "timbrel/spectral.h"
#include "train/note_dataset.h"
#include "train/timbre_generator.h"
#include "train/train_util.h"
#include "train/training_loop.h"

namespace timbrel::train {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

struct Batch {
  torch::Tensor target, pitch, preset;
};

// Notes `ids` of the set -> float targets [n, 128, 1024, 2], pitch indices, preset indices.
Batch make_batch(const NoteSet& set, const std::vector<size_t>& ids, const std::vector<int>& preset_of,
                 const GansynthConfig& c) {
  const int64_t n = int64_t(ids.size());
  torch::Tensor half = torch::empty({n, kSpectrogramFrames, kSpectrogramBins, 2}, torch::kHalf);
  Batch b{torch::Tensor(), torch::empty({n}, torch::kLong), torch::empty({n}, torch::kLong)};
  for (int64_t i = 0; i < n; ++i) {
    std::memcpy(static_cast<uint16_t*>(half.data_ptr()) + size_t(i) * kSpectrogramValues, set.spectrogram(ids[size_t(i)]),
                kSpectrogramValues * 2);
    b.pitch[i] = int64_t(set.note(ids[size_t(i)]).pitch - c.min_pitch);
    b.preset[i] = int64_t(preset_of[ids[size_t(i)]]);
  }
  b.target = half.to(torch::kFloat);
  return b;
}

// The per-pitch template never learns a pitch without training notes, so such a pitch would be
// broken at every timbre: its validation notes are trained instead (older note sets held out whole
// pitches).
void train_every_pitch(const NoteSet& set, const GansynthConfig& c, std::vector<size_t>& train_ids,
                       std::vector<size_t>& validation_ids, const std::function<void(const std::string&)>& log) {
  std::vector<int> trained(size_t(c.pitches), 0);
  for (size_t i : train_ids) ++trained[size_t(set.note(i).pitch - c.min_pitch)];
  std::vector<size_t> keep;
  std::map<int, int> moved;
  for (size_t i : validation_ids) {
    const int pitch = set.note(i).pitch;
    if (trained[size_t(pitch - c.min_pitch)] == 0) {
      train_ids.push_back(i);
      ++moved[pitch];
    } else {
      keep.push_back(i);
    }
  }
  validation_ids = keep;
  if (moved.empty()) return;
  std::string list;
  for (const auto& [pitch, count] : moved) list += (list.empty() ? "" : ", ") + std::to_string(pitch);
  log("pitches " + list + " had no training notes: their validation notes are trained (every pitch must be trained)");
}

// Fine-tuning: presets the starting model knows keep their embedding; new ones start random.
void adopt_embeddings(const nlohmann::json& card, const std::vector<std::string>& names, torch::Tensor& embeddings,
                      const std::function<void(const std::string&)>& log) {
  const nlohmann::json timbres = card.value("timbres", nlohmann::json::object());
  size_t adopted = 0;
  for (size_t i = 0; i < names.size(); ++i) {
    auto it = timbres.find(names[i]);
    if (it == timbres.end() || !it->is_array() || int64_t(it->size()) != embeddings.size(1)) continue;
    const std::vector<float> z = it->get<std::vector<float>>();
    embeddings[int64_t(i)].copy_(torch::from_blob(const_cast<float*>(z.data()), {int64_t(z.size())}, torch::kFloat));
    ++adopted;
  }
  log(std::to_string(adopted) + " of " + std::to_string(names.size()) + " preset embeddings taken from the starting model");
}

// {preset: {"bank", "program"}} for General MIDI program lookups (recordings have program -1).
nlohmann::json preset_programs(const NoteSet& set, const std::map<std::string, int>& presets) {
  nlohmann::json out = nlohmann::json::object();
  for (const auto& r : set.notes())
    if (presets.count(r.preset) && r.program >= 0) out[r.preset] = {{"bank", r.bank}, {"program", r.program}};
  return out;
}

// The training data's level (dBFS peak before normalisation) per preset and pitch, so the renderer
// keeps the instrument's and the kit's real balance: {"velocity", "min_pitch", "db": {preset: [..]}}
// with null where the preset has no note.
nlohmann::json note_levels_json(const NoteSet& set, const std::map<std::string, int>& presets, const GansynthConfig& c) {
  nlohmann::json db = nlohmann::json::object();
  int velocity = 100;
  for (const auto& r : set.notes()) {
    if (!presets.count(r.preset) || r.pitch < c.min_pitch || r.pitch > c.max_pitch() || !(r.peak > 0)) continue;
    if (!db.contains(r.preset)) db[r.preset] = std::vector<nlohmann::json>(size_t(c.pitches), nullptr);
    db[r.preset][size_t(r.pitch - c.min_pitch)] = std::round(200.0 * std::log10(double(r.peak))) / 10.0;
    velocity = r.velocity;
  }
  return {{"velocity", velocity}, {"min_pitch", c.min_pitch}, {"db", db}};
}

}  // namespace

TimbreTrainResult train_timbre(const TimbreTrainOptions& o) {
  auto log = o.log ? o.log : [](const std::string&) {};
  if (o.out_dir.empty()) throw Error("out_dir", "required");
  if (o.batch < 1) throw Error("batch", "must be positive");
  if (o.max_steps <= 0 && o.minutes <= 0) throw Error("max_steps", "give a step count or a time limit (minutes)");
  set_training_threads(o.threads);
  const auto t0 = Clock::now();

  NoteSet set = NoteSet::open(o.data_dir);
  const std::string ckpt = o.out_dir + "/checkpoint";
  const bool resuming = o.resume && fs::exists(ckpt + "/model.json");

  // Architecture: the checkpoint's when resuming.
  GansynthConfig config;
  nlohmann::json state = nlohmann::json::object();
  std::unique_ptr<TrainableGansynth> net;
  torch::Tensor embeddings;
  std::vector<std::string> preset_names;
  nlohmann::json from_card;
  if (!o.from.empty() && resuming) throw Error("from", "give a model to start from or resume a checkpoint, not both");
  if (resuming) {
    auto folder = nn::read_model_folder(ckpt, "gansynth");
    state = folder.card;
    config = nn::gansynth_config_from_json(state.at("hparams"), ckpt + "/model.json");
    net = std::make_unique<TrainableGansynth>(config, folder.tensors, ckpt);
    preset_names = state.at("training_presets").get<std::vector<std::string>>();
    embeddings = nn::read_safetensors(ckpt + "/embeddings.safetensors").tensors.at("embeddings").clone().set_requires_grad(true);
    log("resuming from " + ckpt + " at step " + std::to_string(state.value("steps", 0)));
  } else if (!o.from.empty()) {
    auto folder = nn::read_model_folder(o.from, "gansynth");
    config = nn::gansynth_config_from_json(folder.card.at("hparams"), o.from + "/model.json");
    net = std::make_unique<TrainableGansynth>(config, folder.tensors, o.from);
    from_card = folder.card;
    log("fine-tuning " + o.from + " (" + std::to_string(folder.card.value("steps", 0)) + " steps so far)");
  } else {
    config.channels = o.channels;
    config.latent_size = o.latent_size;
    config.pitch_template = o.pitch_template;
    config.time_depth_blocks = o.time_depth_blocks;
    if (config.channels.size() != 7) throw Error("channels", "needs 7 widths (blocks 1..7)");
    if (o.time_depth_blocks < 0 || o.time_depth_blocks > 6) throw Error("time_depth_blocks", "must be in 0..6");
    net = std::make_unique<TrainableGansynth>(config, o.seed);
  }

  // Presets that have training notes get an embedding; notes outside the pitch range are skipped.
  std::map<std::string, int> preset_index;
  for (size_t i = 0; i < preset_names.size(); ++i) preset_index[preset_names[i]] = int(i);
  std::vector<size_t> train_ids, validation_ids;
  std::vector<int> preset_of(set.size(), -1);
  size_t out_of_range = 0;
  for (size_t i = 0; i < set.size(); ++i) {
    const NoteRecord& r = set.note(i);
    if (r.pitch < config.min_pitch || r.pitch > config.max_pitch()) {
      ++out_of_range;
      continue;
    }
    if (r.split != "train") continue;
    if (!preset_index.count(r.preset)) {
      if (resuming) throw Error(o.data_dir, "preset '" + r.preset + "' is not in the checkpoint (train on the same note set)");
      preset_index[r.preset] = int(preset_names.size());
      preset_names.push_back(r.preset);
    }
    preset_of[i] = preset_index[r.preset];
    train_ids.push_back(i);
  }
  for (size_t i = 0; i < set.size(); ++i) {
    const NoteRecord& r = set.note(i);
    if (r.split == "validation" && preset_index.count(r.preset) && r.pitch >= config.min_pitch && r.pitch <= config.max_pitch()) {
      preset_of[i] = preset_index[r.preset];
      validation_ids.push_back(i);
    }
  }
  train_every_pitch(set, config, train_ids, validation_ids, log);
  if (train_ids.empty()) throw Error(o.data_dir, "has no training notes inside MIDI " + std::to_string(config.min_pitch) + ".." +
                                                     std::to_string(config.max_pitch()));
  if (out_of_range) log(std::to_string(out_of_range) + " notes outside the generator's pitch range are not used");
  if (!embeddings.defined()) {
    torch::manual_seed(o.seed + 1);
    embeddings = torch::randn({int64_t(preset_names.size()), config.latent_size});
    if (!from_card.is_null()) adopt_embeddings(from_card, preset_names, embeddings, log);
    embeddings.set_requires_grad(true);
  }
  log(std::to_string(train_ids.size()) + " training notes of " + std::to_string(preset_names.size()) + " presets, " +
      std::to_string(validation_ids.size()) + " validation notes; generator " + std::to_string(config.channels[0]) + ".." +
      std::to_string(config.channels[6]) + " channels");

  std::vector<torch::optim::OptimizerParamGroup> groups;
  groups.emplace_back(net->network_parameters(), std::make_unique<torch::optim::AdamOptions>(o.learning_rate));
  groups.emplace_back(std::vector<torch::Tensor>{embeddings}, std::make_unique<torch::optim::AdamOptions>(o.learning_rate));
  if (net->pitch_template().defined())
    groups.emplace_back(std::vector<torch::Tensor>{net->pitch_template()},
                        std::make_unique<torch::optim::AdamOptions>(o.learning_rate * o.template_lr_scale));
  torch::optim::Adam adam(std::move(groups), torch::optim::AdamOptions(o.learning_rate));
  if (resuming && fs::exists(ckpt + "/optimizer.pt")) torch::load(adam, ckpt + "/optimizer.pt");
  int64_t step = state.value("steps", int64_t(0));
  const double trained_seconds = state.value("training_seconds", 0.0);

  auto validation_loss = [&](size_t limit) {
    if (validation_ids.empty()) return -1.0;
    torch::NoGradGuard no_grad;
    double sum = 0;
    size_t count = 0;
    const size_t stride = std::max<size_t>(1, validation_ids.size() / limit);
    std::vector<size_t> ids;
    for (size_t i = 0; i < validation_ids.size() && ids.size() < limit; i += stride) ids.push_back(validation_ids[i]);
    for (size_t i = 0; i < ids.size(); i += size_t(o.batch)) {
      std::vector<size_t> chunk(ids.begin() + long(i), ids.begin() + long(std::min(ids.size(), i + size_t(o.batch))));
      Batch b = make_batch(set, chunk, preset_of, config);
      sum += reconstruction_loss(net->forward(embeddings.index_select(0, b.preset), b.pitch), b.target, o.if_weight, o.loud_weight, o.linear_weight).total.item<double>() *
             double(chunk.size());
      count += chunk.size();
    }
    return sum / double(count);
  };
  auto save = [&](const std::string& dir, bool final_model, const nlohmann::json& metrics) {
    nlohmann::json card = {{"architecture", "gansynth"},
                           {"fine_tuned_from", o.from.empty() ? state.value("fine_tuned_from", nlohmann::json()) : nlohmann::json(o.from)},
                           {"format_version", 1},
                           {"hparams", nn::gansynth_config_json(config)},
                           {"weights_layout", "raw kernels [cout, cin, kh, kw]; x sqrt(2 / (kh kw cin)) applied at load"},
                           {"steps", step},
                           {"steps_before_fine_tuning", o.from.empty() ? state.value("steps_before_fine_tuning", nlohmann::json(0))
                                                                       : from_card.value("steps", nlohmann::json(0))},
                           {"training_seconds", trained_seconds + std::chrono::duration<double>(Clock::now() - t0).count()},
                           {"training_hardware", cpu_name() + ", " + std::to_string(torch::get_num_threads()) + " thread(s), libtorch CPU"},
                           {"recipe", "conditional decoder: learned per-preset timbre embeddings, L1 on log-mel magnitude" +
                                          std::string(o.loud_weight > 0 ? " (weighted towards loud bins, x" + format_fixed(o.loud_weight, 1) + ")" : "") +
                                          (o.linear_weight > 0 ? " + spectral convergence of linear magnitudes (x" + format_fixed(o.linear_weight, 2) + ")"
                                                               : std::string()) +
                                          " + magnitude-weighted L1 on mel IF, pitch template (lr x" +
                                          format_fixed(o.template_lr_scale, 0) + "), Adam, cosine learning-rate decay"},
                           {"training", {{"batch", o.batch}, {"learning_rate", o.learning_rate}, {"if_weight", o.if_weight},
                                         {"loud_weight", o.loud_weight}, {"linear_weight", o.linear_weight},
                                         {"seed", o.seed}, {"threads", o.threads}}},
                           {"data", {{"folder", o.data_dir}, {"kind", set.kind()}, {"licence", o.data_licence},
                                     {"train_notes", train_ids.size()}, {"validation_notes", validation_ids.size()},
                                     {"presets", preset_names.size()}}}};
    if (!metrics.is_null()) card["metrics"] = metrics;
    torch::Tensor e = embeddings.detach().contiguous();
    {  // Checkpoints are complete models too (presets and prior included).
      nlohmann::json timbres = nlohmann::json::object(), families = nlohmann::json::object();
      for (size_t i = 0; i < preset_names.size(); ++i) {
        torch::Tensor row = e[int64_t(i)].contiguous();
        timbres[preset_names[i]] = std::vector<float>(row.data_ptr<float>(), row.data_ptr<float>() + row.numel());
      }
      for (const auto& r : set.notes())
        if (preset_index.count(r.preset)) families[r.preset] = r.family;
      card["timbres"] = timbres;
      card["timbre_families"] = families;
      card["timbre_programs"] = preset_programs(set, preset_index);
      card["note_levels"] = note_levels_json(set, preset_index, config);
      card["timbre_prior"] = "presets";
    }
    if (!final_model) {
      card["training_presets"] = preset_names;
      fs::create_directories(dir);
      nn::write_safetensors(dir + "/embeddings.safetensors", {{"embeddings", e}});
    }
    nn::write_model_folder(dir, card, net->raw(), final_model && o.float16 ? torch::kHalf : torch::kFloat);
    if (!final_model) torch::save(adam, dir + "/optimizer.pt");
  };

  std::mt19937_64 rng(o.seed * 7919 + uint64_t(step));
  std::uniform_int_distribution<size_t> pick(0, train_ids.size() - 1);
  auto one_step = [&](int64_t n, double fraction) {
    const double lr_scale = o.min_lr_fraction + (1 - o.min_lr_fraction) * 0.5 * (1 + std::cos(M_PI * fraction));
    auto& g = adam.param_groups();
    for (size_t i = 0; i < g.size(); ++i)
      static_cast<torch::optim::AdamOptions&>(g[i].options()).lr(o.learning_rate * lr_scale * (i == 2 ? o.template_lr_scale : 1.0));
    std::vector<size_t> ids(size_t(o.batch));
    for (auto& id : ids) id = train_ids[pick(rng)];
    Batch b = make_batch(set, ids, preset_of, config);
    adam.zero_grad();
    torch::Tensor pred = net->forward(embeddings.index_select(0, b.preset), b.pitch);
    ReconstructionLoss loss = reconstruction_loss(pred, b.target, o.if_weight, o.loud_weight, o.linear_weight);
    loss.total.backward();
    adam.step();
    step = n + 1;
    return StepOutcome{loss.total.item<double>(), "(mag " + format_fixed(loss.magnitude, 4) + ", if " + format_fixed(loss.frequency, 4) +
                                                      (o.linear_weight > 0 ? ", sc " + format_fixed(loss.linear, 3) : std::string()) +
                                                      ") lr " + format_fixed(o.learning_rate * lr_scale * 1e4, 2) + "e-4"};
  };
  LoopSettings loop;
  loop.max_steps = o.max_steps;
  loop.minutes = o.minutes;
  loop.validate_every = o.validate_every;
  loop.checkpoint_every = o.checkpoint_every;
  loop.log = log;
  loop.progress = o.progress;
  const LoopSummary run = TrainingLoop(loop, step).run(one_step, [&] { return validation_loss(64); }, [&](int64_t n, double val) {
    save(ckpt, false, nullptr);
    return "step " + std::to_string(n) + ": checkpoint written; validation loss (64 notes) " + format_fixed(val, 4);
  });
  TimbreTrainResult r;
  r.steps = run.steps;
  r.first_loss = run.first_loss;
  r.last_loss = run.last_loss;
  r.validation_loss = validation_loss(256);
  r.train_notes = train_ids.size();
  r.validation_notes = validation_ids.size();
  r.presets = preset_names.size();
  r.seconds = trained_seconds + std::chrono::duration<double>(Clock::now() - t0).count();
  save(ckpt, false, nullptr);
  save(o.out_dir, true, {{"validation_loss", r.validation_loss}, {"final_train_loss", r.last_loss}});
  return r;
}

}  // namespace timbrel::train
