// GrooVAE training (train.h: GrooveTrainOptions).
#include <chrono>
#include <cmath>
#include <filesystem>
#include <numeric>
#include <random>

#include "nn/groove_model.h"
#include "nn/model_folder.h"
#include "timbrel/error.h"
#include "timbrel/train.h"
#include "train/groove_trainer.h"
#include "train/data_parallel.h"
#include "train/groove_data.h"
#include "train/train_util.h"
#include "train/training_loop.h"

namespace timbrel::train {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;
constexpr int kWindow = 32, kHop = 16;

// Magenta's note dropout before tapping: a share p ~ U(0, max) per window, quieter notes likelier.
GrooveSteps drop_notes(GrooveSteps g, double max_dropout, std::mt19937_64& rng) {
  const double p = std::uniform_real_distribution<double>(0.0, max_dropout)(rng);
  std::uniform_real_distribution<double> u(0.0, 1.0);
  for (size_t i = 0; i < g.hit.size(); ++i)
    if (g.hit[i] > 0.5f && u(rng) < p * std::max(0.2, 1.0 - double(g.velocity[i]))) g.hit[i] = g.velocity[i] = g.offset[i] = 0.f;
  return g;
}

// (inputs, targets) tensors [B, 32, 27] of windows, inputs in the task's view.
std::pair<torch::Tensor, torch::Tensor> batch_tensors(const std::vector<const GrooveSteps*>& windows, const std::string& task,
                                                      double max_dropout, std::mt19937_64* rng) {
  std::vector<torch::Tensor> in, out;
  for (const GrooveSteps* w : windows) {
    out.push_back(nn::groove_to_tensor(*w, kWindow));
    const GrooveSteps view = task == "drumify" && rng ? tap_groove(drop_notes(*w, max_dropout, *rng)) : nn::model_view(*w, task);
    in.push_back(nn::groove_to_tensor(view, kWindow));
  }
  return {torch::cat(in), torch::cat(out)};
}

nn::GrooveVaeNet open_network(const GrooveTrainOptions& o, const std::string& ckpt, nlohmann::json& card, std::function<void(const std::string&)>& log) {
  std::string from = o.from;
  if (o.resume && fs::exists(ckpt + "/model.json")) from = ckpt;
  if (!from.empty()) {
    GrooveModel m = GrooveModel::load(from);
    if (m.info().task != o.task) throw Error(from, "is a " + m.info().task + " model, not " + o.task);
    card = groove_impl(m).card;
    if (from == ckpt) log("resuming from " + ckpt + " at step " + std::to_string(card.value("steps", 0)));
    else {  // a new model: the source's measured figures and recipe are not its own
      for (const char* key : {"metrics", "recipe", "licence"}) card.erase(key);
      card["initialised_from"] = from, card["steps"] = 0, card["training_seconds"] = 0.0;
    }
    return groove_impl(m).net;
  }
  nn::GrooveVaeConfig c;
  c.task = o.task, c.z_size = o.z_size, c.encoder_units = o.encoder_units, c.decoder_units = o.decoder_units, c.decoder_layers = o.decoder_layers;
  card = nlohmann::json::object();
  return nn::GrooveVaeNet(c);
}

class GrooveRun {
 public:
  GrooveRun(const GrooveTrainOptions& o, DataParallel& dp, std::function<void(const std::string&)> log)
      : o_(o), dp_(dp), log_(std::move(log)), ckpt_(o.out_dir + "/checkpoint") {
    net_ = open_network(o, ckpt_, card_, log_);
    net_->train();
    dp_.broadcast(net_->parameters());  // every rank starts from rank 0's weights
    for (const std::string& dir : o.data_dirs) load(dir);
    if (train_.empty()) throw Error("data_dirs", "no training windows in any data folder");
    adam_ = std::make_unique<torch::optim::Adam>(net_->parameters(), torch::optim::AdamOptions(o.learning_rate));
    step_ = first_step_ = card_.value("steps", int64_t(0));
    seconds_before_ = card_.value("training_seconds", 0.0);
    if (o.resume && fs::exists(ckpt_ + "/optimizer.pt")) torch::load(*adam_, ckpt_ + "/optimizer.pt");
    rng_.seed(o.seed + uint64_t(step_));
    order_.resize(train_.size());
    std::iota(order_.begin(), order_.end(), size_t(0));
    std::shuffle(order_.begin(), order_.end(), rng_);
  }
  int64_t step() const { return step_; }
  StepOutcome train_step(int64_t n);
  std::string checkpoint(int64_t n);
  GrooveTrainReport finish(const LoopSummary& run);

