#include "plugin/core/plugin_core.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <optional>
#include <vector>

#include <dlfcn.h>

#include "render/ddsp_bank.h"
#include "render/drum_highs.h"
#include "render/live_synth.h"
#include "timbrel/bundled_models.h"
#include "timbrel/error.h"
#include "timbrel/gansynth.h"

namespace timbrel::plugin {
namespace fs = std::filesystem;

const std::array<ParameterInfo, kParameterCount>& parameter_infos() {
  static const std::array<ParameterInfo, kParameterCount> infos{{
      {"engine", "Engine (0 GANSynth, 1 DDSP)", "", 0, 1, 0, true},
      {"timbre_mode", "Timbre", "", 0, kTimbreModes - 1, kModeGmPrograms, true},
      {"program", "GM program", "", 0, 127, 0, true},
      {"preset", "Model preset", "", 0, 255, 0, true},  // gm-timbres has 141, the DDSP bank 158
      {"seed", "Seed", "", 0, 65535, 0, true},
      {"morph_a", "Morph from (GM program)", "", 0, 127, 0, true},
      {"morph_b", "Morph to (GM program)", "", 0, 127, 40, true},
      {"morph", "Morph position", "", 0, 1, 0, false},
      {"pad_x", "Pad x", "", 0, 1, 0.5f, false},
      {"pad_y", "Pad y", "", 0, 1, 0.5f, false},
      {"corner_a", "Pad corner A (GM program, x 0 y 0)", "", 0, 127, 0, true},
      {"corner_b", "Pad corner B (GM program, x 1 y 0)", "", 0, 127, 40, true},
      {"corner_c", "Pad corner C (GM program, x 0 y 1)", "", 0, 127, 73, true},
      {"corner_d", "Pad corner D (GM program, x 1 y 1)", "", 0, 127, 56, true},
      {"drum_kit", "Drum kit (GM program, channel 10)", "", 0, 127, 0, true},
      {"gain", "Gain", "dB", -60, 12, 0, false},
      {"attack", "Attack", "s", 0.001f, 2, 0.01f, false},
      {"release", "Release", "s", 0.01f, 5, 0.3f, false},
      {"vibrato", "DDSP vibrato", "cents", 0, 100, 12, false},
      {"glide", "DDSP glide", "s", 0, 1, 0.06f, false},
      {"ready", "Timbre ready", "", 0, 1, 0, true, true},
  }};
  return infos;
}

// One synth for all 16 channels (one room, as render's mix): the engine's melodic timbres, and on
// channel 10 the bundled GANSynth drum model's kits with their high band.
struct Slot {
  int engine = 0;
  std::array<std::string, 16> timbres;  // each channel's, as last asked of the synth
  std::unique_ptr<Gansynth> gansynth;
  std::unique_ptr<DdspBank> ddsp;
  std::vector<std::string> ddsp_presets;  // the bank's, each name once
  std::unique_ptr<Gansynth> drum_model;
  std::optional<DrumHighs> highs;
  std::unique_ptr<LiveSynth> synth;
  std::string kit(int program) const {
    return kDrumTimbrePrefix + ("preset:" + drum_model->preset_for_program(program).preset);
  }
  const std::vector<std::string>& presets() const {  // the melodic model's, in its card's order (a bank's: DdspBank::presets)
    return gansynth ? gansynth->info().timbre_names : ddsp_presets;
  }
  // GM program N; a GANSynth model whose card maps no programs plays its N-th preset (or seed N).
  std::string program(int n) const {
    if (!gansynth || gansynth->info().gm_programs) return "program:" + std::to_string(n);
    const std::vector<std::string>& names = presets();
    return names.empty() ? "seed:" + std::to_string(n) : "preset:" + names[size_t(n) % names.size()];
  }
};

namespace {

constexpr size_t kChunk = 256;  // frames per LiveSynth::render call (scratch_ holds them, stereo)
constexpr const char* kBundled[2] = {"gm-timbres", "ddsp-bank"};
constexpr const char* kBundledDrums = "gm-drums";
constexpr int kDrumChannel = 9;


// The installed models beside this plug-in binary: PREFIX/share/timbrel/models, PREFIX being an
// ancestor of PREFIX/lib/lv2/B.lv2/, PREFIX/lib/vst3/B.vst3/Contents/ARCH/, PREFIX/lib/clap/ or
// PREFIX/bin/ (wherever the package was installed, or moved).
std::vector<fs::path> model_roots() {
  std::vector<fs::path> roots;
  Dl_info self;
  if (::dladdr(reinterpret_cast<void*>(&model_roots), &self) && self.dli_fname) {
    std::error_code ec;
    fs::path dir = fs::absolute(self.dli_fname, ec).parent_path();
    for (int up = 0; up < 6 && !dir.empty() && dir != dir.root_path(); ++up, dir = dir.parent_path())
      roots.push_back(dir / "share" / "timbrel" / "models");
  }
  roots.emplace_back(TIMBREL_PLUGIN_INSTALLED_MODELS);
  roots.emplace_back(TIMBREL_PLUGIN_SOURCE_MODELS);
  return roots;
}

// "" = the engine's bundled model; a bare name = a bundled model of that name (saved projects stay
// portable between machines); anything else = a folder. Bundled models are looked for beside the
// plug-in, where this build installs them and in its source tree, then where
// timbrel/bundled_models.h looks.
std::string resolve_model(const std::string& given, const char* bundled) {
  const std::string name = given.empty() ? bundled : given;
  if (name.find('/') != std::string::npos) {
    if (!fs::is_directory(name)) throw Error(name, "model folder not found on this machine");
    return name;
  }
  for (const fs::path& root : model_roots())
    if (fs::exists(root / name / "model.json") || fs::exists(root / name / "bank.json")) return (root / name).string();
  return bundled_model_path(name);
}

// The models of `engine` and channel 10's kits, not yet playing.
std::unique_ptr<Slot> load_slot(int engine, const std::string& model) {
  auto slot = std::make_unique<Slot>();
  slot->engine = engine;
  const std::string drums = resolve_model("", kBundledDrums);
  slot->drum_model = std::make_unique<Gansynth>(Gansynth::load(drums));
  slot->highs = DrumHighs::load_beside(drums);
  const std::string path = resolve_model(model, kBundled[engine]);
  if (engine == 0) slot->gansynth = std::make_unique<Gansynth>(Gansynth::load(path));
  else {
    slot->ddsp = std::make_unique<DdspBank>(path);
    slot->ddsp_presets = slot->ddsp->presets();
  }
  return slot;
}

// The slot's synth, each channel playing its timbre; its caches are all rendered on return.
void start_synth(Slot& slot, const std::array<std::string, 16>& timbres, double rate, float attack, float release) {
  LiveOptions o;
  o.attack = attack;
  o.release = release;
  std::unique_ptr<LiveInstrument> kits = gansynth_instrument(*slot.drum_model, o, slot.highs ? &*slot.highs : nullptr);
  std::unique_ptr<LiveInstrument> melodic =
      slot.gansynth ? gansynth_instrument(*slot.gansynth, o) : ddsp_instrument(*slot.ddsp, DdspPerformanceOptions{});
  slot.synth = std::make_unique<LiveSynth>(gm_instrument(std::move(melodic), std::move(kits)), int(rate), timbres[0], o);
  for (int ch = 1; ch < 16; ++ch)
    if (timbres[size_t(ch)] != timbres[0]) slot.synth->set_timbre(timbres[size_t(ch)], ch);
  while (!slot.synth->idle()) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  const std::string error = slot.synth->last_error();
  if (!error.empty()) throw Error("timbre", error);
  slot.timbres = timbres;
}

// Positions on the morph line and the pad, in the steps each a timbre of its own.
double step_of(float position) { return std::round(double(position) * 32) / 32; }

}  // namespace

Core::Core(double sample_rate, const std::string& model, const std::string& ddsp_model)
    : rate_(sample_rate), model_(model), ddsp_model_(ddsp_model) {
  if (!(sample_rate >= 8000 && sample_rate <= 384000)) throw Error("sample_rate", "must be within 8000..384000 Hz");
  for (uint32_t i = 0; i < kParameterCount; ++i) values_[i].store(parameter_infos()[i].def);
  program_seen_ = int(parameter(kProgram));
  for (auto& p : channel_programs_) p.store(program_seen_.load());
  std::unique_ptr<Slot> first = load_slot(0, model_);
  start_synth(*first, wanted_timbres(*first), rate_, parameter(kAttack), parameter(kRelease));
  built_model_ = model_;
  built_ddsp_model_ = ddsp_model_;
  latest_ = playing_ = first.release();
  worker_ = std::thread([this] { worker_loop(); });
}

Core::~Core() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stop_ = true;
  }
  wake_.notify_all();
  worker_.join();
  Slot* pending = pending_.exchange(nullptr);
  delete retired_.exchange(nullptr);
  if (pending != playing_) delete pending;
  delete playing_;
}

