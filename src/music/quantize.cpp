// Quantization and monophonic melody extraction, following Magenta's sequences_lib and
// melodies_lib so that models trained there see the same events here.
#include <algorithm>
#include <cmath>

#include "timbrel/error.h"
#include "music/melody_split.h"
#include "music/quarter_clock.h"
#include "timbrel/music.h"

namespace timbrel {

bool NoteSequence::has_drums() const {
  return std::any_of(notes.begin(), notes.end(), [](const Note& n) { return n.is_drum; });
}

namespace {

// Magenta's _quantize_to_step with its default cutoff of 0.5: round half up.
int64_t to_step(double steps) { return static_cast<int64_t>(std::floor(steps + 0.5)); }

}  // namespace

NoteSequence quantize(const NoteSequence& seq, int steps_per_quarter) {
  if (steps_per_quarter < 1) throw Error("", "steps per quarter must be positive");
  QuarterClock clock(seq);
  NoteSequence q = seq;
  q.steps_per_quarter = steps_per_quarter;
  q.total_quantized_steps = 0;
  for (Note& n : q.notes) {
    if (!std::isfinite(n.start_time) || !std::isfinite(n.end_time) || n.start_time < 0 || n.end_time < n.start_time)
      throw Error("", "note " + std::to_string(n.pitch) + " has invalid times " + std::to_string(n.start_time) + ".." + std::to_string(n.end_time) + " s");
    n.quantized_start_step = to_step(clock.quarters(n.start_time) * steps_per_quarter);
    n.quantized_end_step = to_step(clock.quarters(n.end_time) * steps_per_quarter);
    if (n.quantized_end_step <= n.quantized_start_step) n.quantized_end_step = n.quantized_start_step + 1;
    q.total_quantized_steps = std::max(q.total_quantized_steps, n.quantized_end_step);
  }
  for (TextAnnotation& a : q.text_annotations) a.quantized_step = to_step(clock.quarters(a.time) * steps_per_quarter);
  return q;
}

std::vector<int> extract_melody(const NoteSequence& q, int instrument) {
  if (!q.is_quantized()) throw Error("", "melody extraction needs a quantized sequence");
  std::vector<const Note*> notes;
  for (const Note& n : q.notes)
    if (!n.is_drum && n.velocity > 0 && (instrument < 0 || n.instrument == instrument)) notes.push_back(&n);
  // Onset order, highest pitch first among equal onsets: that one wins.
  std::stable_sort(notes.begin(), notes.end(), [](const Note* a, const Note* b) {
    return a->quantized_start_step != b->quantized_start_step ? a->quantized_start_step < b->quantized_start_step
                                                              : a->pitch > b->pitch;
  });
  std::vector<int> events;
  int64_t last_on = -1;
  for (const Note* n : notes) {
    int64_t start = n->quantized_start_step, end = n->quantized_end_step;
    if (start == last_on) continue;  // a lower note on the same step
    last_on = start;
    // As Magenta's _add_note: the new note cuts whatever sounded from its onset on.
    events.resize(size_t(end + 1), kMelodyNoEvent);
    events[size_t(start)] = n->pitch;
    for (int64_t i = start + 1; i < end; ++i) events[size_t(i)] = kMelodyNoEvent;
    events[size_t(end)] = kMelodyNoteOff;
  }
  return events;
}

std::vector<std::vector<int>> split_melody(const std::vector<int>& melody, int window_steps, int hop_steps, bool whole_only) {
  return split_melody_at(melody, window_steps, hop_steps, whole_only, nullptr);
}

std::vector<std::vector<int>> split_melody_at(const std::vector<int>& melody, int window_steps, int hop_steps, bool whole_only,
                                              std::vector<size_t>* starts) {
  if (window_steps < 1 || hop_steps < 1) throw Error("", "window and hop must be positive");
  std::vector<std::vector<int>> windows;
  int sounding = kMelodyNoteOff;  // pitch sounding before the current window start
  size_t scanned = 0;
  const size_t end = whole_only ? (melody.size() >= size_t(window_steps) ? melody.size() - size_t(window_steps) + 1 : 0) : melody.size();
  for (size_t start = 0; start < end; start += size_t(hop_steps)) {
    for (; scanned < start; ++scanned)
      if (melody[scanned] != kMelodyNoEvent) sounding = melody[scanned];
    std::vector<int> w(size_t(window_steps), kMelodyNoEvent);
    bool has_onset = false;
    for (size_t i = 0; i < w.size() && start + i < melody.size(); ++i) {
      w[i] = melody[start + i];
      has_onset |= w[i] >= 0;
    }
    if (w[0] == kMelodyNoEvent && sounding >= 0) {
      w[0] = sounding;  // re-strike the note held across the window start
      has_onset = true;
    }
    if (!has_onset) continue;
    windows.push_back(std::move(w));
    if (starts) starts->push_back(start);
  }
  return windows;
}

NoteSequence melody_to_sequence(const std::vector<int>& events, double qpm, int steps_per_quarter,
                                int velocity, int program) {
  if (!(qpm > 0) || steps_per_quarter < 1) throw Error("", "invalid tempo or step resolution");
  NoteSequence seq;
  seq.tempos.push_back({0.0, qpm});
  seq.time_signatures.push_back({0.0, 4, 4});
  seq.steps_per_quarter = steps_per_quarter;
  seq.total_quantized_steps = int64_t(events.size());
  const double step_seconds = 60.0 / qpm / steps_per_quarter;
  int pitch = -1;
  int64_t onset = 0;
  auto close = [&](int64_t step) {
    if (pitch < 0) return;
    Note n;
    n.pitch = pitch;
    n.velocity = velocity;
    n.program = program;
    n.quantized_start_step = onset;
    n.quantized_end_step = step;
    n.start_time = onset * step_seconds;
    n.end_time = step * step_seconds;
    seq.notes.push_back(n);
    pitch = -1;
  };
  for (size_t i = 0; i < events.size(); ++i) {
    int e = events[i];
    if (e == kMelodyNoEvent) continue;
    close(int64_t(i));
    if (e >= 0) {
      if (e > 127) throw Error("", "melody event " + std::to_string(e) + " is not a MIDI pitch");
      pitch = e;
      onset = int64_t(i);
    } else if (e != kMelodyNoteOff) {
      throw Error("", "unknown melody event " + std::to_string(e));
    }
  }
  close(int64_t(events.size()));
  seq.total_time = double(events.size()) * step_seconds;
  return seq;
}

}  // namespace timbrel
