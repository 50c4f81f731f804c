#include "train/event_rnn_trainer.h"

#include <algorithm>
#include <filesystem>
#include <numeric>
#include <random>

#include "nn/event_rnn_model.h"
#include "nn/model_folder.h"
#include "music/beat_grid.h"
#include "music/lead_sheet.h"
#include "timbrel/error.h"
#include "timbrel/music.h"
#include "train/musicvae_data.h"
#include "train/data_parallel.h"
#include "train/train_util.h"
#include "train/training_loop.h"

namespace timbrel::train {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

constexpr size_t kBarPair = 32;  // windows start on 2-bar boundaries: the 5-bit counter's period

struct Window {
  std::vector<int> events;    // window_steps + 1, padded with the default event
  size_t length = 0;          // events before the padding
  std::vector<Chord> chords;  // of each event's step (chord-conditioned models), N.C. padded
};

struct CorpusData {
  std::string folder, rule;
  std::vector<std::string> train_files, validation_files;
  std::vector<Window> train, validation;
};

bool has_onset(const std::vector<int>& events, size_t from, size_t to, bool drums) {
  for (size_t i = from; i < to; ++i)
    if (drums ? events[i] != 0 : events[i] >= 0) return true;
  return false;
}

// Windows of window_steps + 1 events every half window (on 2-bar boundaries), with an onset.
std::vector<Window> windows_of(const std::vector<int>& events, const std::vector<Chord>& chords, const nn::EventCodec& codec, int window_steps) {
  std::vector<Window> out;
  const size_t span = size_t(window_steps) + 1;
  const size_t hop = std::max(kBarPair, size_t(window_steps) / 2 / kBarPair * kBarPair);
  for (size_t start = 0; start + 1 < events.size(); start += hop) {
    const size_t end = std::min(events.size(), start + span);
    if (has_onset(events, start, end, codec.kind == "drums")) {
      Window w{std::vector<int>(events.begin() + long(start), events.begin() + long(end)), end - start, {}};
      w.events.resize(span, codec.default_event());
      if (codec.chord_control) {
        w.chords.assign(chords.begin() + long(start), chords.begin() + long(end));
        w.chords.resize(span);
      }
      out.push_back(std::move(w));
    }
    if (end == events.size()) break;
  }
  return out;
}

// The events of a file, and for a chord-conditioned codec its chords per step (false: none).
bool read_events(const std::string& file, const BeatGrids& grids, const nn::EventCodec& codec, std::vector<int>& events,
                 std::vector<Chord>& chords) {
  if (!codec.chord_control) {
    events = nn::events_of(read_midi_on_grid(file, grids), codec);
    return true;
  }
  LeadSheet sheet;
  if (!read_lead_sheet(file, grids, sheet)) return false;
  set_chords(sheet.melody, sheet.chords);
  const NoteSequence q = quantize(sheet.melody, 4);
  events = nn::events_of(q, codec);
  chords = chords_per_step(q, int64_t(events.size()));
  return true;
}

// Windows of every readable file; unreadable ones are reported through `failed`.
void add_files(const std::vector<std::string>& files, const BeatGrids& grids, const nn::EventCodec& codec, int window_steps, std::vector<Window>& out,
               std::vector<std::string>* kept, std::vector<std::string>& failed) {
  for (const auto& f : files) {
    try {
      std::vector<int> events;
      std::vector<Chord> chords;
      if (!read_events(f, grids, codec, events, chords)) continue;
      auto w = windows_of(events, chords, codec, window_steps);
      if (w.empty()) continue;
      if (kept) kept->push_back(f);
      out.insert(out.end(), std::make_move_iterator(w.begin()), std::make_move_iterator(w.end()));
    } catch (const Error& e) {
      failed.push_back(e.what());
    }
  }
}

struct Batch {
  torch::Tensor inputs, labels, mask;
};

// Inputs, next-step labels and the mask of real (unpadded) labels; melodies moved by `shifts`.
Batch make_batch(const std::vector<const Window*>& windows, const std::vector<int>& shifts, const nn::EventCodec& codec) {
  const int64_t B = int64_t(windows.size()), T = int64_t(windows[0]->events.size()) - 1;
  Batch b{torch::empty({B, T, codec.input_size()}), torch::empty({B, T}, torch::kLong), torch::zeros({B, T})};
  auto labels = b.labels.accessor<int64_t, 2>();
  auto mask = b.mask.accessor<float, 2>();
  for (int64_t i = 0; i < B; ++i) {
    std::vector<int> ev = windows[size_t(i)]->events;
    std::vector<Chord> chords = windows[size_t(i)]->chords;
    if (shifts[size_t(i)] != 0) {
      for (int& e : ev)
        if (e >= 0) e = nn::fold_pitch(e + shifts[size_t(i)], codec.min_pitch, codec.max_pitch);
      for (Chord& c : chords) c = transpose_chord(c, shifts[size_t(i)]);
    }
    for (int64_t t = 0; t < T; ++t) {
      codec.input(ev, size_t(t), b.inputs[i][t].data_ptr<float>(), chords);
      labels[i][t] = codec.label(ev, size_t(t) + 1);
      mask[i][t] = size_t(t) + 1 < windows[size_t(i)]->length ? 1.0f : 0.0f;
    }
  }
  return b;
}

struct Score {
  double accuracy = 0, nll = 0;
};

Score score_windows(nn::EventRnnNet& net, const nn::EventCodec& codec, const std::vector<Window>& windows, size_t limit) {
  torch::NoGradGuard no_grad;
  const bool was_training = net->is_training();
  net->eval();
  double correct = 0, nll = 0, count = 0;
  const size_t n = std::min(limit, windows.size());
  for (size_t start = 0; start < n; start += 64) {
    std::vector<const Window*> chunk;
    for (size_t i = start; i < std::min(n, start + 64); ++i) chunk.push_back(&windows[i]);
    Batch b = make_batch(chunk, std::vector<int>(chunk.size(), 0), codec);
    auto logits = net->forward(b.inputs);
    auto ce = torch::nn::functional::cross_entropy(logits.reshape({-1, logits.size(2)}), b.labels.reshape({-1}),
                                                   torch::nn::functional::CrossEntropyFuncOptions().reduction(torch::kNone));
    auto mask = b.mask.reshape({-1});
    nll += (ce * mask).sum().item<double>();
    correct += ((logits.argmax(2).reshape({-1}) == b.labels.reshape({-1})).to(torch::kFloat) * mask).sum().item<double>();
    count += mask.sum().item<double>();
  }
  if (was_training) net->train();
  return count > 0 ? Score{correct / count, nll / count} : Score{-1, -1};
}

}  // namespace