 private:
  void load(const std::string& dir);
  double validation_loss(size_t limit);
  void save(const std::string& dir, double validation);

  const GrooveTrainOptions& o_;
  DataParallel& dp_;
  std::function<void(const std::string&)> log_;
  std::string ckpt_;
  nlohmann::json card_, corpora_ = nlohmann::json::array();
  nn::GrooveVaeNet net_{nullptr};
  std::vector<GrooveSteps> train_, validation_;
  std::unique_ptr<torch::optim::Adam> adam_;
  int64_t step_ = 0, first_step_ = 0;
  double seconds_before_ = 0;
  Clock::time_point t0_ = Clock::now();
  std::mt19937_64 rng_;
  std::vector<size_t> order_;
  size_t cursor_ = 0;
};

void GrooveRun::load(const std::string& dir) {
  const GrooveCorpus c = load_groove_corpus(dir, o_.validation_fraction);
  for (const std::string& f : c.failed) log_("skipped " + f);
  const std::vector<GrooveSteps> t = groove_windows(c.train, kWindow, kHop), v = groove_windows(c.validation, kWindow, kHop);
  log_(dir + ": " + std::to_string(t.size()) + " training windows from " + std::to_string(c.train.size()) + " performances, " +
       std::to_string(v.size()) + " validation windows from " + std::to_string(c.validation.size()) + " (" + c.split_rule + ")");
  corpora_.push_back({{"folder", fs::path(dir).lexically_normal().string()}, {"split", c.split_rule}, {"train_performances", c.train.size()},
                      {"train_windows", t.size()}, {"validation_performances", c.validation.size()}, {"validation_windows", v.size()},
                      {"test_performances", c.test.size()}});
  train_.insert(train_.end(), t.begin(), t.end());
  validation_.insert(validation_.end(), v.begin(), v.end());
}

StepOutcome GrooveRun::train_step(int64_t n) {
  std::vector<const GrooveSteps*> batch;
  for (int i = 0; i < o_.batch; ++i) {
    if (cursor_ == order_.size()) std::shuffle(order_.begin(), order_.end(), rng_), cursor_ = 0;
    batch.push_back(&train_[order_[cursor_++]]);
  }
  // One global batch, drawn alike on every rank (its dropout and noise too); this rank trains on its slice.
  const auto [all_inputs, all_targets] = batch_tensors(batch, o_.task, o_.max_tap_dropout, &rng_);
  const auto [first, last] = dp_.slice(size_t(o_.batch));
  const int64_t from = int64_t(first), count = int64_t(last - first);
  const torch::Tensor inputs = all_inputs.narrow(0, from, count), targets = all_targets.narrow(0, from, count);
  // Fine-tuning (--from) starts at a fifth of the rate: a few performances adjust the model.
  const double start = o_.from.empty() ? o_.learning_rate : o_.learning_rate / 5;
  const double lr = (start - o_.min_learning_rate) * std::pow(o_.decay_rate, double(n)) + o_.min_learning_rate;
  for (auto& group : adam_->param_groups()) static_cast<torch::optim::AdamOptions&>(group.options()).lr(lr);
  adam_->zero_grad();
  const auto [mu, sigma] = net_->encode(inputs);
  const torch::Tensor z = mu + sigma * torch::randn({int64_t(o_.batch), sigma.size(1)}).narrow(0, from, count);
  const nn::GrooveLoss loss = nn::groove_loss(net_->teacher_forced(z, targets, targets.narrow(2, 0, nn::kGrooveClasses)), targets, mu, sigma,
                                              o_.max_beta, o_.free_bits);
  loss.loss.backward();
  dp_.average_gradients(net_->parameters());
  torch::nn::utils::clip_grad_norm_(net_->parameters(), o_.clip_norm);
  adam_->step();
  step_ = n + 1;
  return StepOutcome{dp_.average(loss.loss.item<double>()), "(hits " + format_fixed(loss.hits, 2) + ", vel " + format_fixed(loss.velocity, 3) + ", offset " +
                                                   format_fixed(loss.offset, 3) + ", kl " + format_fixed(loss.kl, 1) + ")"};
}

// The reconstruction part of the loss per window from the encoder's means, over the first `limit` windows.
double GrooveRun::validation_loss(size_t limit) {
  if (validation_.empty()) return -1;
  torch::NoGradGuard no_grad;
  net_->eval();
  double sum = 0;
  const size_t n = std::min(limit, validation_.size());
  for (size_t start = 0; start < n; start += 256) {
    std::vector<const GrooveSteps*> chunk;
    for (size_t i = start; i < std::min(n, start + 256); ++i) chunk.push_back(&validation_[i]);
    const auto [inputs, targets] = batch_tensors(chunk, o_.task, 0, nullptr);
    const auto [mu, sigma] = net_->encode(inputs);
    const nn::GrooveLoss l = nn::groove_loss(net_->teacher_forced(mu, targets, targets.narrow(2, 0, nn::kGrooveClasses)), targets, mu, sigma, 0, 0);
    sum += (l.hits + l.velocity + l.offset) * double(chunk.size());
  }
  net_->train();
  return sum / double(n);
}

void GrooveRun::save(const std::string& dir, double validation) {
  if (!dp_.env().leader()) return;  // rank 0 alone writes
  nlohmann::json c = card_;
  c["steps"] = step_;
  c["training_seconds"] = seconds_before_ + std::chrono::duration<double>(Clock::now() - t0_).count();
  c["training_hardware"] = cpu_name() + ", " + std::to_string(torch::get_num_threads()) + " thread(s), libtorch CPU";
  c["data"] = {{"corpora", corpora_}, {"licence", data_licence_of(card_, o_.data_licence)}, {"train_windows", train_.size()},
               {"validation_windows", validation_.size()}, {"window_steps", kWindow}, {"hop_steps", kHop}};
  c["training"] = {{"batch", o_.batch}, {"learning_rate", o_.learning_rate}, {"decay_rate", o_.decay_rate},
                   {"min_learning_rate", o_.min_learning_rate}, {"clip_norm", o_.clip_norm}, {"max_beta", o_.max_beta},
                   {"free_bits", o_.free_bits}, {"max_tap_dropout", o_.max_tap_dropout}, {"seed", o_.seed}};
  if (validation >= 0) c["metrics"]["validation_reconstruction_loss"] = validation;
  GrooveModel m = nn::wrap_groove(net_, c);
  m.save(dir);
  net_->train();
}

std::string GrooveRun::checkpoint(int64_t n) {
  const double v = validation_loss(1024);
  save(ckpt_, v);
  if (dp_.env().leader()) torch::save(*adam_, ckpt_ + "/optimizer.pt");
  return "step " + std::to_string(n) + ": checkpoint written; validation loss (first 1024 windows) " + format_fixed(v, 3);
}

GrooveTrainReport GrooveRun::finish(const LoopSummary& run) {
  GrooveTrainReport r;
  r.steps = run.steps, r.first_loss = run.first_loss, r.last_loss = run.last_loss;
  r.train_windows = train_.size(), r.validation_windows = validation_.size();
  r.validation_loss = validation_loss(SIZE_MAX);
  r.seconds = seconds_before_ + std::chrono::duration<double>(Clock::now() - t0_).count();
  save(o_.out_dir, r.validation_loss);
  save(ckpt_, r.validation_loss);
  if (dp_.env().leader()) torch::save(*adam_, ckpt_ + "/optimizer.pt");
  return r;
}

}  // namespace

GrooveTrainReport train_groove(const GrooveTrainOptions& o) {
  auto log = o.log ? o.log : [](const std::string&) {};
  if (o.task != "humanize" && o.task != "drumify") throw Error("task", "must be humanize or drumify");
  if (o.out_dir.empty()) throw Error("out_dir", "required");
  if (o.data_dirs.empty()) throw Error("data_dirs", "give at least one folder of drum MIDI files");
  if (o.batch < 1) throw Error("batch", "must be positive");
  if (o.max_steps <= 0 && o.minutes <= 0) throw Error("max_steps", "give a step count or a time limit (minutes)");
  if (!(o.max_tap_dropout >= 0 && o.max_tap_dropout < 1)) throw Error("max_tap_dropout", "must lie in [0, 1)");
  set_training_threads(o.threads);
  torch::manual_seed(o.seed);
  DataParallel dp(distributed_env());
  GrooveTrainOptions quiet = o;
  quiet_unless_leader(dp.env(), log, &quiet.progress);
  GrooveRun run(quiet, dp, log);
  const LoopSummary summary = run_with_checkpoints(run, quiet, log, 10, 100);
  return run.finish(summary);
}

}  // namespace timbrel::train
