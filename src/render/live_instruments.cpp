// The two engines as live instruments: their timbres, pitch ranges and held notes.
#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <cstdio>
#include <sstream>
#include <tuple>

#include "models/model_impls.h"
#include "render/ddsp_bank.h"
#include "render/drum_highs.h"
#include "render/live_synth.h"
#include "render/note_level.h"
#include "render/sustain.h"
#include "timbrel/error.h"
#include "timbrel/musicvae.h"  // slerp
#include "timbrel/timbre_spec.h"

namespace timbrel {
namespace {

class GansynthInstrument final : public LiveInstrument {
 public:
  GansynthInstrument(const Gansynth& model, const LiveOptions& options, const DrumHighs* highs)
      : model_(model), options_(options), highs_(highs), inverse_(model.info().drums ? model.played_inverse() : options.inverse) {}

  void check_timbre(const std::string& timbre) const override { latent(timbre); }
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
    const std::vector<float> z = latent(timbre);
    std::vector<float> zs;
    std::vector<int> pitches;
    for (int k = 0; k < count; ++k) {
      zs.insert(zs.end(), z.begin(), z.end());
      pitches.push_back(first + k);
    }
    std::vector<float> audio(size_t(count) * kNoteSamples);
    model_.generate_audio(zs, pitches, inverse_, audio.data(), options_.device_spectral, options_.spectral, options_.threads);
    std::vector<std::vector<float>> notes;
    for (int k = 0; k < count; ++k) {
      notes.emplace_back(audio.begin() + long(k) * kNoteSamples, audio.begin() + long(k + 1) * kNoteSamples);
      level_note(notes.back(), model_.relative_level_db(z, pitches[size_t(k)]), kNoteSampleRate);
    }
    return notes;
  }
  int batch(const std::string&) const override { return options_.batch; }
  bool one_shot(const std::string&) const override { return model_.info().drums; }
  // A drum hit at 48 kHz (or 44.1) gets its kit's band above 8 kHz, as render gives it.
  void finish_note(std::vector<float>& note, int rate, const std::string& timbre, int pitch) const override {
    if (!highs_ || !model_.info().drums) return;
    const TimbreSpec spec = parse_timbre_spec(timbre);
    if (spec.kind == TimbreSpec::Kind::Preset && highs_->has_kit(spec.name)) highs_->add_high_band(note, rate, spec.name, pitch, uint64_t(pitch));
  }
  int gm_program(const std::string& timbre) const override {
    if (model_.info().drums) return -1;
    const Blend b = blend(timbre);  // a blend sends as its first timbre
    return LiveInstrument::gm_program(b.parts.empty() ? timbre : b.parts.front());
  }
  gm::BaseSends sends(const std::string& timbre, int key) const override {
    return model_.info().drums ? gm::drum_sends(key) : LiveInstrument::sends(timbre, key);  // as render's hits
  }

 private:
  // A morph or pad spec taken apart: its kind, positions and the timbres it blends.
  struct Blend {
    std::string kind;
    std::vector<double> at;
    std::vector<std::string> parts;
  };
  static Blend blend(const std::string& timbre) {
    Blend b;
    const size_t colon = timbre.find(':'), bar = timbre.find('|');
    if (bar == std::string::npos || colon > bar) return b;
    b.kind = timbre.substr(0, colon);
    std::stringstream positions(timbre.substr(colon + 1, bar - colon - 1));
    for (std::string v; std::getline(positions, v, ',');) b.at.push_back(parse_unit(timbre, v));
    std::stringstream parts(timbre.substr(bar + 1));
    for (std::string p; std::getline(parts, p, '|');) b.parts.push_back(p);
    const bool morph = b.kind == "morph" && b.at.size() == 1 && b.parts.size() == 2;
    if (!morph && !(b.kind == "pad" && b.at.size() == 2 && b.parts.size() == 4))
      throw Error(timbre, "is not a blend: morph:T|A|B or pad:X,Y|A|B|C|D");
    return b;
  }
  static double parse_unit(const std::string& timbre, const std::string& v) {
    char* end = nullptr;
    const double x = std::strtod(v.c_str(), &end);
    if (v.empty() || *end || !(x >= 0 && x <= 1)) throw Error(timbre, "its positions must be numbers in [0, 1]");
    return x;
  }
  std::vector<float> latent(const std::string& timbre) const {
    const Blend b = blend(timbre);
    if (b.parts.empty()) return model_.timbre(timbre);
    std::vector<std::vector<float>> z;
    for (const std::string& p : b.parts) z.push_back(model_.timbre(p));
    if (b.kind == "morph") return slerp(z[0], z[1], b.at[0]);
    return bilinear(z[0], z[1], z[2], z[3], b.at[0], b.at[1]);
  }

