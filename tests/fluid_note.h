#pragma once
// One note through libfluidsynth (FluidSynth 2.3's defaults, FluidR3_GM), for tests that measure
// FluidSynth's effects: the room's reverb and chorus, and the presets' own effect sends.
#include <fluidsynth.h>

#include <string>
#include <vector>

namespace timbrel::test {

constexpr const char* kFluidR3 = "/usr/share/sounds/sf2/FluidR3_GM.sf2";

struct FluidNote {
  int bank, program, key;
};

struct Stereo {
  std::vector<float> left, right;
};

// The note at velocity 100, held 50 ms, `seconds` long at `rate`, with only the effect unit
// `effect` ("reverb", "chorus" or "" for none) on and the channel's CC91 and CC93 at `cc`.
inline Stereo fluid_note(const FluidNote& note, const std::string& effect, int cc, double seconds, int rate) {
  for (int level : {FLUID_PANIC, FLUID_ERR, FLUID_WARN, FLUID_INFO, FLUID_DBG}) fluid_set_log_function(level, nullptr, nullptr);
  fluid_settings_t* settings = new_fluid_settings();
  fluid_settings_setnum(settings, "synth.sample-rate", rate);
  fluid_settings_setint(settings, "synth.reverb.active", effect == "reverb");
  fluid_settings_setint(settings, "synth.chorus.active", effect == "chorus");
  fluid_settings_setint(settings, "synth.cpu-cores", 1);
  fluid_synth_t* synth = new_fluid_synth(settings);
  const int font = fluid_synth_sfload(synth, kFluidR3, 1);
  if (note.bank == 128) fluid_synth_set_channel_type(synth, 0, CHANNEL_TYPE_DRUM);
  fluid_synth_program_select(synth, 0, font, note.bank, note.program);
  fluid_synth_cc(synth, 0, 91, cc);
  fluid_synth_cc(synth, 0, 93, cc);
  const int n = int(seconds * rate), held = rate / 20;
  Stereo out{std::vector<float>(size_t(n)), std::vector<float>(size_t(n))};
  fluid_synth_noteon(synth, 0, note.key, 100);
  fluid_synth_write_float(synth, held, out.left.data(), 0, 1, out.right.data(), 0, 1);
  fluid_synth_noteoff(synth, 0, note.key);
  fluid_synth_write_float(synth, n - held, out.left.data(), held, 1, out.right.data(), held, 1);
  delete_fluid_synth(synth);
  delete_fluid_settings(settings);
  return out;
}

}  // namespace timbrel::test
