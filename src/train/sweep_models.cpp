#include "train/sweep_models.h"

#include <algorithm>
#include <filesystem>

#include "render/ddsp_bank.h"
#include "synth/ddsp_performance.h"
#include "timbrel/error.h"

namespace timbrel::train {
namespace {

constexpr int kFirstGmDrum = 35, kLastGmDrum = 81;

}  // namespace

SweepModel gansynth_sweep_model(const Gansynth& g, const InverseOptions& inverse) {
  SweepModel m;
  const GansynthConfig& c = g.info().config;
  m.drums = g.info().drums;
  m.lo = m.drums ? std::max(c.min_pitch, kFirstGmDrum) : c.min_pitch;
  m.hi = m.drums ? std::min(c.max_pitch(), kLastGmDrum) : c.max_pitch();
  const auto& names = g.info().timbre_names;
  if (m.drums)
    m.default_timbres = {std::find(names.begin(), names.end(), "Standard") != names.end() ? "preset:Standard" : "preset:" + names.at(0)};
  else if (g.info().gm_programs)
    m.default_timbres = {"program:0", "program:40", "program:73"};
  else
    m.default_timbres = {"seed:0", "seed:1", "seed:2"};
  m.programs = g.preset_programs();
  m.preset_of = [&g](const std::string& spec) -> std::string {
    const TimbreSpec parsed = parse_timbre_spec(spec);
    if (parsed.kind == TimbreSpec::Kind::Preset) return parsed.name;
    if (parsed.kind == TimbreSpec::Kind::Program) return g.preset_for_program(parsed.program).preset;
    return "";
  };
  m.notes = [&g, inverse](const std::string& spec, const std::vector<int>& pitches, int threads) {
    const std::vector<float> z = g.timbre(spec);
    std::vector<float> zs;
    for (size_t i = 0; i < pitches.size(); ++i) zs.insert(zs.end(), z.begin(), z.end());
    std::vector<float> audio(pitches.size() * kNoteSamples);
    g.generate_audio(zs, pitches, inverse, audio.data(), {}, {}, threads);
    return audio;
  };
  m.relative_db = [&g](const std::string& spec, int pitch) { return g.relative_level_db(g.timbre(spec), pitch); };
  return m;
}

SweepModel ddsp_sweep_model(const DdspBank& bank, const std::string& name) {
  SweepModel m;
  const Ddsp& first = *bank.voice(0).model;
  for (const std::string& model : bank.names()) {
    const DdspInfo& info = bank.model(model).info();
    if (info.settings.empty()) throw Error(name, "model " + model + " has no loudness statistics (settings.json) to play notes with");
    if (info.sample_rate != first.info().sample_rate)
      throw Error(name, "mixes DDSP models of different sample rates (" + model + ": " + std::to_string(info.sample_rate) + " Hz, " +
                            std::to_string(first.info().sample_rate) + " Hz)");
    for (size_t i = 0; i < info.presets.size(); ++i)
      if (info.preset_programs[i] >= 0) m.programs[info.presets[i]] = {0, info.preset_programs[i]};
  }
  const bool magenta = bank.single() && first.info().presets.empty();
  // Trained here: the note set's range; Magenta's: two octaves around the mean pitch.
  m.lo = magenta ? int(first.info().mean_pitch) - 12 : 24;
  m.hi = magenta ? int(first.info().mean_pitch) + 12 : 84;
  // The voice a spec names: "model" (Magenta's one instrument), program:N or preset:NAME.
  std::function<DdspVoice(const std::string&)> voice_of = [&bank](const std::string& spec) {
    const TimbreSpec parsed = parse_timbre_spec(spec);
    if (parsed.kind == TimbreSpec::Kind::Program) return bank.voice(parsed.program);
    if (parsed.kind == TimbreSpec::Kind::Preset) return bank.preset_voice(parsed.name);
    throw Error(spec, "expected preset:NAME or program:N");
  };
  if (magenta) {
    m.default_timbres = {"model"};
    // Magenta's instruments, named by their folders: the General MIDI program of the truth.
    const std::string folder = std::filesystem::path(name).lexically_normal().filename().string();
    const std::map<std::string, int> programs{{"violin", 40}, {"trumpet", 56}, {"tenor_saxophone", 66}, {"flute", 73}};
    if (programs.count(folder)) m.programs[folder] = {0, programs.at(folder)};
    m.preset_of = [folder, programs](const std::string& spec) { return spec == "model" && programs.count(folder) ? folder : std::string(); };
    voice_of = [&bank](const std::string&) { return bank.voice(0); };
  } else {
    for (int program : {0, 40, 73}) {  // the ones the bank learned
      std::map<int, std::string> substituted;
      bank.voice(program, &substituted);
      if (substituted.empty()) m.default_timbres.push_back("program:" + std::to_string(program));
    }
    const std::vector<std::string> presets = bank.presets();
    if (m.default_timbres.empty() && !presets.empty()) m.default_timbres = {"preset:" + presets.front()};
    m.preset_of = [voice_of](const std::string& spec) -> std::string {
      const std::string voice = voice_of(spec).name;  // MODEL/PRESET, or MODEL (no presets)
      const size_t slash = voice.find('/');
      return slash == std::string::npos ? std::string() : voice.substr(slash + 1);
    };
  }
  m.sample_rate = first.info().sample_rate;
  m.levels_notes = false;
  m.notes = [voice_of](const std::string& spec, const std::vector<int>& pitches, int) {
    const DdspVoice v = voice_of(spec);
    const DdspInfo& in = v.model->info();
    synth::PerformanceOptions o;
    o.frame_rate = in.sample_rate / in.hop;
    o.vibrato_cents = 0;
    o.peak_db = in.max_loudness_db;
    o.envelopes = v.envelopes;  // as a song plays the preset: its learned loudness shape where the card has one
    const size_t frames = size_t(kNoteSamples / kNoteSampleRate * o.frame_rate);  // 4 s at any rate
    std::vector<float> audio;
    for (int pitch : pitches) {
      const synth::ControlCurves c = synth::performance_curves({{0.0, 3.0, pitch, 100}}, {}, 0, frames, o);
      const std::vector<float> note = v.model->render(c.f0_hz, c.loudness_db, true, uint64_t(pitch), v.instrument);
      audio.insert(audio.end(), note.begin(), note.end());
    }
    return audio;
  };
  m.relative_db = [](const std::string&, int) { return 0.0; };
  return m;
}

}  // namespace timbrel::train