  const Gansynth& model_;
  const LiveOptions options_;
  const DrumHighs* highs_;
  const InverseOptions inverse_;  // a drum model's hits: its own phase method, as render's
};

constexpr double kHeld = 3.0;     // s: each cached note's length
constexpr double kSpacing = 4.0;  // s between the notes of one render: each note's release ends before the next

class DdspInstrument final : public LiveInstrument {
 public:
  DdspInstrument(const DdspBank& bank, DdspPerformanceOptions performance) : bank_(bank), performance_(performance) {
    performance_.vibrato_cents = 0;  // a held note's loop must repeat seamlessly: no vibrato
    performance_.modulation_cents = 0;
  }

  void check_timbre(const std::string& timbre) const override { resolve(timbre); }
  // The training notes' range where known, else the octave around the model's mean pitch that
  // the file renderer keeps a part in.
  std::pair<int, int> pitch_range(const std::string& timbre) const override {
    const DdspInfo& info = resolve(timbre).voice.model->info();
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
    const Resolved r = resolve(timbre);
    NoteSequence seq;
    for (int k = 0; k < count; ++k) {
      Note n;
      n.pitch = first + k;
      n.velocity = 127;
      n.program = std::max(r.program, 0);
      n.start_time = k * kSpacing;
      n.end_time = n.start_time + kHeld;
      seq.notes.push_back(n);
    }
    NoteRenderOptions o;
    o.engine = TimbreEngine::Ddsp;
    o.ddsp = performance_;
    o.ddsp.learned_envelopes = r.decays();
    NoteRenderReport report;
    const std::vector<float> mix = sum_stems(render_ddsp_notes(seq, [&](int) { return r.voice; }, o, report));
    if (!report.octave_shifts.empty()) throw std::logic_error("live DDSP notes were moved by octaves");
    const int rate = r.voice.model->info().sample_rate;
    std::vector<std::vector<float>> notes;
    for (int k = 0; k < count; ++k) {
      const size_t from = size_t(std::lround(k * kSpacing * rate)), length = size_t(kHeld * rate);
      std::vector<float> note(length, 0.0f);
      for (size_t i = 0; i < length && from + i < mix.size(); ++i) note[i] = mix[from + i] / kMasterGain;
      notes.push_back(std::move(note));
    }
    return notes;
  }
  int batch(const std::string&) const override { return 128; }
  bool periodic(const std::string&) const override { return true; }
  bool decays(const std::string& timbre) const override { return resolve(timbre).decays(); }
  bool performs(const std::string& timbre) const override {  // render's struck and plucked lines have no vibrato or glide
    const int program = resolve(timbre).program;
    return program < 0 || !struck_or_plucked(program);
  }
  int note_rate(const std::string& timbre) const override { return resolve(timbre).voice.model->info().sample_rate; }
  int gm_program(const std::string& timbre) const override { return resolve(timbre).program; }  // presets too

 private:
  // A timbre's voice and the General MIDI program it plays (-1: a preset without one).
  struct Resolved {
    DdspVoice voice;
    int program = -1;
    // Struck or plucked, with a learned envelope to decay along (Magenta's models have none and
    // hold steadily).
    bool decays() const { return program >= 0 && struck_or_plucked(program) && !voice.envelopes.empty(); }
  };