// --- Audio thread.

void Core::begin_block(float* left, float* right, uint32_t frames) noexcept {
  left_ = left, right_ = right, frames_ = frames, done_ = 0;
  // A slot the worker finished: play it from now; the old one goes back once retired_ is free.
  if (!retired_.load(std::memory_order_acquire))
    if (Slot* fresh = pending_.exchange(nullptr, std::memory_order_acq_rel)) {
      retired_.store(std::exchange(playing_, fresh), std::memory_order_release);
      engine_playing_.store(fresh->engine, std::memory_order_relaxed);
    }
  playing_->synth->set_envelope(parameter(kAttack), parameter(kRelease));  // two relaxed stores
  // GANSynth's timbres carry their own vibrato; DDSP's cached notes are steady and get the player's.
  const bool ddsp = playing_->ddsp != nullptr;
  playing_->synth->set_performance(ddsp ? parameter(kVibrato) : 0.0, ddsp ? parameter(kGlide) : 0.0);
}

void Core::render_until(uint32_t frame) noexcept {
  frame = std::min(frame, frames_);
  const float target = std::pow(10.0f, parameter(kGainDb) / 20);
  while (done_ < frame) {
    const uint32_t n = std::min<uint32_t>(frame - done_, kChunk);
    playing_->synth->render(scratch_.data(), n);
    const float step = (target - gain_) / float(n);  // the gain glides over each chunk
    for (uint32_t i = 0; i < n; ++i) {
      gain_ += step;
      left_[done_ + i] = gain_ * scratch_[2 * i];
      right_[done_ + i] = gain_ * scratch_[2 * i + 1];
    }
    gain_ = target;
    done_ += n;
  }
}

