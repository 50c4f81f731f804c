// GrooVAE's encoding: drum hits per 16th step and class with velocity and microtiming.
#include <algorithm>
#include <cmath>

#include "timbrel/error.h"
#include "timbrel/groove.h"
#include "timbrel/musicvae.h"

namespace timbrel {
namespace {

constexpr int kStepsPerBar = 16;

GrooveSteps empty_groove(double qpm, int steps) {
  if (!(qpm > 0) || !std::isfinite(qpm)) throw Error("qpm", "must be a positive tempo");
  GrooveSteps g;
  g.qpm = qpm;
  g.steps = (std::max(steps, 1) + kStepsPerBar - 1) / kStepsPerBar * kStepsPerBar;
  const size_t n = size_t(g.steps) * GrooveSteps::kClasses;
  g.hit.assign(n, 0.f), g.velocity.assign(n, 0.f), g.offset.assign(n, 0.f);
  return g;
}

// The step an onset rounds to (Magenta quantizes to the nearest step) and its offset from it.
std::pair<int, float> step_and_offset(double seconds, double step_seconds) {
  const double x = seconds / step_seconds;
  const int step = int(std::floor(x + 0.5));
  return {step, float(std::clamp(x - step, -0.5, 0.5))};
}

// Adds a hit unless the cell already holds a louder one.
void put_hit(GrooveSteps& g, int step, int drum_class, int velocity, float offset) {
  const size_t i = g.index(step, drum_class);
  const float v = float(std::clamp(velocity, 1, 127)) / 127.f;
  if (g.hit[i] > 0 && g.velocity[i] >= v) return;
  g.hit[i] = 1.f, g.velocity[i] = v, g.offset[i] = offset;
}

int last_onset_step(const NoteSequence& seq, double step_seconds, bool drums_only) {
  int last = 0;
  for (const Note& n : seq.notes)
    if ((n.is_drum || !drums_only) && n.velocity > 0) last = std::max(last, step_and_offset(n.start_time, step_seconds).first);
  return last;
}

}  // namespace

int GrooveSteps::hits() const { return int(std::count_if(hit.begin(), hit.end(), [](float h) { return h > 0.5f; })); }

GrooveSteps encode_groove(const NoteSequence& drums, int min_steps) {
  const double step_seconds = 60.0 / drums.first_qpm() / GrooveSteps::kStepsPerQuarter;
  GrooveSteps g = empty_groove(drums.first_qpm(), std::max(min_steps, last_onset_step(drums, step_seconds, true) + 1));
  for (const Note& n : drums.notes) {
    const int c = n.is_drum && n.velocity > 0 ? drum_class_of_pitch(n.pitch) : -1;
    if (c < 0) continue;
    const auto [step, offset] = step_and_offset(n.start_time, step_seconds);
    if (step >= 0) put_hit(g, step, c, n.velocity, offset);
  }
  return g;
}

NoteSequence decode_groove(const GrooveSteps& g) {
  NoteSequence seq;
  seq.tempos.push_back({0.0, g.qpm});
  seq.time_signatures.push_back({0.0, 4, 4});
  const double step = g.step_seconds();
  for (int s = 0; s < g.steps; ++s)
    for (int c = 0; c < GrooveSteps::kClasses; ++c) {
      const size_t i = g.index(s, c);
      if (g.hit[i] <= 0.5f) continue;
      Note n;
      n.pitch = drum_pitch_of_class(c);
      n.velocity = std::clamp(int(std::lround(g.velocity[i] * 127.f)), 1, 127);
      n.start_time = std::max(0.0, (s + std::clamp(double(g.offset[i]), -0.5, 0.5)) * step);
      n.end_time = n.start_time + step;
      n.is_drum = true, n.channel = 9, n.instrument = 9;
      seq.add_note(n);
    }
  std::sort(seq.notes.begin(), seq.notes.end(), [](const Note& a, const Note& b) { return a.start_time < b.start_time; });
  return seq;
}

GrooveSteps quantized_groove(const GrooveSteps& g) {
  GrooveSteps q = g;
  std::fill(q.velocity.begin(), q.velocity.end(), 0.f);
  std::fill(q.offset.begin(), q.offset.end(), 0.f);
  return q;
}

GrooveSteps tap_groove(const GrooveSteps& g) {
  GrooveSteps t = empty_groove(g.qpm, g.steps);
  for (int s = 0; s < g.steps; ++s) {
    int loudest = -1;
    for (int c = 0; c < GrooveSteps::kClasses; ++c)
      if (g.hit[g.index(s, c)] > 0.5f && (loudest < 0 || g.velocity[g.index(s, c)] > g.velocity[g.index(s, loudest)])) loudest = c;
    if (loudest < 0) continue;
    const size_t from = g.index(s, loudest), to = t.index(s, kTapClass);
    t.hit[to] = 1.f, t.velocity[to] = g.velocity[from], t.offset[to] = g.offset[from];
  }
  return t;
}

GrooveSteps taps_from_notes(const NoteSequence& taps, double qpm, int min_steps) {
  const double step_seconds = 60.0 / qpm / GrooveSteps::kStepsPerQuarter;
  GrooveSteps g = empty_groove(qpm, std::max(min_steps, last_onset_step(taps, step_seconds, false) + 1));
  for (const Note& n : taps.notes) {
    if (n.velocity <= 0) continue;
    const auto [step, offset] = step_and_offset(n.start_time, step_seconds);
    if (step >= 0) put_hit(g, step, kTapClass, n.velocity, offset);
  }
  return g;
}

NoteSequence apply_groove(const NoteSequence& beat, const GrooveSteps& feel) {
  const double step_seconds = 60.0 / beat.first_qpm() / GrooveSteps::kStepsPerQuarter;
  if (std::abs(feel.qpm - beat.first_qpm()) > 1e-6 * feel.qpm) throw Error("feel", "is on another tempo's grid than the beat");
  NoteSequence out = beat;
  for (Note& n : out.notes) {
    const int c = n.is_drum && n.velocity > 0 ? drum_class_of_pitch(n.pitch) : -1;
    const int step = step_and_offset(n.start_time, step_seconds).first;
    if (c < 0 || step < 0 || step >= feel.steps || feel.hit[feel.index(step, c)] <= 0.5f) continue;
    const size_t i = feel.index(step, c);
    const double start = std::max(0.0, (step + double(feel.offset[i])) * step_seconds);
    n.end_time += start - n.start_time;
    n.start_time = start;
    n.velocity = std::clamp(int(std::lround(feel.velocity[i] * 127.f)), 1, 127);
    n.quantized_start_step = n.quantized_end_step = -1;
  }
  std::stable_sort(out.notes.begin(), out.notes.end(), [](const Note& a, const Note& b) { return a.start_time < b.start_time; });
  out.total_time = 0;
  for (const Note& n : out.notes) out.total_time = std::max(out.total_time, n.end_time);
  out.steps_per_quarter = 0, out.total_quantized_steps = 0;
  return out;
}

}  // namespace timbrel