namespace {

nn::EventCodec codec_for(ModelKind kind) { return kind == ModelKind::Drums ? nn::EventCodec::drums() : nn::EventCodec::melody(); }

}  // namespace

namespace {

// One run of `train melody-rnn|drums-rnn`: the corpora, the model, its optimiser and the step count.
class EventRnnRun {
 public:
  EventRnnRun(const EventRnnTrainOptions& o, DataParallel& dp, std::function<void(const std::string&)> log)
      : o_(o), dp_(dp), log_(std::move(log)), ckpt_(o.out_dir + "/checkpoint"), model_(open_model()) {
    auto& impl = event_rnn_impl(model_);
    if (codec_.kind != to_string(o.kind)) throw Error(ckpt_, "holds a " + codec_.kind + " RNN, not " + to_string(o.kind));
    if (codec_.chord_control != o.chords)
      throw Error(ckpt_, codec_.chord_control ? "holds a model over chords: resume it with chords" : "holds a model without chords: resume it without");
    net_ = impl.net;
    net_->train();
    load_data();
    transpose_ = o.transpose >= 0 ? o.transpose : (o.kind == ModelKind::Melody ? 5 : 0);
    dp_.broadcast(net_->parameters());  // every rank starts from rank 0's weights
    adam_ = std::make_unique<torch::optim::Adam>(net_->parameters(), torch::optim::AdamOptions(o.learning_rate));
    step_ = impl.card.value("steps", int64_t(0));
    seconds_before_ = impl.card.value("training_seconds", 0.0);
    if (o.resume && fs::exists(ckpt_ + "/optimizer.pt")) torch::load(*adam_, ckpt_ + "/optimizer.pt");
    rng_.seed(o.seed + uint64_t(step_));
    for (size_t c = 0; c < corpora_.size(); ++c)
      for (size_t i = 0; i < corpora_[c].train.size(); ++i) order_.push_back(&corpora_[c].train[i]);
    std::shuffle(order_.begin(), order_.end(), rng_);
  }