void Core::end_block() noexcept { render_until(frames_); }

void Core::midi(const uint8_t* m, uint32_t size) noexcept {
  if (size < 2) return;
  const unsigned status = m[0] & 0xF0u;
  const int channel = m[0] & 0x0F, data1 = m[1] & 0x7F, data2 = size >= 3 ? m[2] & 0x7F : 0;
  LiveSynth& synth = *playing_->synth;
  if (status == 0xC0) {  // the worker renders it
    if (channel == kDrumChannel) return set_parameter(kDrumKit, float(data1));
    if (channel_programs_[size_t(channel)].exchange(data1, std::memory_order_relaxed) != data1) ready_.store(false, std::memory_order_relaxed);
    return;
  }
  if (size < 3) return;
  if (status == 0x90) synth.note_on(data1, data2, channel);
  else if (status == 0x80) synth.note_off(data1, channel);
  else if (status == 0xB0) synth.control_change(data1, data2, channel);
  else if (status == 0xE0) synth.pitch_bend((data2 << 7 | data1) - 8192, channel);
}

// --- Any thread.

void Core::set_parameter(uint32_t index, float value) noexcept {
  if (index >= kParameterCount || std::isnan(value)) return;
  const ParameterInfo& p = parameter_infos()[index];
  if (p.output) return;
  value = std::clamp(value, p.min, p.max);
  if (p.integer) value = std::round(value);
  // A new engine or program is not ready until the worker has built it.
  const float before = values_[index].exchange(value, std::memory_order_relaxed);
  if (index <= kDrumKit && before != value) ready_.store(false, std::memory_order_relaxed);  // the engine and timbre parameters
}

