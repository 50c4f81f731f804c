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
#include "train/data_parallel.h"
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

// The generator being trained, as a checkpoint, a starting model or the options describe it.
struct Generator {
  GansynthConfig config;
  std::unique_ptr<TrainableGansynth> net;
  torch::Tensor embeddings;               // from the checkpoint when resuming, else made later
  std::vector<std::string> preset_names;  // the checkpoint's presets when resuming
  nlohmann::json state = nlohmann::json::object();  // the checkpoint's card
  nlohmann::json from_card;                          // the starting model's card (fine-tuning)
};

Generator open_generator(const TimbreTrainOptions& o, const std::string& ckpt, bool resuming,
                         const std::function<void(const std::string&)>& log) {
  Generator g;
  if (!o.from.empty() && resuming) throw Error("from", "give a model to start from or resume a checkpoint, not both");
  if (resuming) {
    auto folder = nn::read_model_folder(ckpt, "gansynth");
    g.state = folder.card;
    g.config = nn::gansynth_config_from_json(g.state.at("hparams"), ckpt + "/model.json");
    g.net = std::make_unique<TrainableGansynth>(g.config, folder.tensors, ckpt);
    g.preset_names = g.state.at("training_presets").get<std::vector<std::string>>();
    g.embeddings = nn::read_safetensors(ckpt + "/embeddings.safetensors").tensors.at("embeddings").clone().set_requires_grad(true);
    log("resuming from " + ckpt + " at step " + std::to_string(g.state.value("steps", 0)));
  } else if (!o.from.empty()) {
    auto folder = nn::read_model_folder(o.from, "gansynth");
    g.config = nn::gansynth_config_from_json(folder.card.at("hparams"), o.from + "/model.json");
    g.net = std::make_unique<TrainableGansynth>(g.config, folder.tensors, o.from);
    g.from_card = folder.card;
    log("fine-tuning " + o.from + " (" + std::to_string(folder.card.value("steps", 0)) + " steps so far)");
  } else {
    g.config.channels = o.channels;
    g.config.latent_size = o.latent_size;
    g.config.pitch_template = o.pitch_template;
    g.config.time_depth_blocks = o.time_depth_blocks;
    if (g.config.channels.size() != 7) throw Error("channels", "needs 7 widths (blocks 1..7)");
    if (o.time_depth_blocks < 0 || o.time_depth_blocks > 6) throw Error("time_depth_blocks", "must be in 0..6");
    g.net = std::make_unique<TrainableGansynth>(g.config, o.seed);
  }
  return g;
}

// Which notes train and which validate, and each note's row of the embedding table.
struct NoteSplit {
  std::vector<size_t> train_ids, validation_ids;
  std::vector<int> preset_of;               // per note; -1 when unused
  std::map<std::string, int> preset_index;  // preset -> embedding row
};

// Presets with training notes get an embedding row (new ones appended, unless resuming); notes
// outside the generator's pitch range are skipped.
NoteSplit split_notes(const NoteSet& set, Generator& g, bool resuming, const std::string& data_dir,
                      const std::function<void(const std::string&)>& log) {
  const GansynthConfig& c = g.config;
  NoteSplit split;
  split.preset_of.assign(set.size(), -1);
  for (size_t i = 0; i < g.preset_names.size(); ++i) split.preset_index[g.preset_names[i]] = int(i);
  size_t out_of_range = 0;
  for (size_t i = 0; i < set.size(); ++i) {
    const NoteRecord& r = set.note(i);
    if (r.pitch < c.min_pitch || r.pitch > c.max_pitch()) {
      ++out_of_range;
      continue;
    }
    if (r.split != "train") continue;
    if (!split.preset_index.count(r.preset)) {
      if (resuming) throw Error(data_dir, "preset '" + r.preset + "' is not in the checkpoint (train on the same note set)");
      split.preset_index[r.preset] = int(g.preset_names.size());
      g.preset_names.push_back(r.preset);
    }
    split.preset_of[i] = split.preset_index[r.preset];
    split.train_ids.push_back(i);
  }
  for (size_t i = 0; i < set.size(); ++i) {
    const NoteRecord& r = set.note(i);
    if (r.split == "validation" && split.preset_index.count(r.preset) && r.pitch >= c.min_pitch && r.pitch <= c.max_pitch()) {
      split.preset_of[i] = split.preset_index[r.preset];
      split.validation_ids.push_back(i);
    }
  }
  train_every_pitch(set, c, split.train_ids, split.validation_ids, log);
  if (split.train_ids.empty())
    throw Error(data_dir, "has no training notes inside MIDI " + std::to_string(c.min_pitch) + ".." + std::to_string(c.max_pitch()));
  if (out_of_range) log(std::to_string(out_of_range) + " notes outside the generator's pitch range are not used");
  return split;
}

