#include "train/soundfont_notes.h"

#include <fluidsynth.h>

#include <algorithm>
#include <filesystem>
#include <memory>
#include <mutex>

#include "timbrel/error.h"
#include "timbrel/spectral.h"

namespace timbrel::train {
namespace {

constexpr int kHeldSamples = 3 * kNoteSampleRate;

void quiet_fluidsynth_logs() {
  static std::once_flag once;
  std::call_once(once, [] {
    // FluidSynth prints to stderr by default (e.g. for every SF3 sample it decodes).
    for (int level : {FLUID_PANIC, FLUID_ERR, FLUID_WARN, FLUID_INFO, FLUID_DBG}) fluid_set_log_function(level, nullptr, nullptr);
  });
}

struct Synth {
  fluid_settings_t* settings = nullptr;
  fluid_synth_t* synth = nullptr;
  int font = -1;
  explicit Synth(const std::string& path) {
    quiet_fluidsynth_logs();
    if (!std::filesystem::is_regular_file(path)) throw Error(path, "no such SoundFont file");
    settings = new_fluid_settings();
    fluid_settings_setnum(settings, "synth.sample-rate", double(kNoteSampleRate));
    fluid_settings_setint(settings, "synth.reverb.active", 0);
    fluid_settings_setint(settings, "synth.chorus.active", 0);
    fluid_settings_setint(settings, "synth.cpu-cores", 1);
    fluid_settings_setnum(settings, "synth.gain", 0.5);
    synth = new_fluid_synth(settings);
    // A throwing constructor runs no destructor: free what exists before throwing.
    if (!synth) {
      release();
      throw Error(path, "cannot create a FluidSynth synthesiser");
    }
    font = fluid_synth_sfload(synth, path.c_str(), 0);
    if (font == FLUID_FAILED) {
      release();
      throw Error(path, "FluidSynth cannot load it as a SoundFont (.sf2/.sf3)");
    }
  }
  ~Synth() { release(); }
  void release() {
    if (synth) delete_fluid_synth(synth);
    if (settings) delete_fluid_settings(settings);
    synth = nullptr;
    settings = nullptr;
  }
  Synth(const Synth&) = delete;
  Synth& operator=(const Synth&) = delete;
};

}  // namespace

std::vector<SoundFontPreset> list_soundfont_presets(const std::string& path) {
  Synth s(path);
  fluid_sfont_t* font = fluid_synth_get_sfont_by_id(s.synth, s.font);
  std::vector<SoundFontPreset> out;
  fluid_sfont_iteration_start(font);
  while (fluid_preset_t* p = fluid_sfont_iteration_next(font))
    out.push_back({path, fluid_preset_get_banknum(p), fluid_preset_get_num(p), fluid_preset_get_name(p)});
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return std::tie(a.bank, a.program) < std::tie(b.bank, b.program); });
  return out;
}

std::vector<std::vector<float>> render_preset_notes(const SoundFontPreset& preset, const std::vector<int>& pitches,
                                                    const std::vector<int>& velocities) {
  Synth s(preset.soundfont);
  // Channel 9 is the GM drum channel; bank 128 presets are selected there.
  const int channel = preset.bank == 128 ? 9 : 0;
  if (preset.bank == 128) fluid_synth_set_channel_type(s.synth, channel, CHANNEL_TYPE_DRUM);
  if (fluid_synth_program_select(s.synth, channel, s.font, preset.bank, preset.program) != FLUID_OK)
    throw Error(preset.soundfont, "cannot select preset " + std::to_string(preset.bank) + ":" + std::to_string(preset.program));
  std::vector<float> left(kNoteSamples), right(kNoteSamples);
  std::vector<std::vector<float>> out;
  for (int pitch : pitches) {
    for (int velocity : velocities) {
      fluid_synth_cc(s.synth, channel, 7, 127);
      fluid_synth_cc(s.synth, channel, 11, 127);
      fluid_synth_noteon(s.synth, channel, pitch, velocity);
      fluid_synth_write_float(s.synth, kHeldSamples, left.data(), 0, 1, right.data(), 0, 1);
      fluid_synth_noteoff(s.synth, channel, pitch);
      fluid_synth_write_float(s.synth, kNoteSamples - kHeldSamples, left.data(), kHeldSamples, 1, right.data(),
                              kHeldSamples, 1);
      fluid_synth_all_sounds_off(s.synth, channel);
      std::vector<float> mono(kNoteSamples);
      for (int i = 0; i < kNoteSamples; ++i) mono[size_t(i)] = 0.5f * (left[size_t(i)] + right[size_t(i)]);
      out.push_back(std::move(mono));
      // Let the voice allocator forget the killed voices before the next note.
      fluid_synth_write_float(s.synth, 64, left.data(), 0, 1, right.data(), 0, 1);
    }
  }
  return out;
}

}  // namespace timbrel::train
