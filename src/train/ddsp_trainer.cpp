#include "train/ddsp_trainer.h"

#include <chrono>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <map>
#include <random>

#include <ATen/CPUGeneratorImpl.h>

#include "nn/ddsp_net.h"
#include "nn/ddsp_train_ops.h"
#include "nn/model_folder.h"
#include "timbrel/error.h"
#include "timbrel/sound_file.h"
#include "train/data_parallel.h"
#include "train/note_dataset.h"
#include "train/train_util.h"
#include "train/training_loop.h"
#include "util/npy.h"

namespace timbrel::train {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

// The decoder runs at 250 frames a second at any rate (hop = rate / 250: 64 at 16 kHz, 192 at
// 48 kHz); a note (4 s) is 1000 frames, held for 750 (note sets hold each note 3 s).
constexpr int kFrameRate = 250, kNoteFrames = 4 * kFrameRate, kHeldFrames = 3 * kFrameRate;
// Loudness is DDSP's of the note at 16 kHz (FFT 2048, hop 64) at every rate, so that the
// decoder's input and the card's statistics mean what they mean for 16 kHz models.
constexpr int kLoudnessRate = 16000, kLoudnessHop = kLoudnessRate / kFrameRate;

double midi_hz(double pitch) { return 440.0 * std::pow(2.0, (pitch - 69) / 12); }

torch::Tensor note_audio(const NoteSet& set, size_t i) {
  torch::Tensor half = torch::empty({int64_t(set.samples())}, torch::kHalf);
  std::memcpy(half.data_ptr(), set.audio(i), set.samples() * 2);
  return half.to(torch::kFloat);
}

// Note i at 16 kHz (itself when the set is), for its loudness.
torch::Tensor loudness_audio(const NoteSet& set, size_t i) {
  torch::Tensor a = note_audio(set, i);
  if (set.sample_rate() == kLoudnessRate) return a;
  Audio in;
  in.sample_rate = set.sample_rate();
  in.samples.assign(a.data_ptr<float>(), a.data_ptr<float>() + a.numel());
  Audio low = resample(in, kLoudnessRate);
  low.samples.resize(size_t(kNoteFrames * kLoudnessHop), 0.0f);
  return torch::from_blob(low.samples.data(), {int64_t(low.samples.size())}, torch::kFloat).clone();
}

// DDSP's loudness of every note, [notes, frames]; cached beside the checkpoint (it takes a while).
torch::Tensor note_loudness(const NoteSet& set, const std::string& cache, const std::function<void(const std::string&)>& log,
                            DataParallel& dp) {
  if (fs::exists(cache)) {
    NpyArray a = read_npy(cache);
    if (a.shape == std::vector<int64_t>{int64_t(set.size()), kNoteFrames})
      return torch::from_blob(a.data.data(), {int64_t(set.size()), kNoteFrames}, torch::kFloat).clone();
  }
  const auto t0 = Clock::now();
  torch::NoGradGuard no_grad;
  torch::Tensor out = torch::empty({int64_t(set.size()), kNoteFrames});
  for (size_t first = 0; first < set.size(); first += 32) {
    const size_t n = std::min<size_t>(32, set.size() - first);
    std::vector<torch::Tensor> rows;
    for (size_t i = first; i < first + n; ++i) rows.push_back(loudness_audio(set, i));
    out.narrow(0, int64_t(first), int64_t(n)).copy_(nn::a_weighted_loudness(torch::stack(rows), kLoudnessRate, kLoudnessHop));
  }
  if (!dp.env().leader()) return out;  // every rank measures; rank 0 keeps the cache
  fs::create_directories(fs::path(cache).parent_path());
  write_npy(cache, NpyArray{{int64_t(set.size()), kNoteFrames}, std::vector<float>(out.data_ptr<float>(), out.data_ptr<float>() + out.numel())});
  log("loudness of " + std::to_string(set.size()) + " notes measured in " +
      format_fixed(std::chrono::duration<double>(Clock::now() - t0).count(), 1) + " s");
  return out;
}

struct Crops {
  torch::Tensor f0, loudness, target, preset;
};

class DdspRun {
 public:
  DdspRun(const DdspTrainOptions& o, DataParallel& dp, std::function<void(const std::string&)> log)
      : o_(o), dp_(dp), log_(std::move(log)), set_(NoteSet::open(o.data_dir)), ckpt_(o.out_dir + "/checkpoint") {
    if (set_.kind() != "melodic") throw Error(o.data_dir, "is a drum note set; DDSP trains on pitched notes");
    if (set_.sample_rate() % kFrameRate != 0)
      throw Error(o.data_dir, "holds " + std::to_string(set_.sample_rate()) + " Hz notes; DDSP needs a multiple of 250 Hz");
    rate_ = set_.sample_rate();
    hop_ = rate_ / kFrameRate;
    const bool resuming = o.resume && fs::exists(ckpt_ + "/model.json");
    nn::TensorMap tensors;
    if (resuming) {
      nn::ModelFolder folder = nn::read_model_folder(ckpt_, "ddsp");
      state_ = folder.card;
      config_ = nn::ddsp_config_from_json(state_.at("hparams"), ckpt_ + "/model.json");
      presets_ = state_.at("presets").get<std::vector<std::string>>();
      tensors = std::move(folder.tensors);
      log_("resuming from " + ckpt_ + " at step " + std::to_string(state_.value("steps", 0)));
    }
    split_notes(resuming);
    if (!resuming) {
      config_.channels = o.channels;
      config_.layers = o.layers;
      config_.layers_per_stack = std::max(1, o.layers);
      config_.embedding = o.embedding;
      config_.instruments = int(presets_.size());
      config_.frame_norm = true;
    }
    torch::manual_seed(o.seed);
    net_ = nn::DdspNet(config_);
    if (resuming) net_->load(tensors, ckpt_);
    dp_.broadcast(net_->parameters());  // every rank starts from rank 0's weights
    loudness_ = note_loudness(set_, o.out_dir + "/loudness-cache.npy", log_, dp_);
    adam_ = std::make_unique<torch::optim::Adam>(net_->parameters(), torch::optim::AdamOptions(o.learning_rate));
    if (resuming && fs::exists(ckpt_ + "/optimizer.pt")) torch::load(*adam_, ckpt_ + "/optimizer.pt");
    step_ = state_.value("steps", int64_t(0));
    seconds_before_ = state_.value("training_seconds", 0.0);
    rng_.seed(o.seed * 7919 + uint64_t(step_));
    log_(std::to_string(train_.size()) + " training notes of " + std::to_string(presets_.size()) + " presets, " +
         std::to_string(validation_.size()) + " validation notes; decoder " + std::to_string(config_.channels) + " channels x " +
         std::to_string(config_.layers) + " layers, " + std::to_string(parameter_count()) + " parameters");
  }

