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

std::vector<float> render_sequence_with_soundfont(const NoteSequence& seq, const std::string& soundfont) {
  Synth s(soundfont);
  struct Event {
    size_t at;
    bool on;
    const Note* note;
  };
  std::vector<Event> events;
  for (const Note& n : seq.notes) {
    const size_t on = size_t(std::max(0.0, n.start_time) * kNoteSampleRate);
    events.push_back({on, true, &n});
    events.push_back({std::max(on + 1, size_t(std::max(0.0, n.end_time) * kNoteSampleRate)), false, &n});
  }
  // Offs before ons at the same sample, so a repeated note is struck again.
  std::stable_sort(events.begin(), events.end(), [](const Event& a, const Event& b) { return a.at != b.at ? a.at < b.at : !a.on && b.on; });
  constexpr double kMaxSeconds = 4 * 3600.0;
  const size_t total = events.empty() ? 0 : events.back().at + kNoteSampleRate;
  if (double(total) / kNoteSampleRate > kMaxSeconds) throw Error("soundfont render", "the sequence lasts more than 4 h");
  std::vector<float> left(total), right(total), mono(total);
  std::vector<int> program(16, -1);
  for (int ch = 0; ch < 16; ++ch) fluid_synth_cc(s.synth, ch, 11, 127);
  // The font was loaded without assigning presets: channel 10 gets the GM kit (bank 128:0).
  fluid_synth_set_channel_type(s.synth, 9, CHANNEL_TYPE_DRUM);
  if (fluid_synth_program_select(s.synth, 9, s.font, 128, 0) != FLUID_OK)
    for (const Note& n : seq.notes)
      if (n.is_drum) throw Error(soundfont, "has no drum kit (bank 128, program 0)");
  size_t done = 0;
  auto advance = [&](size_t to) {
    if (to > done)
      fluid_synth_write_float(s.synth, int(to - done), left.data(), int(done), 1, right.data(), int(done), 1);
    done = std::max(done, to);
  };
  for (const Event& e : events) {
    advance(e.at);
    const Note& n = *e.note;
    const int ch = n.is_drum ? 9 : (n.channel == 9 ? 0 : std::clamp(n.channel, 0, 15));
    if (!e.on) {
      fluid_synth_noteoff(s.synth, ch, n.pitch);
      continue;
    }
    if (!n.is_drum && program[size_t(ch)] != n.program) {
      fluid_synth_program_change(s.synth, ch, std::clamp(n.program, 0, 127));
      program[size_t(ch)] = n.program;
    }
    fluid_synth_noteon(s.synth, ch, std::clamp(n.pitch, 0, 127), std::clamp(n.velocity, 1, 127));
  }
  advance(total);
  for (size_t i = 0; i < total; ++i) mono[i] = 0.5f * (left[i] + right[i]);
  return mono;
}

}  // namespace timbrel::train