  int64_t step() const { return step_; }

  StepOutcome train_step(int64_t n) {
    // One global batch, drawn alike on every rank; this rank trains on its slice of it (its
    // dropout is its own, so ranks agree with one process in expectation, not bit for bit).
    Batch b = next_batch();
    const auto [first, last] = dp_.slice(size_t(b.inputs.size(0)));
    const int64_t count = int64_t(last - first);
    b = {b.inputs.narrow(0, int64_t(first), count), b.labels.narrow(0, int64_t(first), count), b.mask.narrow(0, int64_t(first), count)};
    adam_->zero_grad();
    auto logits = net_->forward(b.inputs);
    auto ce = torch::nn::functional::cross_entropy(logits.reshape({-1, logits.size(2)}), b.labels.reshape({-1}),
                                                   torch::nn::functional::CrossEntropyFuncOptions().reduction(torch::kNone));
    auto mask = b.mask.reshape({-1});
    auto loss = (ce * mask).sum() / mask.sum().clamp_min(1);
    loss.backward();
    dp_.average_gradients(net_->parameters());
    torch::nn::utils::clip_grad_norm_(net_->parameters(), o_.clip_norm);
    adam_->step();
    step_ = n + 1;
    const double acc = ((logits.argmax(2).reshape({-1}) == b.labels.reshape({-1})).to(torch::kFloat) * mask).sum().item<double>() /
                       std::max(1.0, mask.sum().item<double>());
    average_accuracy_ = step_ == 1 || average_accuracy_ == 0 ? acc : 0.98 * average_accuracy_ + 0.02 * acc;
    return StepOutcome{dp_.average(loss.item<double>()), "acc " + format_fixed(average_accuracy_, 3)};
  }

  std::string checkpoint(int64_t n) {
    std::string line = "step " + std::to_string(n) + ": checkpoint written; validation";
    for (auto& c : corpora_) {
      Score s = score_windows(net_, codec_, c.validation, 512);
      line += " " + c.folder + ": acc " + format_fixed(s.accuracy, 3) + " nll " + format_fixed(s.nll, 3);
    }
    save(ckpt_, {});
    if (dp_.env().leader()) torch::save(*adam_, ckpt_ + "/optimizer.pt");
    return line;
  }

  EventRnnTrainReport finish(const LoopSummary& run) {
    EventRnnTrainReport r;
    r.steps = run.steps;
    r.first_loss = run.first_loss;
    r.last_loss = run.last_loss;
    r.train_windows = order_.size();
    for (auto& c : corpora_) {
      Score s = score_windows(net_, codec_, c.validation, SIZE_MAX);
      r.validation.push_back({c.folder, c.validation_files.size(), c.validation.size(), s.accuracy, s.nll,
                              score_continuations(model_, c.validation_files, BeatGrids(c.folder))});
    }
    r.seconds = seconds_before_ + std::chrono::duration<double>(Clock::now() - t0_).count();
    save(o_.out_dir, r.validation);
    save(ckpt_, {});
    if (dp_.env().leader()) torch::save(*adam_, ckpt_ + "/optimizer.pt");
    return r;
  }

 private:
  EventRnn open_model() {
    if (o_.resume && fs::exists(ckpt_ + "/model.json")) {
      log_("resuming from " + ckpt_);
      return EventRnn::load(ckpt_);
    }
    nn::EventCodec codec = codec_for(o_.kind);
    codec.chord_control = o_.chords;
    if (!o_.from.empty()) return from_model(codec);
    std::vector<int> layers = o_.layers;
    if (layers.empty()) layers = o_.kind == ModelKind::Drums ? std::vector<int>{256, 256, 256} : std::vector<int>{128, 128};
    return nn::make_event_rnn(codec, layers, o_.dropout);
  }