  Resolved resolve(const std::string& timbre) const {
    const TimbreSpec spec = parse_timbre_spec(timbre);
    if (spec.kind == TimbreSpec::Kind::Program) return {bank_.voice(spec.program), spec.program};
    if (spec.kind != TimbreSpec::Kind::Preset) throw Error(timbre, "is not a DDSP timbre: program:N or preset:NAME");
    Resolved r;
    r.voice = bank_.preset_voice(spec.name, &r.program);
    return r;
  }

  const DdspBank& bank_;
  DdspPerformanceOptions performance_;
};

// Melodic timbres from one instrument, "drums:SPEC" from the other.
class GmInstrument final : public LiveInstrument {
 public:
  GmInstrument(std::unique_ptr<LiveInstrument> melodic, std::unique_ptr<LiveInstrument> drums)
      : melodic_(std::move(melodic)), drums_(std::move(drums)) {}

  void check_timbre(const std::string& t) const override { pick(t).check_timbre(inner(t)); }
  std::pair<int, int> pitch_range(const std::string& t) const override { return pick(t).pitch_range(inner(t)); }
  std::vector<std::string> programs() const override { return melodic_->programs(); }
  std::vector<std::vector<float>> held_notes(const std::string& t, int first, int count) const override {
    return pick(t).held_notes(inner(t), first, count);
  }
  int batch(const std::string& t) const override { return pick(t).batch(inner(t)); }
  bool periodic(const std::string& t) const override { return pick(t).periodic(inner(t)); }
  bool decays(const std::string& t) const override { return pick(t).decays(inner(t)); }
  bool one_shot(const std::string& t) const override { return pick(t).one_shot(inner(t)); }
  void finish_note(std::vector<float>& note, int rate, const std::string& t, int pitch) const override {
    pick(t).finish_note(note, rate, inner(t), pitch);
  }
  int note_rate(const std::string& t) const override { return pick(t).note_rate(inner(t)); }
  int gm_program(const std::string& t) const override { return pick(t).gm_program(inner(t)); }
  gm::BaseSends sends(const std::string& t, int key) const override { return pick(t).sends(inner(t), key); }
  bool performs(const std::string& t) const override { return pick(t).performs(inner(t)); }

 private:
  static bool is_drums(const std::string& t) { return t.rfind(kDrumTimbrePrefix, 0) == 0; }
  const LiveInstrument& pick(const std::string& t) const { return is_drums(t) ? *drums_ : *melodic_; }
  static std::string inner(const std::string& t) { return is_drums(t) ? t.substr(std::string(kDrumTimbrePrefix).size()) : t; }

  std::unique_ptr<LiveInstrument> melodic_, drums_;
};

std::string position_text(double x) {
  char text[32];
  std::snprintf(text, sizeof text, "%.6g", std::clamp(x, 0.0, 1.0));
  return text;
}

}  // namespace

std::string morph_timbre(const std::string& a, const std::string& b, double position) {
  return "morph:" + position_text(position) + "|" + a + "|" + b;
}

std::string pad_timbre(double x, double y, const std::array<std::string, 4>& c) {
  return "pad:" + position_text(x) + "," + position_text(y) + "|" + c[0] + "|" + c[1] + "|" + c[2] + "|" + c[3];
}

std::unique_ptr<LiveInstrument> gm_instrument(std::unique_ptr<LiveInstrument> melodic, std::unique_ptr<LiveInstrument> drums) {
  return std::make_unique<GmInstrument>(std::move(melodic), std::move(drums));
}

std::unique_ptr<LiveInstrument> gansynth_instrument(const Gansynth& model, const LiveOptions& options, const DrumHighs* highs) {
  detail::prepare_network(model);  // its first note must not wait for libtorch to load
  return std::make_unique<GansynthInstrument>(model, options, highs);
}

std::unique_ptr<LiveInstrument> ddsp_instrument(const DdspBank& bank, const DdspPerformanceOptions& performance) {
  return std::make_unique<DdspInstrument>(bank, performance);
}

}  // namespace timbrel