// Random embeddings for a fresh run; a starting model's presets keep theirs.
void make_embeddings(Generator& g, uint64_t seed, const std::function<void(const std::string&)>& log) {
  if (g.embeddings.defined()) return;
  torch::manual_seed(seed + 1);
  g.embeddings = torch::randn({int64_t(g.preset_names.size()), g.config.latent_size});
  if (!g.from_card.is_null()) adopt_embeddings(g.from_card, g.preset_names, g.embeddings, log);
  g.embeddings.set_requires_grad(true);
}

// Adam over three groups: the network, the embeddings, and the pitch template (its own rate).
std::unique_ptr<torch::optim::Adam> make_optimizer(const Generator& g, const TimbreTrainOptions& o) {
  std::vector<torch::optim::OptimizerParamGroup> groups;
  groups.emplace_back(g.net->network_parameters(), std::make_unique<torch::optim::AdamOptions>(o.learning_rate));
  groups.emplace_back(std::vector<torch::Tensor>{g.embeddings}, std::make_unique<torch::optim::AdamOptions>(o.learning_rate));
  if (g.net->pitch_template().defined())
    groups.emplace_back(std::vector<torch::Tensor>{g.net->pitch_template()},
                        std::make_unique<torch::optim::AdamOptions>(o.learning_rate * o.template_lr_scale));
  return std::make_unique<torch::optim::Adam>(std::move(groups), torch::optim::AdamOptions(o.learning_rate));
}

std::string recipe_text(const TimbreTrainOptions& o) {
  return "conditional decoder: learned per-preset timbre embeddings, L1 on log-mel magnitude" +
         std::string(o.loud_weight > 0 ? " (weighted towards loud bins, x" + format_fixed(o.loud_weight, 1) + ")" : "") +
         (o.linear_weight > 0 ? " + spectral convergence of linear magnitudes (x" + format_fixed(o.linear_weight, 2) + ")" : std::string()) +
         (o.band_weight > 0 ? " + L1 on log band-energy envelopes (x" + format_fixed(o.band_weight, 2) + ")" : std::string()) +
         (o.flux_weight > 0 ? " + L1 on their frame-to-frame changes (x" + format_fixed(o.flux_weight, 2) + ")" : std::string()) +
         " + magnitude-weighted L1 on mel IF, pitch template (lr x" + format_fixed(o.template_lr_scale, 0) +
         "), Adam, cosine learning-rate decay";
}

// One run of `train timbre`: the note set, the generator, its optimiser and the step count.
class TimbreRun {
 public:
  TimbreRun(const TimbreTrainOptions& o, DataParallel& dp, std::function<void(const std::string&)> log)
      : o_(o), dp_(dp), log_(std::move(log)), set_(NoteSet::open(o.data_dir)), ckpt_(o.out_dir + "/checkpoint") {
    set_.require_sample_rate(kNoteSampleRate, "GANSynth (train timbre)");
    const bool resuming = o.resume && fs::exists(ckpt_ + "/model.json");
    g_ = open_generator(o, ckpt_, resuming, log_);
    split_ = split_notes(set_, g_, resuming, o.data_dir, log_);
    make_embeddings(g_, o.seed, log_);
    log_(std::to_string(split_.train_ids.size()) + " training notes of " + std::to_string(g_.preset_names.size()) + " presets, " +
         std::to_string(split_.validation_ids.size()) + " validation notes; generator " + std::to_string(g_.config.channels[0]) +
         ".." + std::to_string(g_.config.channels[6]) + " channels");
    dp_.broadcast(parameters());  // every rank starts from rank 0's weights
    adam_ = make_optimizer(g_, o);
    if (resuming && fs::exists(ckpt_ + "/optimizer.pt")) torch::load(*adam_, ckpt_ + "/optimizer.pt");
    step_ = g_.state.value("steps", int64_t(0));
    seconds_before_ = g_.state.value("training_seconds", 0.0);
    rng_.seed(o.seed * 7919 + uint64_t(step_));
    if (!o.preset_weights.empty()) weighted_ = weighted_draw(o.preset_weights);
  }

  int64_t step() const { return step_; }
  StepOutcome train_step(int64_t n, double fraction);
  double validation_loss(size_t limit);
  void save(const std::string& dir, bool final_model, const nlohmann::json& metrics);
  TimbreTrainReport finish(const LoopSummary& run);