float Core::parameter(uint32_t index) const noexcept {
  if (index == kReady) return ready_.load(std::memory_order_relaxed) ? 1.0f : 0.0f;
  return index < kParameterCount ? values_[index].load(std::memory_order_relaxed) : 0.0f;
}

// --- Main thread and worker.

std::string Core::state(const std::string& key) const {
  std::lock_guard<std::mutex> lock(mutex_);
  if (key == kStateModel) return model_;
  if (key == kStateDdspModel) return ddsp_model_;
  return "";
}

void Core::set_state(const std::string& key, const std::string& value) {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (key == kStateModel) model_ = value;
    else if (key == kStateDdspModel) ddsp_model_ = value;
    else return;
    idle_ = false;
    ready_.store(false, std::memory_order_relaxed);
  }
  wake_.notify_all();
}

std::string Core::last_error() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return error_;
}

int Core::wanted_engine() const { return int(parameter(kEngine)); }

bool Core::rebuild_needed() const {
  const int engine = wanted_engine();
  if (engine != latest_->engine && engine != failed_engine_) return true;
  return engine == 0 ? model_ != built_model_ : ddsp_model_ != built_ddsp_model_;
}

// Builds the slot the parameters and state ask for, off the audio thread; on failure the playing
// slot stays and the error is kept (and not retried until the request changes).
void Core::build_and_publish(std::unique_lock<std::mutex>& lock) {
  const int engine = wanted_engine();
  const std::string model = engine == 0 ? model_ : ddsp_model_;
  (engine == 0 ? built_model_ : built_ddsp_model_) = model;
  lock.unlock();
  std::unique_ptr<Slot> fresh;
  std::string error;
  try {
    follow_program_parameter();
    fresh = load_slot(engine, model);
    start_synth(*fresh, wanted_timbres(*fresh), rate_, parameter(kAttack), parameter(kRelease));
  } catch (const std::exception& e) {
    error = e.what();
  }
  lock.lock();
  if (!fresh) {
    error_ = error;
    failed_engine_ = engine;
    return;
  }
  error_.clear();
  failed_engine_ = -1;
  // A slot the audio thread never took (superseded before a block ran) is ours to free.
  Slot* unused = pending_.exchange(fresh.get(), std::memory_order_acq_rel);
  latest_ = fresh.release();
  delete unused;
}

// A new value of the program parameter plays on every melodic channel (until a program change).
void Core::follow_program_parameter() {
  const int program = int(parameter(kProgram));
  if (program == program_seen_.load()) return;
  for (auto& p : channel_programs_) p.store(program, std::memory_order_relaxed);
  program_seen_.store(program);
}

// Each channel's program: its own since a program change, or a new value of the parameter.
std::array<int, 16> Core::wanted_programs() const {
  const int parameter_now = int(parameter(kProgram));
  const bool followed = parameter_now == program_seen_.load();
  std::array<int, 16> programs{};
  for (size_t ch = 0; ch < programs.size(); ++ch) programs[ch] = followed ? channel_programs_[ch].load(std::memory_order_relaxed) : parameter_now;
  programs[kDrumChannel] = int(parameter(kDrumKit));
  return programs;
}

