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

}  // namespace

double token_accuracy(const MusicVae& model, const std::vector<Tokens>& windows, size_t batch) {
  if (windows.empty()) return 0;
  size_t equal = 0, total = 0;
  for (size_t start = 0; start < windows.size(); start += batch) {
    std::vector<Tokens> chunk(windows.begin() + long(start), windows.begin() + long(std::min(windows.size(), start + batch)));
    auto decoded = model.decode(model.encode(chunk), 0.0);
    for (size_t i = 0; i < chunk.size(); ++i)
      for (size_t s = 0; s < chunk[i].size(); ++s, ++total) equal += decoded[i][s] == chunk[i][s];
  }
  return double(equal) / double(total);
}

TrainResult train_musicvae(const TrainOptions& o) {
  auto log = o.log ? o.log : [](const std::string&) {};
  if (o.kind != "melody" && o.kind != "drums") throw Error("kind", "must be melody or drums");
  if (o.out_dir.empty()) throw Error("out_dir", "required");
  if (o.batch < 1) throw Error("batch", "must be positive");
  if (o.max_steps <= 0 && o.minutes <= 0) throw Error("max_steps", "give a step count or a time limit (minutes)");
  if (o.freeze_decoder && o.from.empty()) throw Error("freeze_decoder", "needs a model to start from (the decoder to keep)");
  set_training_threads(o.threads);
  torch::manual_seed(o.seed);
  const auto t0 = Clock::now();

  // Model: from a checkpoint, a model, or scratch.
  nn::MusicVaeNet net{nullptr};
  nlohmann::json card;
  const std::string ckpt = o.out_dir + "/checkpoint";
  if (o.resume && fs::exists(ckpt + "/model.json")) {
    MusicVae m = MusicVae::load(ckpt);
    net = m.impl().net;
    card = m.impl().card;
    log("resuming from " + ckpt + " at step " + std::to_string(card.value("steps", 0)));
  } else if (!o.from.empty()) {
    MusicVae m = MusicVae::load(o.from);
    if (m.info().kind != o.kind) throw Error(o.from, "is a " + m.info().kind + " model, not " + o.kind);
    net = m.impl().net;
    if (!net->missing_encoder_tensors().empty()) {
      log(o.from + " lacks encoder tensors; they start from a random initialisation");
      net->accept_initialised_encoder();
    }
    card = nn::musicvae_card(net->config());
    card["initialised_from"] = o.from;
  } else {
    nn::MusicVaeConfig c = o.kind == "drums" ? nn::MusicVaeConfig::drums_small() : nn::MusicVaeConfig::melody_small();
    if (o.z_size > 0) c.z_size = o.z_size;
    if (!o.encoder.empty()) c.encoder = o.encoder;
    if (!o.decoder.empty()) c.decoder = o.decoder;
    net = nn::MusicVaeNet(c);
    card = nn::musicvae_card(c);
  }
  nn::MusicVaeConfig config = net->config();  // with the KL schedule overrides
  if (o.free_bits >= 0) config.free_bits = o.free_bits;
  if (o.max_beta >= 0) config.max_beta = o.max_beta;
  if (o.beta_rate >= 0) config.beta_rate = o.beta_rate;
  net->model_name = o.out_dir;
  net->train();

  // Data.
  Corpus corpus = load_split(o.kind, o.data_dir, o.validation_fraction);
  for (const auto& f : corpus.failed) log("skipped " + f);
  if (corpus.train.windows.empty()) throw Error(o.data_dir, "no training windows");
  log(std::to_string(corpus.train.windows.size()) + " training windows from " + std::to_string(corpus.train.files.size()) +
      " files, " + std::to_string(corpus.validation.windows.size()) + " validation windows from " +
      std::to_string(corpus.validation.files.size()) + " files");
  const int transpose = o.transpose >= 0 ? o.transpose : (o.kind == "melody" ? 5 : 0);

  // Optimiser over the trainable parameters.
  std::vector<torch::Tensor> params;
  for (auto& p : net->named_parameters(true)) {
    bool trainable = !o.freeze_decoder || p.key().rfind("encoder.", 0) == 0;
    p.value().set_requires_grad(trainable);
    if (trainable) params.push_back(p.value());
  }
  torch::optim::Adam adam(params, torch::optim::AdamOptions(o.learning_rate));
  int64_t step = card.value("steps", int64_t(0));
  double trained_seconds = card.value("training_seconds", 0.0);
  if (o.resume && fs::exists(ckpt + "/optimizer.pt")) torch::load(adam, ckpt + "/optimizer.pt");

  auto save = [&](const std::string& dir, double val_acc, double train_acc, bool final_card) {
    nlohmann::json c = card;
    c["steps"] = step;
    c["training_seconds"] = trained_seconds + std::chrono::duration<double>(Clock::now() - t0).count();
    c["training_hardware"] = cpu_name() + ", " + std::to_string(torch::get_num_threads()) + " thread(s), libtorch CPU";
    c["data"] = {{"folder", o.data_dir},
                 {"licence", o.data_licence},
                 {"split", corpus.split_rule},
                 {"train_files", corpus.train.files.size()},
                 {"train_windows", corpus.train.windows.size()},
                 {"validation_files", corpus.validation.files.size()},
                 {"validation_windows", corpus.validation.windows.size()},
                 {"transpose_semitones", transpose}};
    c["training"] = {{"batch", o.batch}, {"learning_rate", o.learning_rate}, {"decay_rate", o.decay_rate},
                     {"min_learning_rate", o.min_learning_rate}, {"clip_norm", o.clip_norm},
                     {"sampling_rate", o.sampling_rate}, {"freeze_decoder", o.freeze_decoder}, {"seed", o.seed}};
    if (val_acc >= 0) c["metrics"] = {{"validation_token_accuracy", val_acc}, {"train_token_accuracy_sample", train_acc}};
    if (final_card) c["weights_dtype"] = o.float16 ? "float16" : "float32";
    c["hparams"] = config.to_json();
    nn::write_model_folder(dir, c, net->tensors(), final_card && o.float16 ? torch::kHalf : torch::kFloat);
  };
  auto evaluate = [&](const std::vector<Tokens>& windows, size_t limit) {
    net->eval();
    std::vector<Tokens> subset(windows.begin(), windows.begin() + long(std::min(limit, windows.size())));
    MusicVae view = nn::wrap_musicvae(net, "training");
    double acc = token_accuracy(view, subset);
    net->train();
    return acc;
  };

  std::mt19937_64 rng(o.seed + uint64_t(step));
  std::vector<size_t> order(corpus.train.windows.size());
  std::iota(order.begin(), order.end(), 0);
  std::shuffle(order.begin(), order.end(), rng);
  size_t cursor = 0;
  double avg_acc = 0;
  const int64_t first_step = step;
  auto one_step = [&](int64_t n, double) {
    // Batch with random transposition.
    std::vector<Tokens> batch;
    std::uniform_int_distribution<int> shift(-transpose, transpose);
    for (int i = 0; i < o.batch; ++i) {
      if (cursor == order.size()) {
        std::shuffle(order.begin(), order.end(), rng);
        cursor = 0;
      }
      Tokens w = corpus.train.windows[order[cursor++]];
      if (transpose > 0) transpose_window(w, shift(rng));
      batch.push_back(std::move(w));
    }
    auto targets = nn::tokens_to_tensor(batch, config, o.data_dir);
    const double lr = (o.learning_rate - o.min_learning_rate) * std::pow(o.decay_rate, double(n)) + o.min_learning_rate;
    for (auto& group : adam.param_groups()) static_cast<torch::optim::AdamOptions&>(group.options()).lr(lr);
    const double sampling = o.sampling_rate > 0 ? 1.0 - o.sampling_rate / (o.sampling_rate + std::exp(double(n) / o.sampling_rate)) : 0.0;
    adam.zero_grad();
    auto [mu, sigma] = net->encode(targets);
    auto z = mu + sigma * torch::randn_like(sigma);
    auto logits = net->teacher_forced_logits(z, targets, sampling);
    auto loss = nn::musicvae_loss(config, logits, targets, mu, sigma, n);
    loss.loss.backward();
    torch::nn::utils::clip_grad_norm_(params, o.clip_norm);
    adam.step();
    step = n + 1;
    avg_acc = n == first_step ? loss.accuracy : 0.98 * avg_acc + 0.02 * loss.accuracy;
    return StepOutcome{loss.loss.item<double>(), "(kl " + format_fixed(loss.kl, 1) + ", beta " + format_fixed(loss.beta, 4) + ") acc " +
                                                     format_fixed(avg_acc, 3) + " lr " + format_fixed(lr * 1e3, 3) + "e-3"};
  };
  LoopSettings loop;
  loop.max_steps = o.max_steps;
  loop.minutes = o.minutes;
  loop.checkpoint_every = o.checkpoint_every;
  loop.progress_every = 10;
  loop.log_every = 100;
  loop.log = log;
  loop.progress = o.progress;
  const LoopSummary run = TrainingLoop(loop, step).run(one_step, {}, [&](int64_t n, double) {
    const double val = corpus.validation.windows.empty() ? -1 : evaluate(corpus.validation.windows, 512);
    save(ckpt, -1, -1, false);
    torch::save(adam, ckpt + "/optimizer.pt");
    return "step " + std::to_string(n) + ": checkpoint written; validation accuracy (first 512 windows) " + format_fixed(val, 4);
  });
  TrainResult r;
  r.steps = run.steps;
  r.first_loss = run.first_loss;
  r.last_loss = run.last_loss;
  r.train_windows = corpus.train.windows.size();
  r.validation_windows = corpus.validation.windows.size();
  r.validation_accuracy = corpus.validation.windows.empty() ? -1 : evaluate(corpus.validation.windows, SIZE_MAX);
  r.train_accuracy = evaluate(corpus.train.windows, 2048);
  r.seconds = trained_seconds + std::chrono::duration<double>(Clock::now() - t0).count();
  {  // Where the encoder puts real windows: `sample` draws from this instead of N(0, 1).
    torch::NoGradGuard no_grad;
    net->eval();
    std::vector<Tokens> subset;
    const size_t stride = std::max<size_t>(1, corpus.train.windows.size() / 4096);
    for (size_t i = 0; i < corpus.train.windows.size(); i += stride) subset.push_back(corpus.train.windows[i]);
    std::vector<torch::Tensor> mus;
    for (size_t i = 0; i < subset.size(); i += 256) {
      std::vector<Tokens> chunk(subset.begin() + long(i), subset.begin() + long(std::min(subset.size(), i + 256)));
      mus.push_back(net->encode(nn::tokens_to_tensor(chunk, config, o.data_dir)).first);
    }
    auto all = torch::cat(mus, 0);
    auto mean = all.mean(0).contiguous(), std = all.std(0).clamp_min(1e-3).contiguous();
    card["latent_prior"] = {
        {"mean", std::vector<float>(mean.data_ptr<float>(), mean.data_ptr<float>() + mean.numel())},
        {"std", std::vector<float>(std.data_ptr<float>(), std.data_ptr<float>() + std.numel())},
        {"windows", subset.size()},
        {"about", "diagonal Gaussian fitted to the encoder means of training windows; sample draws z from it"}};
  }
  save(o.out_dir, r.validation_accuracy, r.train_accuracy, true);
  save(ckpt, -1, -1, false);
  torch::save(adam, ckpt + "/optimizer.pt");
  return r;
}

}  // namespace timbrel::train