  // The `from` model's network and codec, taking chords when asked (its first layer's input
  // weights widened by zero columns, so that it starts out playing as it did).
  EventRnn from_model(nn::EventCodec codec) {
    log_("starting from " + o_.from);
    EventRnn base = EventRnn::load(o_.from);
    const auto& b = event_rnn_impl(base);
    if (b.codec.kind != codec.kind) throw Error(o_.from, "is a " + b.codec.kind + " RNN, not " + codec.kind);
    if (b.codec.chord_control && !codec.chord_control) throw Error(o_.from, "plays over chords: train it with chords");
    const bool widen = codec.chord_control && !b.codec.chord_control;
    codec.min_pitch = b.codec.min_pitch, codec.max_pitch = b.codec.max_pitch;
    codec.lookbacks = b.codec.lookbacks, codec.counter_bits = b.codec.counter_bits;
    nn::TensorMap tensors = b.net->tensors();
    if (widen) {
      torch::Tensor& w = tensors.at("lstm.weight_ih_l0");
      w = torch::cat({w, torch::zeros({w.size(0), kChordPitchesDepth})}, 1);
    }
    if (!o_.layers.empty() && o_.layers != b.info.layers) throw Error("layers", "must be those of the model trained from (" + o_.from + ")");
    const nlohmann::json& base_card = b.card;  // its data stays part of what the new weights learned from
    nlohmann::json card;
    if (b.info.chord_guidance > 0)  // its chord guidance suits what it plays
      card["sampling"] = {{"chord_guidance", b.info.chord_guidance}, {"chosen_on", "inherited from " + o_.from}};
    EventRnn model = nn::make_event_rnn(codec, b.info.layers, o_.dropout, card);
    event_rnn_impl(model).net->load(tensors, o_.from);
    event_rnn_impl(model).card["from"] = {{"model", o_.from}, {"data", base_card.value("data", nlohmann::json::object())}};
    return model;
  }

  void load_data() {
    for (const auto& dir : o_.data_dirs) {
      CorpusData c;
      c.folder = dir;
      FileSplit split = split_files(dir, o_.validation_fraction);
      c.rule = split.rule;
      std::vector<std::string> failed;
      const BeatGrids grids(dir);
      add_files(split.train, grids, codec_, o_.window_steps, c.train, &c.train_files, failed);
      add_files(split.validation, grids, codec_, o_.window_steps, c.validation, &c.validation_files, failed);
      for (const auto& f : failed) log_("skipped " + f);
      log_(dir + ": " + std::to_string(c.train.size()) + " training windows from " + std::to_string(c.train_files.size()) + " files, " +
           std::to_string(c.validation.size()) + " validation windows from " + std::to_string(c.validation_files.size()) + " files");
      corpora_.push_back(std::move(c));
    }
    if (std::all_of(corpora_.begin(), corpora_.end(), [](const CorpusData& c) { return c.train.empty(); }))
      throw Error("data_dirs", "no training windows in any data folder");
  }

  Batch next_batch() {
    std::vector<const Window*> windows;
    std::vector<int> shifts;
    std::uniform_int_distribution<int> shift(-transpose_, transpose_);
    for (int i = 0; i < o_.batch; ++i) {
      if (cursor_ == order_.size()) std::shuffle(order_.begin(), order_.end(), rng_), cursor_ = 0;
      windows.push_back(order_[cursor_++]);
      shifts.push_back(transpose_ > 0 ? shift(rng_) : 0);
    }
    return make_batch(windows, shifts, codec_);
  }

  // What the validation continuations were, with the chord guidance they played with.
  std::string scored_about() const {
    const EventRnnInfo& info = model_.info();
    return continuation_about(4, 4, 1.0, "held-out ", info.chords ? info.guidance_for(-1) : -1);
  }

