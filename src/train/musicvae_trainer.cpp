#include "train/musicvae_trainer.h"

#include <dlfcn.h>
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <numeric>
#include <random>
#include <sstream>

#include "nn/model_folder.h"
#include "nn/musicvae_model.h"
#include "timbrel/error.h"
#include "train/data_parallel.h"
#include "train/latent_mixture.h"
#include "train/train_util.h"
#include "train/training_loop.h"

namespace timbrel::train {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

// Transposes a melody window by `shift` semitones if every pitch stays in 21..108.
bool transpose_window(Tokens& w, int shift) {
  for (int c : w)
    if (c >= 2 && (c + shift < 2 || c + shift > 89)) return false;
  for (int& c : w)
    if (c >= 2) c += shift;
  return true;
}


// The chord of every step `shift` semitones higher (with its window's transposition).
void transpose_chords(StepChords& chords, int shift) {
  for (Chord& c : chords) c = transpose_chord(c, shift);
}

// A fresh network of the options' sizes (a hierarchical one for bars > 2).
nn::MusicVaeConfig fresh_config(const MusicVaeTrainOptions& o) {
  nn::MusicVaeConfig c = o.kind == ModelKind::Drums ? nn::MusicVaeConfig::drums_small() : nn::MusicVaeConfig::melody_small();
  if (o.z_size > 0) c.z_size = o.z_size;
  if (!o.encoder.empty()) c.encoder = o.encoder;
  if (!o.decoder.empty()) c.decoder = o.decoder;
  if (o.chords) c.control = "triad_chords";
  if (o.bars > 2) {  // hierarchical: a conductor over the bars, the decoder per bar
    c.steps = 16 * o.bars;
    c.bars = o.bars;
    c.conductor = o.conductor.empty() ? std::vector<int>{256} : o.conductor;
    if (!o.flat_encoder) c.bar_encoder = o.bar_encoder.empty() ? std::vector<int>{256} : o.bar_encoder;
  }
  return c;
}

// A hierarchical network whose bar decoder (and per-bar encoder layers) start as a flat model's:
// the flat decoder already plays melodies from a 256-d condition, so the conductor only has to
// learn to emit conditions bar by bar. Sizes default to the flat model's; the decoder's must match.
nn::MusicVaeNet hierarchical_from_flat(const MusicVaeTrainOptions& o, const nn::MusicVaeNet& flat, std::vector<std::string>& copied) {
  MusicVaeTrainOptions sized = o;
  const nn::MusicVaeConfig& f = flat->config();
  if (sized.encoder.empty()) sized.encoder = f.encoder;
  if (sized.decoder.empty()) sized.decoder = f.decoder;
  if (sized.z_size <= 0) sized.z_size = f.z_size;
  if (sized.conductor.empty()) sized.conductor = {f.z_size};
  nn::MusicVaeConfig c = fresh_config(sized);
  if (c.conductor.back() != f.z_size || c.decoder != f.decoder)
    throw Error(o.from, "cannot start a hierarchical model from it: its decoder (sizes and a " + std::to_string(f.z_size) +
                            "-d condition) must match the new bar decoder's and the conductor's last size");
  nn::MusicVaeNet net(c);
  const nn::TensorMap source = flat->tensors();
  torch::NoGradGuard no_grad;
  for (auto& p : net->named_parameters(true)) {
    const bool bar_level = p.key().rfind("decoder.", 0) == 0 || p.key().rfind("encoder.layer_", 0) == 0;
    auto it = source.find(p.key());
    if (!bar_level || it == source.end() || !it->second.sizes().equals(p.value().sizes())) continue;
    p.value().copy_(it->second);
    copied.push_back(p.key());
  }
  return net;
}

// `plain` with the chord inputs added: zero rows in the first encoder layer's and the first decoder
// layer's kernels (TensorFlow layout [input; hidden]), so it starts out playing as before.
nn::MusicVaeNet widened_for_chords(const nn::MusicVaeNet& plain) {
  nn::MusicVaeConfig config = plain->config();
  config.control = "triad_chords";
  nn::MusicVaeNet net(config);
  nn::TensorMap tensors = plain->tensors();
  const int64_t D = config.control_depth();
  for (const std::string name : {"encoder.layer_0.fw.kernel", "encoder.layer_0.bw.kernel", "decoder.cell_0.kernel"}) {
    torch::Tensor& k = tensors.at(name);
    const int64_t input = k.size(0) - k.size(1) / 4;  // rows: input, then the cell's units
    k = torch::cat({k.narrow(0, 0, input), torch::zeros({D, k.size(1)}), k.narrow(0, input, k.size(0) - input)});
  }
  net->load(tensors, "widened model");
  return net;
}

// What a resumed run trains with, and what its checkpoint recorded when that differs.
std::string resumed_settings(const MusicVaeTrainOptions& o, const nlohmann::json& card) {
  std::string text = "batch " + std::to_string(o.batch) + ", learning rate " + format_fixed(o.learning_rate, 6);
  const nlohmann::json was = card.contains("training") && card["training"].is_object() ? card["training"] : nlohmann::json::object();
  const nlohmann::json batch = was.value("batch", nlohmann::json()), lr = was.value("learning_rate", nlohmann::json());
  if (batch.is_number() && lr.is_number() && (batch.get<double>() != o.batch || lr.get<double>() != o.learning_rate))
    text += " (the checkpoint trained with batch " + batch.dump() + ", learning rate " + format_fixed(lr.get<double>(), 6) + ")";
  return text;
}

// The network to train: the checkpoint's when resuming, a starting model's, or a fresh one of the
// options' sizes; `card` becomes the model card to extend.
nn::MusicVaeNet open_network(const MusicVaeTrainOptions& o, const std::string& ckpt, nlohmann::json& card,
                             const std::function<void(const std::string&)>& log) {
  if (o.resume && fs::exists(ckpt + "/model.json")) {
    MusicVae m = MusicVae::load(ckpt);
    card = musicvae_impl(m).card;
    log("resuming from " + ckpt + " at step " + std::to_string(card.value("steps", 0)) + " with " + resumed_settings(o, card));
    return musicvae_impl(m).net;
  }
  if (!o.from.empty()) {
    MusicVae m = MusicVae::load(o.from);
    if (m.info().kind != o.kind) throw Error(o.from, "is a " + to_string(m.info().kind) + " model, not " + to_string(o.kind));
    nn::MusicVaeNet net = musicvae_impl(m).net;
    if (m.info().chords && !o.chords) throw Error(o.from, "is chord-conditioned: train it with chords");
    if (!m.info().chords && o.chords && o.freeze_decoder)
      throw Error("freeze_decoder", "a decoder widened for chords must learn to read them: not with chords from an unconditioned model");
    if (o.bars > 2 && !net->config().hierarchical()) {
      std::vector<std::string> copied;
      net = hierarchical_from_flat(o, net, copied);
      log("hierarchical model started from the flat " + o.from + ": " + std::to_string(copied.size()) +
          " bar-level tensors copied (decoder, per-bar encoder); conductor, bar encoder and latent projections fresh");
      card = nn::musicvae_card(net->config());
      card["initialised_from"] = o.from;
      card["sampling"] = formats::sampling_json(nn::trained_sampling(net->config()));
      return net;
    }
    if (!net->missing_encoder_tensors().empty()) {
      log(o.from + " lacks encoder tensors; they start from a random initialisation");
      net->accept_initialised_encoder();
    }
    if (m.info().chords != o.chords) {
      if (net->config().hierarchical()) throw Error(o.from, "is hierarchical: chords condition 2-bar models only");
      net = widened_for_chords(net);
      log(o.from + " widened with zero weights for the chords: it starts out playing as before");
    }
    card = nn::musicvae_card(net->config());
    card["initialised_from"] = o.from;
    // A fine-tune samples as its source did (a card without advice: Magenta's flat 0.5); one
    // widened for chords as chord models do.
    const formats::SamplingAdvice source{m.info().temperature, m.info().draw};
    card["sampling"] = formats::sampling_json(m.info().chords == o.chords ? source : nn::trained_sampling(net->config()));
    return net;
  }
  const nn::MusicVaeConfig c = fresh_config(o);
  card = nn::musicvae_card(c);
  card["sampling"] = formats::sampling_json(nn::trained_sampling(c));
  return nn::MusicVaeNet(c);
}

// The network's configuration with the options' KL schedule overrides.
nn::MusicVaeConfig training_config(const nn::MusicVaeNet& net, const MusicVaeTrainOptions& o) {
  nn::MusicVaeConfig config = net->config();
  if (o.free_bits >= 0) config.free_bits = o.free_bits;
  if (o.max_beta >= 0) config.max_beta = o.max_beta;
  if (o.beta_rate >= 0) config.beta_rate = o.beta_rate;
  return config;
}

// Every parameter, or only the encoder's when the decoder is frozen.
std::vector<torch::Tensor> trainable_parameters(nn::MusicVaeNet& net, bool freeze_decoder) {
  std::vector<torch::Tensor> params;
  for (auto& p : net->named_parameters(true)) {
    const bool trainable = !freeze_decoder || p.key().rfind("encoder.", 0) == 0;
    p.value().set_requires_grad(trainable);
    if (trainable) params.push_back(p.value());
  }
  return params;
}

// Where the encoder puts real windows: `sample` draws from this instead of N(0, 1).
nlohmann::json latent_prior(nn::MusicVaeNet& net, const nn::MusicVaeConfig& config, const WindowSet& windows,
                            const std::string& subject) {
  torch::NoGradGuard no_grad;
  net->eval();
  std::vector<Tokens> subset;
  std::vector<StepChords> chords;
  const size_t n = windows.windows.size(), stride = std::max<size_t>(1, n / 4096);
  for (size_t i = 0; i < n; i += stride) {
    subset.push_back(windows.windows[i]);
    if (!windows.chords.empty()) chords.push_back(windows.chords[i]);
  }
  std::vector<torch::Tensor> mus, variances;
  for (size_t i = 0; i < subset.size(); i += 256) {
    const size_t end = std::min(subset.size(), i + 256);
    std::vector<Tokens> chunk(subset.begin() + long(i), subset.begin() + long(end));
    const std::vector<StepChords> chunk_chords = slice_chords(chords, i, end);
    const torch::Tensor controls = nn::chords_to_controls(chunk_chords, chunk.size(), config, subject);
    const auto [mu, sigma] = net->encode(nn::tokens_to_tensor(chunk, config, subject), controls);
    mus.push_back(mu);
    variances.push_back(sigma * sigma);
  }
  const torch::Tensor means = torch::cat(mus, 0).to(torch::kDouble).contiguous();
  const torch::Tensor within = torch::cat(variances, 0).mean(0).to(torch::kDouble).contiguous();
  return latent_prior_json(std::vector<double>(means.data_ptr<double>(), means.data_ptr<double>() + means.numel()),
                           std::vector<double>(within.data_ptr<double>(), within.data_ptr<double>() + within.numel()), size_t(means.size(0)));
}

// One run of `train melody|drums`: the corpus, the network, its optimiser and the step count.
class MusicVaeRun {
 public:
  MusicVaeRun(const MusicVaeTrainOptions& o, DataParallel& dp, std::function<void(const std::string&)> log)
      : o_(o), dp_(dp), log_(std::move(log)), ckpt_(o.out_dir + "/checkpoint") {
    net_ = open_network(o, ckpt_, card_, log_);
    config_ = training_config(net_, o);
    if ((config_.control_depth() > 0) != o.chords)
      throw Error("chords", o.chords ? "the checkpoint's model takes no chords" : "the checkpoint's model is chord-conditioned: train it with chords");
    net_->model_name = o.out_dir;
    net_->train();
    load_corpora();
    transpose_ = o.transpose >= 0 ? o.transpose : (o.kind == ModelKind::Melody ? 5 : 0);
    params_ = trainable_parameters(net_, o.freeze_decoder);
    dp_.broadcast(net_->parameters());  // every rank starts from rank 0's weights
    adam_ = std::make_unique<torch::optim::Adam>(params_, torch::optim::AdamOptions(o.learning_rate));
    step_ = first_step_ = card_.value("steps", int64_t(0));
    seconds_before_ = card_.value("training_seconds", 0.0);
    if (o.resume && fs::exists(ckpt_ + "/optimizer.pt")) torch::load(*adam_, ckpt_ + "/optimizer.pt");
    rng_.seed(o.seed + uint64_t(step_));
    order_.resize(corpus_.train.windows.size());
    std::iota(order_.begin(), order_.end(), 0);
    std::shuffle(order_.begin(), order_.end(), rng_);
  }