 private:
  std::vector<torch::Tensor> parameters() const {
    std::vector<torch::Tensor> all = g_.net->network_parameters();
    all.push_back(g_.embeddings);
    if (g_.net->pitch_template().defined()) all.push_back(g_.net->pitch_template());
    return all;
  }
  ReconstructionLoss loss_of(const std::vector<size_t>& ids) {
    Batch b = make_batch(set_, ids, split_.preset_of, g_.config);
    return reconstruction_loss(g_.net->forward(g_.embeddings.index_select(0, b.preset), b.pitch), b.target,
                               LossWeights{o_.if_weight, o_.loud_weight, o_.linear_weight, o_.band_weight, o_.band_floor_db, o_.flux_weight});
  }
  nlohmann::json card(bool final_model, const nlohmann::json& metrics) const;
  std::discrete_distribution<size_t> weighted_draw(const std::map<std::string, double>& weights) const;
  size_t draw() { return o_.preset_weights.empty() ? std::uniform_int_distribution<size_t>(0, split_.train_ids.size() - 1)(rng_) : weighted_(rng_); }

  const TimbreTrainOptions& o_;
  DataParallel& dp_;
  std::function<void(const std::string&)> log_;
  NoteSet set_;
  std::string ckpt_;
  Generator g_;
  NoteSplit split_;
  std::unique_ptr<torch::optim::Adam> adam_;
  int64_t step_ = 0;
  double seconds_before_ = 0;
  Clock::time_point t0_ = Clock::now();
  std::mt19937_64 rng_;
  std::discrete_distribution<size_t> weighted_;
};

// A draw over the training notes where a preset's notes weigh its weight (others 1).
std::discrete_distribution<size_t> TimbreRun::weighted_draw(const std::map<std::string, double>& weights) const {
  for (const auto& [name, w] : weights) {
    if (std::find(g_.preset_names.begin(), g_.preset_names.end(), name) == g_.preset_names.end())
      throw Error("preset_weights", "names preset \"" + name + "\", which has no training notes in " + o_.data_dir);
    if (!(w > 0) || !std::isfinite(w)) throw Error("preset_weights", "the weight of \"" + name + "\" must be positive");
  }
  std::vector<double> per_note;
  for (size_t id : split_.train_ids) {
    const auto it = weights.find(set_.note(id).preset);
    per_note.push_back(it == weights.end() ? 1.0 : it->second);
  }
  return std::discrete_distribution<size_t>(per_note.begin(), per_note.end());
}

StepOutcome TimbreRun::train_step(int64_t n, double fraction) {
  const double lr_scale = o_.min_lr_fraction + (1 - o_.min_lr_fraction) * 0.5 * (1 + std::cos(M_PI * fraction));
  auto& groups = adam_->param_groups();
  for (size_t i = 0; i < groups.size(); ++i)
    static_cast<torch::optim::AdamOptions&>(groups[i].options()).lr(o_.learning_rate * lr_scale * (i == 2 ? o_.template_lr_scale : 1.0));
  // One global batch, drawn alike on every rank; this rank trains on its slice of it.
  std::vector<size_t> ids(size_t(o_.batch));
  for (auto& id : ids) id = split_.train_ids[draw()];
  const auto [first, last] = dp_.slice(ids.size());
  adam_->zero_grad();
  ReconstructionLoss loss = loss_of(std::vector<size_t>(ids.begin() + long(first), ids.begin() + long(last)));
  loss.total.backward();
  dp_.average_gradients(parameters());
  adam_->step();
  step_ = n + 1;
  return StepOutcome{dp_.average(loss.total.item<double>()), "(mag " + format_fixed(loss.magnitude, 4) + ", if " + format_fixed(loss.frequency, 4) +
                                                    (o_.linear_weight > 0 ? ", sc " + format_fixed(loss.linear, 3) : std::string()) +
                                                    (o_.band_weight > 0 ? ", band " + format_fixed(loss.band, 4) : std::string()) +
                                                    (o_.flux_weight > 0 ? ", flux " + format_fixed(loss.flux, 4) : std::string()) +
                                                    ") lr " + format_fixed(o_.learning_rate * lr_scale * 1e4, 2) + "e-4"};
}

// Mean loss over up to `limit` validation notes spread over the set; -1 without any.
double TimbreRun::validation_loss(size_t limit) {
  const std::vector<size_t>& all = split_.validation_ids;
  if (all.empty()) return -1.0;
  torch::NoGradGuard no_grad;
  std::vector<size_t> ids;
  const size_t stride = std::max<size_t>(1, all.size() / limit);
  for (size_t i = 0; i < all.size() && ids.size() < limit; i += stride) ids.push_back(all[i]);
  double sum = 0;
  for (size_t i = 0; i < ids.size(); i += size_t(o_.batch)) {
    std::vector<size_t> chunk(ids.begin() + long(i), ids.begin() + long(std::min(ids.size(), i + size_t(o_.batch))));
    sum += loss_of(chunk).total.item<double>() * double(chunk.size());
  }
  return sum / double(ids.size());
}

