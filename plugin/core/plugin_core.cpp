#include "plugin/core/plugin_core.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <optional>
#include <vector>

#include <dlfcn.h>

#include "render/ddsp_song.h"
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
      {"program", "GM program", "", 0, 127, 0, true},
      {"drum_kit", "Drum kit (GM program, channel 10)", "", 0, 127, 0, true},
      {"gain", "Gain", "dB", -60, 12, 0, false},
      {"attack", "Attack", "s", 0.001f, 2, 0.01f, false},
      {"release", "Release", "s", 0.01f, 5, 0.3f, false},
      {"ready", "Timbre ready", "", 0, 1, 0, true, true},
  }};
  return infos;
}

struct Slot {
  int engine = 0;
  int program = 0, kit = 0;  // whose timbres were last asked of the synths
  std::unique_ptr<Gansynth> gansynth;
  std::unique_ptr<DdspBank> ddsp;
  std::unique_ptr<LiveSynth> synth;
  // Channel 10: the bundled GANSynth drum model's kits, with their high band.
  std::unique_ptr<Gansynth> drum_model;
  std::optional<DrumHighs> highs;
  std::unique_ptr<LiveSynth> drums;
  std::string kit_timbre(int program) const { return "preset:" + drum_model->preset_for_program(program).preset; }
};

namespace {

constexpr size_t kChunk = 256;  // frames per LiveSynth::render call (scratch_ holds them, stereo)
constexpr const char* kBundled[2] = {"gm-timbres", "ddsp-gm"};
constexpr const char* kBundledDrums = "gm-drums";
constexpr int kDrumChannel = 9;

std::string timbre_of(int program) { return "program:" + std::to_string(program); }

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
    if (fs::exists(root / name / "model.json")) return (root / name).string();
  return bundled_model_path(name);
}

std::unique_ptr<Slot> build_slot(int engine, const std::string& model, int program, int kit, double rate, float attack, float release) {
  auto slot = std::make_unique<Slot>();
  slot->engine = engine;
  slot->program = program;
  slot->kit = kit;
  LiveOptions o;
  o.attack = attack;
  o.release = release;
  const std::string drums = resolve_model("", kBundledDrums);
  slot->drum_model = std::make_unique<Gansynth>(Gansynth::load(drums));
  slot->highs = DrumHighs::load_beside(drums);
  slot->drums = std::make_unique<LiveSynth>(gansynth_instrument(*slot->drum_model, o, slot->highs ? &*slot->highs : nullptr), int(rate),
                                            slot->kit_timbre(kit), o);
  const std::string path = resolve_model(model, kBundled[engine]);
  if (engine == 0) {
    slot->gansynth = std::make_unique<Gansynth>(Gansynth::load(path));
    slot->synth = std::make_unique<LiveSynth>(*slot->gansynth, int(rate), timbre_of(program), o);
  } else {
    slot->ddsp = std::make_unique<DdspBank>(path);
    slot->synth = std::make_unique<LiveSynth>(ddsp_instrument(*slot->ddsp, DdspPerformanceOptions{}), int(rate), timbre_of(program), o);
  }
  return slot;
}

}  // namespace

Core::Core(double sample_rate, const std::string& model, const std::string& ddsp_model)
    : rate_(sample_rate), model_(model), ddsp_model_(ddsp_model) {
  if (!(sample_rate >= 8000 && sample_rate <= 384000)) throw Error("sample_rate", "must be within 8000..384000 Hz");
  for (uint32_t i = 0; i < kParameterCount; ++i) values_[i].store(parameter_infos()[i].def);
  std::unique_ptr<Slot> first = build_slot(0, model_, 0, 0, rate_, parameter(kAttack), parameter(kRelease));
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
  const float attack = parameter(kAttack), release = parameter(kRelease);
  if (attack != attack_applied_ || release != release_applied_) {
    playing_->synth->set_envelope(attack, release);
    attack_applied_ = attack, release_applied_ = release;
  }
}

void Core::render_until(uint32_t frame) noexcept {
  frame = std::min(frame, frames_);
  const float target = std::pow(10.0f, parameter(kGainDb) / 20);
  while (done_ < frame) {
    const uint32_t n = std::min<uint32_t>(frame - done_, kChunk);
    playing_->synth->render(scratch_.data(), n);
    playing_->drums->render(drum_scratch_.data(), n);
    const float step = (target - gain_) / float(n);  // the gain glides over each chunk
    for (uint32_t i = 0; i < n; ++i) {
      gain_ += step;
      left_[done_ + i] = gain_ * (scratch_[2 * i] + drum_scratch_[2 * i]);
      right_[done_ + i] = gain_ * (scratch_[2 * i + 1] + drum_scratch_[2 * i + 1]);
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
  LiveSynth& synth = channel == kDrumChannel ? *playing_->drums : *playing_->synth;
  if (status == 0xC0) return set_parameter(channel == kDrumChannel ? kDrumKit : kProgram, float(data1));  // the worker renders it
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
  if ((index == kEngine || index == kProgram || index == kDrumKit) && before != value) ready_.store(false, std::memory_order_relaxed);
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
    fresh = build_slot(engine, model, int(parameter(kProgram)), int(parameter(kDrumKit)), rate_, parameter(kAttack), parameter(kRelease));
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

// A program (or kit) change on the playing engine: the synth re-renders its cache in the background.
void Core::apply_program() {
  const int program = int(parameter(kProgram)), kit = int(parameter(kDrumKit));
  try {
    if (program != latest_->program) latest_->program = program, latest_->synth->set_timbre(timbre_of(program));
    if (kit != latest_->kit) latest_->kit = kit, latest_->drums->set_timbre(latest_->kit_timbre(kit));
  } catch (const std::exception& e) {
    error_ = e.what();
  }
}

// Nothing asked for is still to be built (caller holds mutex_).
bool Core::all_built() const {
  return !rebuild_needed() && int(parameter(kProgram)) == latest_->program && int(parameter(kDrumKit)) == latest_->kit &&
         latest_->synth->idle() && latest_->drums->idle();
}

void Core::worker_loop() {
  std::unique_lock<std::mutex> lock(mutex_);
  while (!stop_) {
    wake_.wait_for(lock, std::chrono::milliseconds(5));
    delete retired_.exchange(nullptr, std::memory_order_acq_rel);
    if (stop_) break;
    if (rebuild_needed()) build_and_publish(lock);
    else apply_program();
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