  int64_t step() const { return step_; }
  StepOutcome train_step(int64_t n);
  std::string checkpoint(int64_t n);
  MusicVaeTrainReport finish(const LoopSummary& run);

 private:
  void load_corpora();
  WindowSet next_batch();
  double accuracy(const WindowSet& windows, size_t limit);
  void save(const std::string& dir, double validation_accuracy, double train_accuracy, bool final_card);

  const MusicVaeTrainOptions& o_;
  DataParallel& dp_;
  std::function<void(const std::string&)> log_;
  std::string ckpt_;
  nlohmann::json card_;
  nn::MusicVaeNet net_{nullptr};
  nn::MusicVaeConfig config_;
  std::vector<Corpus> corpora_;  // per data folder
  Corpus corpus_;                // all of them: training windows drawn from here
  int transpose_ = 0;
  std::vector<torch::Tensor> params_;
  std::unique_ptr<torch::optim::Adam> adam_;
  int64_t step_ = 0, first_step_ = 0;
  double seconds_before_ = 0, average_accuracy_ = 0;
  Clock::time_point t0_ = Clock::now();
  std::mt19937_64 rng_;
  std::vector<size_t> order_;
  size_t cursor_ = 0;
  std::vector<double> by_corpus_;  // validation accuracy per corpus, once finished
};

void MusicVaeRun::load_corpora() {
  for (const auto& dir : o_.data_dirs) {
    Corpus c = load_split(to_string(o_.kind), dir, o_.validation_fraction, WindowRules{config_.steps, o_.chords, o_.gap_bars});
    for (const auto& f : c.failed) log_("skipped " + f);
    if (c.without_chords) log_(dir + ": " + std::to_string(c.without_chords) + " files without chords skipped");
    log_(dir + ": " + std::to_string(c.train.windows.size()) + " training windows from " + std::to_string(c.train.files.size()) +
         " files, " + std::to_string(c.validation.windows.size()) + " validation windows from " + std::to_string(c.validation.files.size()) +
         " files");
    for (WindowSet* part : {&corpus_.train, &corpus_.validation}) {
      const WindowSet& from = part == &corpus_.train ? c.train : c.validation;
      part->windows.insert(part->windows.end(), from.windows.begin(), from.windows.end());
      part->files.insert(part->files.end(), from.files.begin(), from.files.end());
      part->chords.insert(part->chords.end(), from.chords.begin(), from.chords.end());
    }
    corpora_.push_back(std::move(c));
  }
  if (corpus_.train.windows.empty()) throw Error("data_dirs", "no training windows in any data folder");
}

// The next o.batch training windows of a shuffled pass, each transposed at random (melodies).
WindowSet MusicVaeRun::next_batch() {
  WindowSet batch;
  std::uniform_int_distribution<int> shift(-transpose_, transpose_);
  for (int i = 0; i < o_.batch; ++i) {
    if (cursor_ == order_.size()) {
      std::shuffle(order_.begin(), order_.end(), rng_);
      cursor_ = 0;
    }
    const size_t at = order_[cursor_++];
    Tokens w = corpus_.train.windows[at];
    StepChords chords = o_.chords ? corpus_.train.chords[at] : StepChords{};
    const int by = transpose_ > 0 ? shift(rng_) : 0;
    if (by != 0 && transpose_window(w, by)) transpose_chords(chords, by);
    batch.windows.push_back(std::move(w));
    if (o_.chords) batch.chords.push_back(std::move(chords));
  }
  return batch;
}

StepOutcome MusicVaeRun::train_step(int64_t n) {
  // One global batch, drawn alike on every rank; this rank trains on its slice of it.
  const WindowSet all = next_batch();
  const std::vector<Tokens>& batch = all.windows;
  const auto [first, last] = dp_.slice(batch.size());
  auto targets = nn::tokens_to_tensor(std::vector<Tokens>(batch.begin() + long(first), batch.begin() + long(last)), config_,
                                      "training windows");
  const torch::Tensor controls =
      o_.chords ? nn::chords_to_controls(std::vector<StepChords>(all.chords.begin() + long(first), all.chords.begin() + long(last)),
                                         last - first, config_, "training windows")
                : torch::Tensor();
  const double lr = (o_.learning_rate - o_.min_learning_rate) * std::pow(o_.decay_rate, double(n)) + o_.min_learning_rate;
  for (auto& group : adam_->param_groups()) static_cast<torch::optim::AdamOptions&>(group.options()).lr(lr);
  const double sampling = o_.sampling_rate > 0 ? 1.0 - o_.sampling_rate / (o_.sampling_rate + std::exp(double(n) / o_.sampling_rate)) : 0.0;
  adam_->zero_grad();
  auto [mu, sigma] = net_->encode(targets, controls);
  // The noise is drawn for the whole batch (so a slice gets the noise it has in the whole).
  auto z = mu + sigma * torch::randn({int64_t(batch.size()), sigma.size(1)}).narrow(0, int64_t(first), int64_t(last - first));
  auto logits = net_->teacher_forced_logits(z, targets, sampling, controls);
  auto loss = nn::musicvae_loss(config_, logits, targets, mu, sigma, n);
  loss.loss.backward();
  dp_.average_gradients(params_);
  torch::nn::utils::clip_grad_norm_(params_, o_.clip_norm);
  adam_->step();
  step_ = n + 1;
  average_accuracy_ = n == first_step_ ? loss.accuracy : 0.98 * average_accuracy_ + 0.02 * loss.accuracy;
  return StepOutcome{dp_.average(loss.loss.item<double>()), "(kl " + format_fixed(loss.kl, 1) + ", beta " + format_fixed(loss.beta, 4) + ") acc " +
                                                   format_fixed(average_accuracy_, 3) + " lr " + format_fixed(lr * 1e3, 3) + "e-3"};
}

// Token accuracy of argmax reconstructions of the first `limit` windows.
double MusicVaeRun::accuracy(const WindowSet& windows, size_t limit) {
  net_->eval();
  const long n = long(std::min(limit, windows.windows.size()));
  std::vector<Tokens> subset(windows.windows.begin(), windows.windows.begin() + n);
  const std::vector<StepChords> chords = slice_chords(windows.chords, 0, size_t(n));
  MusicVae view = nn::wrap_musicvae(net_, "training");
  const double acc = token_accuracy(view, subset, 256, chords);
  net_->train();
  return acc;
}

void MusicVaeRun::save(const std::string& dir, double validation_accuracy, double train_accuracy, bool final_card) {
  if (!dp_.env().leader()) return;  // rank 0 alone writes
  nlohmann::json c = card_;
  c["steps"] = step_;
  c["training_seconds"] = seconds_before_ + std::chrono::duration<double>(Clock::now() - t0_).count();
  c["training_hardware"] = cpu_name() + ", " + std::to_string(torch::get_num_threads()) + " thread(s), libtorch CPU";
  nlohmann::json corpora = nlohmann::json::array();
  for (size_t i = 0; i < corpora_.size(); ++i) {
    const Corpus& k = corpora_[i];
    corpora.push_back({{"folder", o_.data_dirs[i]}, {"split", k.split_rule}, {"train_files", k.train.files.size()},
                       {"train_windows", k.train.windows.size()}, {"validation_files", k.validation.files.size()},
                       {"validation_windows", k.validation.windows.size()}});
    if (i < by_corpus_.size()) corpora.back()["validation_token_accuracy"] = by_corpus_[i];
  }
  c["data"] = {{"corpora", corpora},
               {"licence", data_licence_of(card_, o_.data_licence)},
               {"train_files", corpus_.train.files.size()},
               {"train_windows", corpus_.train.windows.size()},
               {"validation_files", corpus_.validation.files.size()},
               {"validation_windows", corpus_.validation.windows.size()},
               {"transpose_semitones", transpose_},
               {"gap_bars", o_.gap_bars},
               {"chords", o_.chords ? "each step's chord from the lead sheets (files without chords skipped), transposed with its window" : "none"}};
  c["training"] = {{"batch", o_.batch}, {"learning_rate", o_.learning_rate}, {"decay_rate", o_.decay_rate},
                   {"min_learning_rate", o_.min_learning_rate}, {"clip_norm", o_.clip_norm},
                   {"sampling_rate", o_.sampling_rate}, {"freeze_decoder", o_.freeze_decoder}, {"seed", o_.seed}};
  if (validation_accuracy >= 0)
    c["metrics"] = {{"validation_token_accuracy", validation_accuracy}, {"train_token_accuracy_sample", train_accuracy}};
  if (final_card) c["weights_dtype"] = o_.float16 ? "float16" : "float32";
  c["hparams"] = config_.to_json();
  nn::write_model_folder(dir, c, net_->tensors(), final_card && o_.float16 ? torch::kHalf : torch::kFloat);
}

std::string MusicVaeRun::checkpoint(int64_t n) {
  const double val = corpus_.validation.windows.empty() ? -1 : accuracy(corpus_.validation, 512);
  // A checkpoint is a model to sample and evaluate too: without its fitted prior, N(0, 1) latents
  // fall where a hierarchical model's encoder never puts real windows (bars with no note, wild ranges).
  card_["latent_prior"] = latent_prior(net_, config_, corpus_.train, "training windows");
  net_->train();
  save(ckpt_, -1, -1, false);
  if (dp_.env().leader()) torch::save(*adam_, ckpt_ + "/optimizer.pt");
  return "step " + std::to_string(n) + ": checkpoint written; validation accuracy (first 512 windows) " + format_fixed(val, 4);
}

MusicVaeTrainReport MusicVaeRun::finish(const LoopSummary& run) {
  MusicVaeTrainReport r;
  r.steps = run.steps;
  r.first_loss = run.first_loss;
  r.last_loss = run.last_loss;
  r.train_windows = corpus_.train.windows.size();
  r.validation_windows = corpus_.validation.windows.size();
  r.validation_accuracy = corpus_.validation.windows.empty() ? -1 : accuracy(corpus_.validation, SIZE_MAX);
  for (size_t i = 0; i < corpora_.size(); ++i) {
    const WindowSet& v = corpora_[i].validation;
    by_corpus_.push_back(v.windows.empty() ? -1 : accuracy(v, SIZE_MAX));
    r.corpora.push_back({o_.data_dirs[i], v.files.size(), v.windows.size(), by_corpus_.back()});
  }
  r.train_accuracy = accuracy(corpus_.train, 2048);
  r.seconds = seconds_before_ + std::chrono::duration<double>(Clock::now() - t0_).count();
  card_["latent_prior"] = latent_prior(net_, config_, corpus_.train, "training windows");
  save(o_.out_dir, r.validation_accuracy, r.train_accuracy, true);
  save(ckpt_, -1, -1, false);
  if (dp_.env().leader()) torch::save(*adam_, ckpt_ + "/optimizer.pt");
  return r;
}

}  // namespace