  void save(const std::string& dir, const std::vector<CorpusScore>& scores) {
    if (!dp_.env().leader()) return;  // rank 0 alone writes
    nlohmann::json& c = event_rnn_impl(model_).card;
    c["kind"] = o_.kind == ModelKind::Drums ? "drums_rnn" : codec_.chord_control ? "improv_rnn" : "melody_rnn";
    c["steps"] = step_;
    c["training_seconds"] = seconds_before_ + std::chrono::duration<double>(Clock::now() - t0_).count();
    c["training_hardware"] = cpu_name() + ", " + std::to_string(torch::get_num_threads()) + " thread(s), libtorch CPU";
    nlohmann::json data = nlohmann::json::array();
    for (const auto& cd : corpora_)
      data.push_back({{"folder", cd.folder}, {"split", cd.rule}, {"train_files", cd.train_files.size()},
                      {"train_windows", cd.train.size()}, {"validation_files", cd.validation_files.size()},
                      {"validation_windows", cd.validation.size()}});
    c["data"] = {{"corpora", data}, {"licence", data_licence_of(c, o_.data_licence)}, {"transpose_semitones", transpose_}, {"window_steps", o_.window_steps}};
    c["training"] = {{"batch", o_.batch}, {"learning_rate", o_.learning_rate}, {"clip_norm", o_.clip_norm}, {"seed", o_.seed}};
    if (!scores.empty()) {
      nlohmann::json m = nlohmann::json::array();
      for (const auto& s : scores)
        m.push_back({{"folder", s.folder}, {"files", s.files}, {"windows", s.windows}, {"accuracy", s.accuracy},
                     {"log_perplexity", s.log_perplexity}, {"continuation", continuation_json(s.continuation, scored_about())}});
      c["metrics"] = {{"validation", m}, {"about", "teacher-forced next-event accuracy and mean NLL (nats) per step on held-out files"}};
    }
    model_.save(dir);
  }

  const EventRnnTrainOptions& o_;
  DataParallel& dp_;
  std::function<void(const std::string&)> log_;
  std::string ckpt_;
  EventRnn model_;
  nn::EventCodec codec_ = event_rnn_impl(model_).codec;  // the model's (a resumed one's own)
  nn::EventRnnNet net_{nullptr};
  std::vector<CorpusData> corpora_;
  std::vector<const Window*> order_;
  size_t cursor_ = 0;
  int transpose_ = 0;
  std::unique_ptr<torch::optim::Adam> adam_;
  int64_t step_ = 0;
  double seconds_before_ = 0, average_accuracy_ = 0;
  Clock::time_point t0_ = Clock::now();
  std::mt19937_64 rng_;
};

}  // namespace

EventRnnTrainReport train_event_rnn(const EventRnnTrainOptions& o) {
  auto log = o.log ? o.log : [](const std::string&) {};
  if (o.data_dirs.empty()) throw Error("data_dirs", "give at least one folder of MIDI files");
  if (o.out_dir.empty()) throw Error("out_dir", "required");
  if (o.batch < 1) throw Error("batch", "must be positive");
  if (o.window_steps < 2 * int(kBarPair) || o.window_steps % int(kBarPair) != 0)
    throw Error("window_steps", "must be a multiple of 32 steps, at least 64");
  if (o.max_steps <= 0 && o.minutes <= 0) throw Error("max_steps", "give a step count or a time limit (minutes)");
  if (o.chords && o.kind != ModelKind::Melody) throw Error("chords", "only melodies are trained over chords");
  if (!o.from.empty() && o.resume && fs::exists(o.out_dir + "/checkpoint/model.json"))
    throw Error("from", "give a model to start from or resume a checkpoint, not both");
  set_training_threads(o.threads);
  torch::manual_seed(o.seed);
  DataParallel dp(distributed_env());
  EventRnnTrainOptions quiet = o;
  quiet_unless_leader(dp.env(), log, &quiet.progress);
  EventRnnRun run(quiet, dp, log);
  const LoopSummary summary = run_with_checkpoints(run, quiet, log, 5, 50);
  return run.finish(summary);
}

CorpusScore score_event_rnn(const EventRnn& model, const std::string& dir, int window_steps) {
  return score_event_rnn(model, dir, list_midi_files(dir), window_steps);
}

CorpusScore score_event_rnn(const EventRnn& model, const std::string& dir, const std::vector<std::string>& files, int window_steps) {
  auto& impl = event_rnn_impl(model);
  CorpusScore out;
  out.folder = dir;
  std::vector<Window> windows;
  std::vector<std::string> kept, failed;
  add_files(files, BeatGrids(dir), impl.codec, window_steps, windows, &kept, failed);
  out.files = kept.size();
  out.windows = windows.size();
  Score s = score_windows(impl.net, impl.codec, windows, SIZE_MAX);
  out.accuracy = s.accuracy;
  out.log_perplexity = s.nll;
  return out;
}

}  // namespace timbrel::train
