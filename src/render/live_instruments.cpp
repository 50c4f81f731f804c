// The two engines as live instruments: their timbres, pitch ranges and held notes.
#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <tuple>

#include "render/ddsp_song.h"
#include "render/live_synth.h"
#include "render/note_level.h"
#include "render/sustain.h"
#include "timbrel/error.h"

namespace timbrel {
namespace {

class GansynthInstrument final : public LiveInstrument {
 public:
  GansynthInstrument(const Gansynth& model, const LiveOptions& options) : model_(model), options_(options) {}

  void check_timbre(const std::string& timbre) const override { model_.timbre(timbre); }
  std::pair<int, int> pitch_range(const std::string&) const override {
    return {model_.info().config.min_pitch, model_.info().config.max_pitch()};
  }
  // Program change N: General MIDI program N where the card maps programs, else the N-th preset.
  std::vector<std::string> programs() const override {
    std::vector<std::string> out;
    if (model_.info().gm_programs)
      for (int p = 0; p < 128; ++p) out.push_back("program:" + std::to_string(p));
    else
      for (const auto& name : model_.info().timbre_names) out.push_back("preset:" + name);
    return out;
  }
  std::vector<std::vector<float>> held_notes(const std::string& timbre, int first, int count) const override {
    const std::vector<float> z = model_.timbre(timbre);
    std::vector<float> zs;
    std::vector<int> pitches;
    for (int k = 0; k < count; ++k) {
      zs.insert(zs.end(), z.begin(), z.end());
      pitches.push_back(first + k);
    }
    std::vector<float> audio(size_t(count) * kNoteSamples);
    model_.generate_audio(zs, pitches, options_.inverse, audio.data(), options_.device_spectral, options_.spectral, options_.threads);
    std::vector<std::vector<float>> notes;
    for (int k = 0; k < count; ++k) {
      notes.emplace_back(audio.begin() + long(k) * kNoteSamples, audio.begin() + long(k + 1) * kNoteSamples);
      level_note(notes.back(), model_.relative_level_db(z, pitches[size_t(k)]), kNoteSampleRate);
    }
    return notes;
  }
  int batch() const override { return options_.batch; }

 private:
  const Gansynth& model_;
  const LiveOptions options_;
};

constexpr double kHeld = 3.0;     // s: each cached note's length
constexpr double kSpacing = 4.0;  // s between the notes of one render: each note's release ends before the next

class DdspInstrument final : public LiveInstrument {
 public:
  DdspInstrument(const DdspBank& bank, DdspPerformance performance) : bank_(bank), performance_(performance) {
    performance_.vibrato_cents = 0;  // a held note's loop must repeat seamlessly: no vibrato
    performance_.modulation_cents = 0;
  }

  void check_timbre(const std::string& timbre) const override { voice(timbre); }
  // The training notes' range where known, else the octave around the model's mean pitch that
  // the file renderer keeps a part in.
  std::pair<int, int> pitch_range(const std::string& timbre) const override {
    const DdspInfo& info = voice(timbre).model->info();
    if (info.min_pitch >= 0 && info.max_pitch >= info.min_pitch) return {info.min_pitch, info.max_pitch};
    return {int(std::ceil(info.mean_pitch - 12)), int(std::floor(info.mean_pitch + 12))};
  }
  std::vector<std::string> programs() const override {
    std::vector<std::string> out;
    for (int p = 0; p < 128; ++p) out.push_back("program:" + std::to_string(p));
    return out;
  }
  // The pitches as one song of spaced notes (one decoder pass, one level calibration); a struck
  // or plucked timbre's notes along its learned envelope.
  std::vector<std::vector<float>> held_notes(const std::string& timbre, int first, int count) const override {
    const DdspVoice v = voice(timbre);
    const int program = program_of(timbre);
    NoteSequence seq;
    for (int k = 0; k < count; ++k) {
      Note n;
      n.pitch = first + k;
      n.velocity = 127;
      n.program = std::max(program, 0);
      n.start_time = k * kSpacing;
      n.end_time = n.start_time + kHeld;
      seq.notes.push_back(n);
    }
    NoteRenderOptions o;
    o.engine = TimbreEngine::Ddsp;
    o.ddsp = performance_;
    o.ddsp.learned_envelopes = decays(timbre);
    NoteRenderReport report;
    const std::vector<float> mix = render_ddsp_notes(seq, [&](int) { return v; }, o, report);
    if (!report.octave_shifts.empty()) throw std::logic_error("live DDSP notes were moved by octaves");
    std::vector<std::vector<float>> notes;
    for (int k = 0; k < count; ++k) {
      const size_t from = size_t(std::lround(k * kSpacing * kNoteSampleRate)), length = size_t(kHeld * kNoteSampleRate);
      std::vector<float> note(length, 0.0f);
      for (size_t i = 0; i < length && from + i < mix.size(); ++i) note[i] = mix[from + i] / kMasterGain;
      notes.push_back(std::move(note));
    }
    return notes;
  }
  int batch() const override { return 128; }
  bool periodic() const override { return true; }
  // Only with a learned envelope to decay along: a model without one (Magenta's) holds steadily.
  bool decays(const std::string& timbre) const override {
    const int program = program_of(timbre);
    return program >= 0 && struck_or_plucked(program) && !voice(timbre).envelopes.empty();
  }

 private:
  // The General MIDI program a timbre plays: N of "program:N", a preset's own program, else -1.
  int program_of(const std::string& timbre) const {
    if (timbre.rfind("program:", 0) == 0) return std::stoi(timbre.substr(8));  // validated by voice()
    const DdspInfo& info = voice(timbre).model->info();
    const auto at = std::find(info.presets.begin(), info.presets.end(), timbre.substr(7));
    return at == info.presets.end() ? -1 : info.preset_programs[size_t(at - info.presets.begin())];
  }

  DdspVoice voice(const std::string& timbre) const {
    const std::string program = "program:", preset = "preset:";
    if (timbre.rfind(program, 0) == 0) {
      int p = -1;
      try {
        p = std::stoi(timbre.substr(program.size()));
      } catch (const std::exception&) {
      }
      if (p < 0 || p > 127) throw Error(timbre, "is not a General MIDI program (program:0..127)");
      return bank_.voice(p);
    }
    if (timbre.rfind(preset, 0) == 0) {
      const std::vector<std::string> names = bank_.names();
      if (names.size() != 1) throw Error(timbre, "a folder of DDSP models is played by program:N (its models: one per instrument family)");
      DdspVoice v = bank_.voice(0);
      if (v.model->info().presets.empty()) throw Error(timbre, "the DDSP model " + names[0] + " has no presets (play it as program:N)");
      v.instrument = v.model->instrument(timbre);
      v.name = names[0] + "/" + timbre.substr(preset.size());
      v.envelopes = learned_envelopes(v.model->info(), timbre.substr(preset.size()));
      return v;
    }
    throw Error(timbre, "is not a DDSP timbre: program:N or preset:NAME");
  }

  const DdspBank& bank_;
  DdspPerformance performance_;
};

}  // namespace

std::unique_ptr<LiveInstrument> gansynth_instrument(const Gansynth& model, const LiveOptions& options) {
  return std::make_unique<GansynthInstrument>(model, options);
}

std::unique_ptr<LiveInstrument> ddsp_instrument(const DdspBank& bank, const DdspPerformance& performance) {
  return std::make_unique<DdspInstrument>(bank, performance);
}

}  // namespace timbrel