// Each channel's timbre as the parameters ask it of `slot`'s models (channel 10: its kit).
std::array<std::string, 16> Core::wanted_timbres(const Slot& slot) const {
  const int mode = int(parameter(kTimbreMode));
  auto program = [&](Parameter p) { return slot.program(int(parameter(p))); };
  std::string shared;  // one timbre on every melodic channel; "" = each channel's program
  const std::vector<std::string>& presets = slot.presets();
  if (mode == kModePreset && !presets.empty()) shared = "preset:" + presets[size_t(parameter(kPreset)) % presets.size()];
  if (slot.gansynth && mode == kModeSeed) shared = "seed:" + std::to_string(int(parameter(kSeed)));
  if (slot.gansynth && mode == kModeMorph) shared = morph_timbre(program(kMorphA), program(kMorphB), step_of(parameter(kMorphPosition)));
  if (slot.gansynth && mode == kModePad)
    shared = pad_timbre(step_of(parameter(kPadX)), step_of(parameter(kPadY)),
                        {program(kCornerA), program(kCornerB), program(kCornerC), program(kCornerD)});
  const std::array<int, 16> programs = wanted_programs();
  std::array<std::string, 16> timbres;
  for (int ch = 0; ch < 16; ++ch)
    timbres[size_t(ch)] = ch == kDrumChannel ? slot.kit(programs[size_t(ch)]) : !shared.empty() ? shared : slot.program(programs[size_t(ch)]);
  return timbres;
}

// Timbre changes on the playing engine: the synth renders their caches in the background.
void Core::apply_timbres() {
  follow_program_parameter();
  const std::array<std::string, 16> wanted = wanted_timbres(*latest_);
  for (int ch = 0; ch < 16; ++ch) {
    if (wanted[size_t(ch)] == latest_->timbres[size_t(ch)]) continue;
    latest_->timbres[size_t(ch)] = wanted[size_t(ch)];
    try {
      latest_->synth->set_timbre(wanted[size_t(ch)], ch);
    } catch (const std::exception& e) {
      error_ = e.what();
    }
  }
}

// Nothing asked for is still to be built (caller holds mutex_).
bool Core::all_built() const {
  try {
    return !rebuild_needed() && wanted_timbres(*latest_) == latest_->timbres && latest_->synth->idle();
  } catch (const std::exception&) {
    return true;  // nothing more will be built (worker_loop keeps the error)
  }
}

// What the worker reports beside a failed build: a timbre the synth could not render, or a mode
// the engine cannot play (caller holds mutex_).
void Core::update_error() {
  const std::string synth_error = latest_->synth->last_error();
  if (!synth_error.empty() && synth_error != synth_error_seen_) error_ = synth_error_seen_ = synth_error;
  const char* ddsp_only = "the DDSP engine plays GM programs and model presets (seeds, morphs and pads are GANSynth's)";
  if (latest_->ddsp && int(parameter(kTimbreMode)) >= kModeSeed) error_ = ddsp_only;
  else if (error_ == ddsp_only) error_.clear();
}

void Core::worker_loop() {
  std::unique_lock<std::mutex> lock(mutex_);
  while (!stop_) {
    wake_.wait_for(lock, std::chrono::milliseconds(5));
    delete retired_.exchange(nullptr, std::memory_order_acq_rel);
    if (stop_) break;
    try {
      if (rebuild_needed()) build_and_publish(lock);
      else apply_timbres();
      update_error();
    } catch (const std::exception& e) {  // e.g. a drum model without kits: said, not fatal
      error_ = e.what();
    }
    idle_ = all_built();
    ready_.store(idle_, std::memory_order_relaxed);
  }
}

bool Core::settled() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return idle_ && all_built();
}

bool Core::wait_until_settled(double seconds) const {
  const auto until = std::chrono::steady_clock::now() + std::chrono::duration<double>(seconds);
  while (std::chrono::steady_clock::now() < until) {
    if (settled()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return false;
}

}  // namespace timbrel::plugin