nlohmann::json TimbreRun::card(bool final_model, const nlohmann::json& metrics) const {
  const nlohmann::json& state = g_.state;
  nlohmann::json c = {
      {"architecture", "gansynth"},
      {"fine_tuned_from", o_.from.empty() ? state.value("fine_tuned_from", nlohmann::json()) : nlohmann::json(o_.from)},
      {"format_version", 1},
      {"hparams", nn::gansynth_config_json(g_.config)},
      {"weights_layout", "raw kernels [cout, cin, kh, kw]; x sqrt(2 / (kh kw cin)) applied at load"},
      {"steps", step_},
      {"steps_before_fine_tuning",
       o_.from.empty() ? state.value("steps_before_fine_tuning", nlohmann::json(0)) : g_.from_card.value("steps", nlohmann::json(0))},
      {"training_seconds", seconds_before_ + std::chrono::duration<double>(Clock::now() - t0_).count()},
      {"training_hardware", cpu_name() + ", " + std::to_string(torch::get_num_threads()) + " thread(s), libtorch CPU"},
      {"recipe", recipe_text(o_)},
      {"training", {{"batch", o_.batch}, {"learning_rate", o_.learning_rate}, {"if_weight", o_.if_weight},
                    {"loud_weight", o_.loud_weight}, {"linear_weight", o_.linear_weight}, {"band_weight", o_.band_weight}, {"band_floor_db", o_.band_floor_db}, {"flux_weight", o_.flux_weight}, {"preset_weights", o_.preset_weights}, {"seed", o_.seed}, {"threads", o_.threads}}},
      {"data", {{"folder", o_.data_dir}, {"kind", set_.kind()}, {"licence", o_.data_licence},
                {"train_notes", split_.train_ids.size()}, {"validation_notes", split_.validation_ids.size()},
                {"presets", g_.preset_names.size()}}}};
  if (!metrics.is_null()) c["metrics"] = metrics;
  // Checkpoints are complete models too (presets and prior included).
  torch::Tensor e = g_.embeddings.detach().contiguous();
  nlohmann::json timbres = nlohmann::json::object(), families = nlohmann::json::object();
  for (size_t i = 0; i < g_.preset_names.size(); ++i) {
    torch::Tensor row = e[int64_t(i)].contiguous();
    timbres[g_.preset_names[i]] = std::vector<float>(row.data_ptr<float>(), row.data_ptr<float>() + row.numel());
  }
  for (const auto& r : set_.notes())
    if (split_.preset_index.count(r.preset)) families[r.preset] = r.family;
  c["timbres"] = timbres;
  c["timbre_families"] = families;
  c["timbre_programs"] = preset_programs(set_, split_.preset_index);
  c["note_levels"] = note_levels_json(set_, split_.preset_index, g_.config);
  c["timbre_prior"] = "presets";
  if (!final_model) c["training_presets"] = g_.preset_names;
  return c;
}

// A checkpoint (with embeddings and optimiser, to resume) or the final model folder.
void TimbreRun::save(const std::string& dir, bool final_model, const nlohmann::json& metrics) {
  if (!dp_.env().leader()) return;  // rank 0 alone writes
  if (!final_model) {
    fs::create_directories(dir);
    nn::write_safetensors(dir + "/embeddings.safetensors", {{"embeddings", g_.embeddings.detach().contiguous()}});
  }
  nn::write_model_folder(dir, card(final_model, metrics), g_.net->raw(), final_model && o_.float16 ? torch::kHalf : torch::kFloat);
  if (!final_model) torch::save(*adam_, dir + "/optimizer.pt");
}

TimbreTrainReport TimbreRun::finish(const LoopSummary& run) {
  TimbreTrainReport r;
  r.steps = run.steps;
  r.first_loss = run.first_loss;
  r.last_loss = run.last_loss;
  r.validation_loss = validation_loss(256);
  r.train_notes = split_.train_ids.size();
  r.validation_notes = split_.validation_ids.size();
  r.presets = g_.preset_names.size();
  r.seconds = seconds_before_ + std::chrono::duration<double>(Clock::now() - t0_).count();
  save(ckpt_, false, nullptr);
  save(o_.out_dir, true, {{"validation_loss", r.validation_loss}, {"final_train_loss", r.last_loss}});
  return r;
}

}  // namespace

TimbreTrainReport train_timbre(const TimbreTrainOptions& o) {
  auto log = o.log ? o.log : [](const std::string&) {};
  if (o.out_dir.empty()) throw Error("out_dir", "required");
  if (o.batch < 1) throw Error("batch", "must be positive");
  if (o.max_steps <= 0 && o.minutes <= 0) throw Error("max_steps", "give a step count or a time limit (minutes)");
  set_training_threads(o.threads);
  DataParallel dp(distributed_env());
  quiet_unless_leader(dp.env(), log);
  TimbreRun run(o, dp, log);
  const LoopSummary summary = run_with_validation(run, o, log, dp.env().leader());
  return run.finish(summary);
}

}  // namespace timbrel::train
