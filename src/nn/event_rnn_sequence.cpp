// EventRnn::continue_sequence: a primer's notes -> events, continued, -> notes appended.
#include <algorithm>
#include <cmath>

#include "music/tempo_map.h"
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

}  // namespace

std::vector<Note> EventRnn::continuation(const NoteSequence& primer, const ContinueOptions& o) const {
  if (o.bars < 1) throw Error("bars", "must be at least 1");
  const auto& codec = impl_->codec;
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
  std::vector<int> next = continue_events(events, o.bars * bar, o);
  for (int& e : next)
    if (e >= 0 && !drums) e = std::clamp(e - shift, 0, 127);
  NoteSequence notes;
  const double start = TempoMap::from_sequence(primer, 4).seconds(int64_t(primer_steps));
  const double qpm = primer.tempos.empty() ? 120.0 : primer.tempos.back().qpm;
  nn::append_events(next, codec, start, 15.0 / qpm, style_of(primer, drums), notes);
  return notes.notes;
}

NoteSequence EventRnn::continue_sequence(const NoteSequence& primer, const ContinueOptions& o) const {
  NoteSequence out = primer;
  for (const Note& n : continuation(primer, o)) out.add_note(n);
  return out;
}

}  // namespace timbrel