  int64_t step() const { return step_; }

  StepOutcome train_step(int64_t n, double fraction) {
    const double lr = o_.learning_rate * (o_.min_lr_fraction + (1 - o_.min_lr_fraction) * 0.5 * (1 + std::cos(M_PI * fraction)));
    for (auto& g : adam_->param_groups()) static_cast<torch::optim::AdamOptions&>(g.options()).lr(lr);
    // One global batch, drawn alike on every rank; this rank trains on its slice of it.
    std::uniform_int_distribution<size_t> pick(0, train_.size() - 1);
    std::vector<std::pair<size_t, int>> crops;
    for (int b = 0; b < o_.batch; ++b) crops.push_back({train_[pick(rng_)], random_start()});
    const auto [first, last] = dp_.slice(crops.size());
    adam_->zero_grad();
    const torch::Tensor loss = loss_of(crops, int64_t(rng_()), first, last, n >= o_.harmonic_warmup_steps);
    loss.backward();
    dp_.average_gradients(net_->parameters());
    adam_->step();
    step_ = n + 1;
    return {dp_.average(loss.item<double>()), "lr " + format_fixed(lr * 1e4, 2) + "e-4"};
  }

  // Mean loss over validation notes, each cropped 0.5 s in (fixed noise).
  double validation_loss(size_t limit) {
    if (validation_.empty()) return -1;
    torch::NoGradGuard no_grad;
    const size_t stride = std::max<size_t>(1, validation_.size() / limit);
    double sum = 0;
    size_t count = 0;
    std::vector<std::pair<size_t, int>> chunk;
    for (size_t i = 0; i < validation_.size() && count + chunk.size() < limit; i += stride) {
      chunk.push_back({validation_[i], kFrameRate / 2});
      if (chunk.size() == size_t(o_.batch)) {
        sum += loss_of(chunk, 1, 0, chunk.size()).item<double>() * double(chunk.size()), count += chunk.size();
        chunk.clear();
      }
    }
    if (!chunk.empty()) sum += loss_of(chunk, 1, 0, chunk.size()).item<double>() * double(chunk.size()), count += chunk.size();
    return sum / double(count);
  }

