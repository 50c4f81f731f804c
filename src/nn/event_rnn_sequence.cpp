// EventRnn::continue_sequence: a primer's notes -> events, continued, -> notes appended.
#include <algorithm>
#include <cmath>

#include "music/tempo_map.h"
#include "timbrel/chords.h"
#include "nn/event_rnn_model.h"
#include "timbrel/error.h"
#include "timbrel/music.h"

namespace timbrel {

namespace {

// Sixteenth steps per bar of the primer's last time signature (4/4: 16, 3/4: 12, 6/8: 12).
int steps_per_bar(const NoteSequence& seq) {
  const TimeSignature ts = seq.time_signatures.empty() ? TimeSignature{} : seq.time_signatures.back();
  if (ts.numerator < 1 || ts.denominator < 1 || (16 * ts.numerator) % ts.denominator != 0)
    throw Error("primer", "time signature " + std::to_string(ts.numerator) + "/" + std::to_string(ts.denominator) +
                              " has no whole number of sixteenths per bar");
  return 16 * ts.numerator / ts.denominator;
}

// How the continuation's notes look: those of the primer's last note of the continued kind.
nn::NoteStyle style_of(const NoteSequence& primer, bool drums) {
  nn::NoteStyle s;
  for (const Note& n : primer.notes)
    if (n.is_drum == drums) s = {n.velocity, n.program, n.channel, n.instrument};
  return s;
}

// The chord of each step for a conditioned model: the primer's own symbols when it has some,
// else the progression repeated back from the continuation's start; then the progression.
std::vector<Chord> step_chords(const NoteSequence& quantized_primer, size_t primer_steps, int steps, const ContinueOptions& o) {
  if (o.chords.empty()) throw nn::missing_chords();
  std::vector<Chord> out = nn::progression_steps(o.chords, -int64_t(primer_steps), primer_steps + size_t(steps) + 1);
  if (!chord_spans(quantized_primer).empty()) {
    const std::vector<Chord> own = chords_per_step(quantized_primer, int64_t(primer_steps));
    std::copy(own.begin(), own.end(), out.begin());
  }
  return out;
}

// The progression repeated over [start_beat, start_beat + beats), its first bar at
// start_beat + phase (a negative phase lays it back from a later start).
std::vector<ChordSpan> repeated(const std::vector<ChordSpan>& progression, double start_beat, double beats, double phase) {
  const double period = double(nn::progression_period(progression)) / 4;
  std::vector<ChordSpan> out;
  if (period <= 0) return out;
  const double end = start_beat + beats;
  for (double at = start_beat + phase - std::ceil((phase - 1e-9) / period) * period; at < end - 1e-9; at += period)
    for (ChordSpan span : progression) {
      span.start_beat = std::max(start_beat, span.start_beat + at);
      span.end_beat = std::min(end, span.end_beat + at);
      if (span.end_beat > span.start_beat + 1e-9) out.push_back(span);
    }
  return out;
}

// The notes that continue `primer` and the step (sixteenths from its start) where they begin.
struct Continued {
  std::vector<Note> notes;
  size_t start_step = 0;
};

Continued continue_primer(const TorchEventRnn& impl, const NoteSequence& primer, const ContinueOptions& o) {
  if (o.bars < 1) throw Error("bars", "must be at least 1");
  const auto& codec = impl.codec;
  const bool drums = codec.kind == "drums";
  const NoteSequence q = quantize(primer, 4);
  std::vector<int> events = drums ? nn::drum_events(q) : nn::melody_events(q);
  if (std::none_of(events.begin(), events.end(), [&](int e) { return drums ? e != 0 : e >= 0; }))
    throw Error("primer", drums ? "has no drum notes of the nine drum classes" : "has no melody notes");
  const int bar = steps_per_bar(primer);
  // From the bar after the whole primer (every part of it) ends, so that parts stay together. A
  // melody's closing note-off sits on the step its last note ends: it is not a step of music.
  int64_t last_onset = 0;
  for (size_t i = 0; i < events.size(); ++i)
    if (drums ? events[i] != 0 : events[i] >= 0) last_onset = int64_t(i);
  const int64_t end = std::max<int64_t>(q.total_quantized_steps, last_onset + 1);
  const size_t primer_steps = size_t((end + bar - 1) / bar * bar);
  events.resize(primer_steps, codec.default_event());
  const int shift = drums ? 0 : nn::fit_melody_range(events, codec);
  const std::vector<Chord> chords = codec.chord_control ? step_chords(q, primer_steps, o.bars * bar, o) : std::vector<Chord>{};
  std::vector<int> next = nn::sample_events(impl, events, o.bars * bar, o, chords);
  for (int& e : next)
    if (e >= 0 && !drums) e = std::clamp(e - shift, 0, 127);
  NoteSequence notes;
  const double start = TempoMap::from_sequence(primer, 4).seconds(int64_t(primer_steps));
  const double qpm = primer.tempos.empty() ? 120.0 : primer.tempos.back().qpm;
  nn::append_events(next, codec, start, 15.0 / qpm, style_of(primer, drums), notes);
  return {notes.notes, primer_steps};
}

}  // namespace

std::vector<Note> TorchEventRnn::continuation(const NoteSequence& primer, const ContinueOptions& o) const { return continue_primer(*this, primer, o).notes; }

NoteSequence TorchEventRnn::continue_sequence(const NoteSequence& primer, const ContinueOptions& o) const {
  NoteSequence out = primer;
  const Continued next = continue_primer(*this, primer, o);
  for (const Note& n : next.notes) out.add_note(n);
  if (o.chords.empty() || !codec.chord_control) return out;
  const double start_beat = double(next.start_step) / 4;
  // The primer's own symbols up to the continuation (the last held to it, as the model read
  // them), else the progression laid back from it.
  std::vector<ChordSpan> chords;
  for (ChordSpan span : chord_spans(primer))
    if (span.start_beat < start_beat - 1e-9) chords.push_back(span);
  if (!chords.empty()) {
    for (auto& span : chords) span.end_beat = std::min(span.end_beat, start_beat);
    chords.back().end_beat = start_beat;
  } else {
    chords = repeated(o.chords, 0, start_beat, start_beat);
  }
  const std::vector<ChordSpan> after = repeated(o.chords, start_beat, o.bars * steps_per_bar(primer) / 4.0, 0);
  chords.insert(chords.end(), after.begin(), after.end());
  set_chords(out, chords);
  return out;
}

NoteSequence TorchEventRnn::improvise(const ContinueOptions& o, double qpm) const {
  if (!codec.chord_control) throw Error("model", "is not conditioned on chords: improvise needs a chord-conditioned melody RNN");
  if (o.bars < 1) throw Error("bars", "must be at least 1");
  if (!(qpm > 0)) throw Error("qpm", "must be positive");
  if (o.chords.empty()) throw Error("chords", "give the progression to improvise over");
  // After a bar of rest (over the progression's last bar), from a note on the first downbeat:
  // started from silence, a melody may take bars to begin.
  const int steps = o.bars * 16, rest = 16;
  const std::vector<Chord> chords = nn::progression_steps(o.chords, -rest, size_t(rest + steps) + 1);
  const std::vector<int> events = nn::sample_events(*this, std::vector<int>(size_t(rest), codec.default_event()), steps, o, chords, true);
  NoteSequence out;
  out.tempos.push_back({0.0, qpm});
  out.time_signatures.push_back({0.0, 4, 4});
  nn::append_events(events, codec, 0.0, 15.0 / qpm, {}, out);
  out.total_time = std::max(out.total_time, steps * 15.0 / qpm);
  set_chords(out, repeated(o.chords, 0, o.bars * 4.0, 0));
  return out;
}

}  // namespace timbrel
