#include "render/ddsp_song.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <tuple>

#include "render/sustain.h"
#include "synth/ddsp_performance.h"
#include "timbrel/error.h"
#include "timbrel/spectral.h"

namespace timbrel {
namespace {

constexpr double kMargin = 0.2;  // s of curve before a voice's first note and after its release

synth::PerformanceOptions performance_options(const DdspPerformanceOptions& p, const DdspInfo& info) {
  synth::PerformanceOptions o;
  static_cast<DdspPerformanceOptions&>(o) = p;
  o.frame_rate = info.sample_rate / info.hop;
  o.peak_db = info.max_loudness_db;
  return o;
}

// One voice's audio: its curves from `first_frame` on, decoded and synthesised.
std::vector<float> play_line(const DdspVoice& v, const std::vector<synth::VoiceNote>& line, const synth::VoiceControllers& c,
                             size_t first_frame, size_t frames, const synth::PerformanceOptions& o, uint64_t seed) {
  const synth::ControlCurves curves = synth::performance_curves(line, c, first_frame, frames, o);
  return v.model->synthesize(v.model->controls(curves.f0_hz, curves.loudness_db, v.instrument), curves.f0_hz, true, seed);
}

// The gain that makes a velocity-127 note at the model's mean pitch peak at kMasterGain (held flat:
// a decaying shape would make the level depend on when it is measured).
float calibrated_gain(const DdspVoice& v, synth::PerformanceOptions o) {
  o.vibrato_cents = 0;
  o.envelopes = {};
  const int pitch = int(std::lround(v.model->info().mean_pitch));
  const std::vector<synth::VoiceNote> note{{0.2, 2.2, pitch, 127}};
  const std::vector<float> audio = play_line(v, note, {}, 0, size_t(2.6 * o.frame_rate), o, 0);
  const int rate = v.model->info().sample_rate;
  float peak = 0;
  for (size_t i = size_t(0.7 * rate); i < size_t(1.7 * rate) && i < audio.size(); ++i) peak = std::max(peak, std::fabs(audio[i]));
  if (!(peak > 1e-6f)) throw Error(v.name, "is silent on a loud note at its mean pitch " + std::to_string(pitch));
  return kMasterGain / peak;
}

// A channel's pitch controllers as curves: bend in semitones (its RPN 0 range) and modulation
// 0..1. Volume and expression act in the mix, as on GANSynth notes (note_placement.h).
synth::VoiceControllers controllers_of(const ChannelTimeline& channel) {
  synth::VoiceControllers c;
  for (const ChannelTimeline::Change& change : channel.changes()) {
    const double t = std::max(0.0, change.time);
    c.bend.push_back({t, float(change.state.bend_semitones())});
    c.modulation.push_back({t, change.state.modulation / 127.0f});
  }
  return c;
}

// The fewest octaves that bring the notes' mean pitch into the model's range: its training notes'
// range where known, else within an octave of its mean pitch (magenta.js moves its input to the
// nearest octave; a written part moves only when it must).
int octave_shift(const std::vector<synth::VoiceNote>& notes, const DdspInfo& info) {
  double sum = 0;
  for (const auto& n : notes) sum += n.pitch;
  const double mean = sum / double(notes.size());
  const bool known = info.min_pitch >= 0 && info.max_pitch >= info.min_pitch;
  const double lo = known ? info.min_pitch : info.mean_pitch - 12, hi = known ? info.max_pitch : info.mean_pitch + 12;
  if (mean < lo) return int(std::ceil((lo - mean) / 12));
  if (mean > hi) return -int(std::ceil((mean - hi) / 12));
  return 0;
}

}  // namespace

std::vector<float> sum_stems(const std::vector<Stem>& stems) {
  std::vector<float> mix;
  for (const Stem& s : stems) {
    if (s.sample_rate != stems.front().sample_rate) throw Error("stems", "have different sample rates");
    if (mix.size() < s.start + s.audio.size()) mix.resize(s.start + s.audio.size(), 0.0f);
    for (size_t i = 0; i < s.audio.size(); ++i) mix[s.start + i] += s.audio[i];
  }
  return mix;
}

bool struck_or_plucked(int program) {
  return (program >= 0 && program <= 15) || (program >= 24 && program <= 39) || (program >= 45 && program <= 47) ||
         (program >= 104 && program <= 108) || (program >= 112 && program <= 119);
}

synth::LearnedEnvelopes learned_envelopes(const DdspInfo& info, const std::string& preset) {
  synth::LearnedEnvelopes e;
  if (const auto* bands = info.envelope_of(preset)) {
    e.rate = info.envelope_rate;
    e.first_pitch = info.envelope_first_pitch;
    e.pitch_step = info.envelope_pitch_step;
    e.bands = *bands;
  }
  return e;
}

std::vector<Stem> render_ddsp_notes(const NoteSequence& seq, const DdspModelForProgram& model_for, const NoteRenderOptions& options,
                                    NoteRenderReport& report) {
  const SequenceControls controls(seq, options.ddsp.bend_range);
  NoteSequence pedalled = seq;
  apply_sustain(pedalled, controls);
  // (instrument, channel, model name) -> its notes: one group shares controllers and a model.
  struct Group {
    std::vector<synth::VoiceNote> notes;
    int program = 0;  // its first note's
  };
  std::map<std::tuple<int, int, std::string>, Group> groups;
  std::map<std::string, DdspVoice> voices;
  std::map<int, DdspVoice> by_program;  // each program's voice looked up once, not per note
  for (const Note& n : pedalled.notes) {
    if (n.is_drum) continue;
    auto found = by_program.find(n.program);
    if (found == by_program.end()) found = by_program.emplace(n.program, model_for(n.program)).first;
    const DdspVoice& v = found->second;
    voices[v.name] = v;
    Group& g = groups[{n.instrument, n.channel, v.name}];
    if (g.notes.empty()) g.program = n.program;
    g.notes.push_back({n.start_time, std::max(n.end_time, n.start_time), n.pitch, n.velocity});
    ++report.notes;
  }
  std::map<std::string, float> gains;
  std::vector<Stem> stems;
  uint64_t seed = 0;
  for (auto& [key, group] : groups) {
    const auto& [instrument, channel, name] = key;
    std::vector<synth::VoiceNote>& notes = group.notes;
    const DdspVoice& voice = voices[name];
    const DdspInfo& info = voice.model->info();
    if (info.settings.empty())
      throw Error(name, "has no loudness and pitch statistics to play notes with (a settings.json beside model.json: "
                        "averageMaxLoudness, meanLoudness, meanPitch, postGain)");
    synth::PerformanceOptions o = performance_options(options.ddsp, info);
    if (struck_or_plucked(group.program)) o.glide = 0, o.vibrato_cents = 0;
    if (options.ddsp.learned_envelopes) o.envelopes = voice.envelopes;
    if (!gains.count(name)) gains[name] = calibrated_gain(voice, o);
    if (const int shift = octave_shift(notes, info)) {
      for (auto& n : notes) n.pitch += 12 * shift;
      report.octave_shifts[instrument] = shift;
    }
    const synth::VoiceControllers c = controllers_of(controls.channel(channel));
    for (const auto& line : synth::split_voices(notes, o.legato_gap)) {
      const size_t first = size_t(std::max(0.0, line.front().start - kMargin) * o.frame_rate);
      double end = 0;
      for (const auto& n : line) end = std::max(end, n.end);
      const size_t last = size_t(std::ceil((end + o.release + kMargin) * o.frame_rate));
      Stem stem{channel, group.program, info.sample_rate, first * size_t(info.hop), play_line(voice, line, c, first, last - first, o, seed++)};
      for (float& v : stem.audio) v *= gains[name];
      stems.push_back(std::move(stem));
      ++report.ddsp_voices;
    }
  }
  return stems;
}

}  // namespace timbrel