  // Rank 0 alone writes.
  void save(const std::string& dir, bool final_model, const nlohmann::json& metrics) {
    if (!dp_.env().leader()) return;
    nn::write_model_folder(dir, card(metrics), net_->tensors());
    if (!final_model) torch::save(*adam_, dir + "/optimizer.pt");
  }

  DdspTrainReport finish(const LoopSummary& run) {
    DdspTrainReport r;
    r.steps = run.steps;
    r.first_loss = run.first_loss;
    r.last_loss = run.last_loss;
    r.validation_loss = validation_loss(256);
    r.train_notes = train_.size();
    r.validation_notes = validation_.size();
    r.presets = presets_.size();
    r.seconds = seconds_before_ + std::chrono::duration<double>(Clock::now() - t0_).count();
    save(ckpt_, false, nullptr);
    save(o_.out_dir, true, {{"validation_loss", r.validation_loss}, {"final_train_loss", r.last_loss}});
    return r;
  }

 private:
  int crop_frames() const { return int(std::lround(o_.crop_seconds * kFrameRate)); }
  // A quarter of the crops start at the onset (attacks are short and matter); the rest anywhere.
  int random_start() {
    const int last = kNoteFrames - crop_frames();
    if (std::uniform_real_distribution<double>(0, 1)(rng_) < 0.25) return 0;
    return std::uniform_int_distribution<int>(0, std::max(0, last))(rng_);
  }
  int64_t parameter_count() const {
    int64_t n = 0;
    for (const auto& p : net_->parameters()) n += p.numel();
    return n;
  }

  // Presets with training notes, in a fixed order (the checkpoint's when resuming).
  void split_notes(bool resuming) {
    std::map<std::string, int> index;
    for (size_t i = 0; i < presets_.size(); ++i) index[presets_[i]] = int(i);
    for (size_t i = 0; i < set_.size(); ++i) {
      const NoteRecord& r = set_.note(i);
      if (r.split != "train") continue;
      if (!index.count(r.preset)) {
        if (resuming) throw Error(o_.data_dir, "preset '" + r.preset + "' is not in the checkpoint (train on the same note set)");
        index[r.preset] = int(presets_.size());
        presets_.push_back(r.preset);
      }
      train_.push_back(i);
    }
    for (size_t i = 0; i < set_.size(); ++i)
      if (set_.note(i).split == "validation" && index.count(set_.note(i).preset)) validation_.push_back(i);
    preset_of_.assign(set_.size(), -1);
    for (size_t i = 0; i < set_.size(); ++i)
      if (index.count(set_.note(i).preset)) preset_of_[i] = index[set_.note(i).preset];
    if (train_.empty()) throw Error(o_.data_dir, "has no training notes");
  }

  Crops make_crops(const std::vector<std::pair<size_t, int>>& crops) const {
    const int64_t B = int64_t(crops.size()), C = crop_frames();
    Crops c{torch::empty({B, C}), torch::empty({B, C}), torch::empty({B, C * hop_}), torch::empty({B}, torch::kLong)};
    for (int64_t b = 0; b < B; ++b) {
      const auto [note, start] = crops[size_t(b)];
      c.f0[b].fill_(midi_hz(set_.note(note).pitch));
      c.loudness[b].copy_(loudness_[int64_t(note)].narrow(0, start, C));
      c.target[b].copy_(note_audio(set_, note).narrow(0, int64_t(start) * hop_, C * hop_));
      c.preset[b] = int64_t(preset_of_[note]);
    }
    return c;
  }