double token_accuracy(const MusicVae& model, const std::vector<Tokens>& windows, size_t batch, const std::vector<StepChords>& chords) {
  if (windows.empty()) return 0;
  size_t equal = 0, total = 0;
  for (size_t start = 0; start < windows.size(); start += batch) {
    const size_t end = std::min(windows.size(), start + batch);
    std::vector<Tokens> chunk(windows.begin() + long(start), windows.begin() + long(end));
    const std::vector<StepChords> chunk_chords = slice_chords(chords, start, end);
    auto decoded = model.decode(model.encode(chunk, 0, chunk_chords), 0.0, 0, chunk_chords);
    for (size_t i = 0; i < chunk.size(); ++i)
      for (size_t s = 0; s < chunk[i].size(); ++s, ++total) equal += decoded[i][s] == chunk[i][s];
  }
  return double(equal) / double(total);
}

MusicVaeTrainReport train_musicvae(const MusicVaeTrainOptions& o) {
  auto log = o.log ? o.log : [](const std::string&) {};
  if (o.out_dir.empty()) throw Error("out_dir", "required");
  if (o.data_dirs.empty()) throw Error("data_dirs", "give at least one folder of MIDI files");
  if (o.batch < 1) throw Error("batch", "must be positive");
  if (o.max_steps <= 0 && o.minutes <= 0) throw Error("max_steps", "give a step count or a time limit (minutes)");
  if (o.bars != 2 && (o.bars < 4 || o.bars > 64)) throw Error("bars", "must be 2 (a flat model) or 4..64 (hierarchical)");
  if (o.freeze_decoder && o.from.empty()) throw Error("freeze_decoder", "needs a model to start from (the decoder to keep)");
  if (o.chords && (o.kind != ModelKind::Melody || o.bars != 2)) throw Error("chords", "condition 2-bar melody models only");
  check_gap_bars(o.gap_bars, o.kind);
  set_training_threads(o.threads);
  torch::manual_seed(o.seed);
  DataParallel dp(distributed_env());
  MusicVaeTrainOptions quiet = o;
  quiet_unless_leader(dp.env(), log, &quiet.progress);
  MusicVaeRun run(quiet, dp, log);
  const LoopSummary summary = run_with_checkpoints(run, quiet, log, 10, 100);
  return run.finish(summary);
}

}  // namespace timbrel::train