  // The loss of crops [first, last) of a batch whose noise is drawn for the whole batch (so a
  // slice sees the noise it has in the whole).
  torch::Tensor loss_of(const std::vector<std::pair<size_t, int>>& all, int64_t noise_seed, size_t first, size_t last,
                        bool with_noise = true) {
    const std::vector<std::pair<size_t, int>> crops(all.begin() + long(first), all.begin() + long(last));
    const Crops c = make_crops(crops);
    const nn::DdspOutputs out = net_->forward(c.f0, c.loudness, net_->embeddings().index_select(0, c.preset));
    torch::Tensor noise;
    {
      torch::NoGradGuard no_grad;
      auto gen = at::make_generator<at::CPUGeneratorImpl>(uint64_t(noise_seed));
      noise = (torch::rand({int64_t(all.size()), c.target.size(1)}, gen) * 2 - 1).narrow(0, int64_t(first), int64_t(last - first));
    }
    torch::Tensor audio = nn::harmonic_audio(c.f0, out.amplitude, out.distribution, rate_, hop_);
    if (with_noise) audio = audio + nn::filtered_noise_audio(out.noise, noise, hop_);
    return nn::multiscale_spectral_loss(audio, c.target, nn::spectral_loss_fft_sizes(rate_));
  }

  // Loudness and pitch statistics of the training notes (magenta.js's settings): the mean of each
  // note's loudest frame, the mean over held frames, the mean pitch.
  nlohmann::json statistics() const {
    double max_sum = 0, mean_sum = 0, pitch_sum = 0;
    int lo = 127, hi = 0;
    for (size_t i : train_) {
      lo = std::min(lo, set_.note(i).pitch);
      hi = std::max(hi, set_.note(i).pitch);
      const torch::Tensor held = loudness_[int64_t(i)].narrow(0, 0, kHeldFrames);
      max_sum += held.max().item<double>();
      mean_sum += held.mean().item<double>();
      pitch_sum += set_.note(i).pitch;
    }
    const double n = double(train_.size());
    return {{"max_loudness_db", max_sum / n}, {"mean_loudness_db", mean_sum / n}, {"mean_pitch", pitch_sum / n},
            {"min_pitch", lo}, {"max_pitch", hi},
            {"loudness", "DDSP's A-weighted loudness of the note at 16 kHz (FFT 2048, frames centred every 64 samples, -20.7 dB, floor -120 dB)"}};
  }

  // Each preset's held-note loudness shape: for each frame of the held part, the median over its
  // training notes of the loudness below the note's own peak, kEnvelopeRate values a second. One
  // shape over all pitches: shapes per 6-semitone band (which cards may carry) measured a lower
  // mean LSD on ddsp-gm (8.76 against 8.88 dB) but made high guitar notes die away far faster
  // than FluidSynth's (-35 against -18 dB after 0.4 s at MIDI 80): DDSP's loudness (a mean of dB
  // over bins) falls much faster than the level, and this decoder follows it too far there.
  nlohmann::json envelopes() const {
    constexpr int kEnvelopeRate = 50, kStride = kFrameRate / kEnvelopeRate;
    std::vector<std::vector<torch::Tensor>> shapes_of(presets_.size());
    for (size_t i : train_) {
      if (preset_of_[i] < 0) continue;
      const torch::Tensor held = loudness_[int64_t(i)].narrow(0, 0, kHeldFrames);
      shapes_of[size_t(preset_of_[i])].push_back(held - held.max());
    }
    nlohmann::json shapes = nlohmann::json::object();
    for (size_t p = 0; p < presets_.size(); ++p) {
      if (shapes_of[p].empty()) continue;
      const torch::Tensor m = std::get<0>(torch::stack(shapes_of[p]).median(0)).slice(0, 0, kHeldFrames, kStride).contiguous();
      std::vector<double> shape;  // to 0.01 dB: the card stays small
      for (int64_t k = 0; k < m.numel(); ++k) shape.push_back(std::round(double(m.data_ptr<float>()[k]) * 100) / 100);
      shapes[presets_[p]] = nlohmann::json::array({shape});
    }
    return {{"rate", kEnvelopeRate}, {"presets", shapes},
            {"about", "per preset: the median over its training notes of each held frame's loudness below the note's peak (dB)"}};
  }

  nlohmann::json card(const nlohmann::json& metrics) const {
    nlohmann::json programs = nlohmann::json::object(), families = nlohmann::json::object();
    for (const auto& r : set_.notes())
      if (preset_of_[size_t(&r - set_.notes().data())] >= 0) {
        if (r.program >= 0) programs[r.preset] = {{"bank", r.bank}, {"program", r.program}};
        families[r.preset] = r.family;
      }
    nlohmann::json c = {
        {"architecture", "ddsp"},
        {"format_version", 1},
        {"hparams", nn::ddsp_config_json(config_)},
        {"sample_rate", rate_},
        {"hop", hop_},
        {"presets", presets_},
        {"timbre_programs", programs},
        {"timbre_families", families},
        {"statistics", statistics()},
        {"envelopes", envelopes()},
        {"steps", step_},
        {"training_seconds", seconds_before_ + std::chrono::duration<double>(Clock::now() - t0_).count()},
        {"training_hardware", cpu_name() + ", " + std::to_string(torch::get_num_threads()) + " thread(s), libtorch CPU"},
        {"recipe", "DDSP decoder (dilated convolutions, per-frame norm, a learned 16-dim embedding per preset at its input) "
                   "through differentiable harmonic (60) + filtered-noise (65 bands) synthesis; DDSP's multi-scale spectral "
                   "loss (FFT 2048..64 at 16 kHz, scaled by rate / 16 kHz, linear + log magnitudes); f0 = the note's pitch, loudness = DDSP's A-weighted "
                   "loudness of the note; random 1 s crops (a quarter at the onset); the first steps through the harmonic "
                   "synthesizer alone; Adam, cosine learning-rate decay"},
        {"training", {{"batch", o_.batch}, {"learning_rate", o_.learning_rate}, {"crop_seconds", o_.crop_seconds}, {"seed", o_.seed},
                      {"harmonic_warmup_steps", o_.harmonic_warmup_steps},
                      {"threads", o_.threads}}},
        {"data", {{"folder", o_.data_dir}, {"licence", o_.data_licence}, {"train_notes", train_.size()},
                  {"validation_notes", validation_.size()}, {"presets", presets_.size()}}}};
    if (!metrics.is_null()) c["metrics"] = metrics;
    return c;
  }

  const DdspTrainOptions& o_;
  int rate_ = 16000, hop_ = 64;  // the note set's rate; hop = rate / 250
  DataParallel& dp_;
  std::function<void(const std::string&)> log_;
  NoteSet set_;
  std::string ckpt_;
  nlohmann::json state_ = nlohmann::json::object();
  nn::DdspConfig config_;
  nn::DdspNet net_{nullptr};
  std::vector<std::string> presets_;
  std::vector<size_t> train_, validation_;
  std::vector<int> preset_of_;
  torch::Tensor loudness_;
  std::unique_ptr<torch::optim::Adam> adam_;
  int64_t step_ = 0;
  double seconds_before_ = 0;
  Clock::time_point t0_ = Clock::now();
  std::mt19937_64 rng_;
};

}  // namespace

DdspTrainReport train_ddsp(const DdspTrainOptions& o) {
  auto log = o.log ? o.log : [](const std::string&) {};
  if (o.out_dir.empty()) throw Error("out_dir", "required");
  if (o.batch < 1) throw Error("batch", "must be positive");
  if (o.crop_seconds < 0.1 || o.crop_seconds > 4.0) throw Error("crop_seconds", "must be in 0.1..4");
  if (o.max_steps <= 0 && o.minutes <= 0) throw Error("max_steps", "give a step count or a time limit (minutes)");
  set_training_threads(o.threads);
  DataParallel dp(distributed_env());
  quiet_unless_leader(dp.env(), log);
  DdspRun run(o, dp, log);
  const LoopSummary summary = run_with_validation(run, o, log, dp.env().leader());
  return run.finish(summary);
}

}  // namespace timbrel::train
