// Melody and drum windows <-> NoteSequence (no torch here: the codecs are plain data).
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <map>
#include <set>

#include "music/melody_split.h"
#include "timbrel/error.h"
#include "timbrel/music.h"
#include "timbrel/musicvae.h"

namespace timbrel {

int melody_event_to_class(int event) {
  if (event == kMelodyNoEvent) return 0;
  if (event == kMelodyNoteOff) return 1;
  if (event < kMelodyMinPitch || event > kMelodyMaxPitch) return -1;
  return event - kMelodyMinPitch + 2;
}

int melody_class_to_event(int cls) {
  if (cls == 0) return kMelodyNoEvent;
  if (cls == 1) return kMelodyNoteOff;
  if (cls < 2 || cls > kMelodyMaxPitch - kMelodyMinPitch + 2) throw Error("", "melody class " + std::to_string(cls) + " out of range");
  return cls - 2 + kMelodyMinPitch;
}

namespace {

constexpr size_t kStepsPerBar = 16;  // windows are quantized at 4 steps per quarter, in 4/4

// [begin, end) of each part of a melody split at rests of `gap_steps` or more (Magenta's
// gap_bars): a part ends with the note-off that starts such a rest, and the next one starts at
// the bar of its first onset.
std::vector<std::pair<size_t, size_t>> melody_parts(const std::vector<int>& melody, size_t gap_steps, size_t bar) {
  std::vector<std::pair<size_t, size_t>> parts;
  size_t begin = SIZE_MAX, rest_from = SIZE_MAX;  // no part open; no rest running
  for (size_t i = 0; i < melody.size(); ++i) {
    const int e = melody[i];
    if (e >= 0) {
      if (begin != SIZE_MAX && rest_from != SIZE_MAX && i - rest_from >= gap_steps) {
        parts.emplace_back(begin, rest_from + 1);
        begin = SIZE_MAX;
      }
      if (begin == SIZE_MAX) begin = i / bar * bar;
      rest_from = SIZE_MAX;
    } else if (e == kMelodyNoteOff && rest_from == SIZE_MAX) {
      rest_from = i;
    }
  }
  if (begin != SIZE_MAX) parts.emplace_back(begin, melody.size());
  return parts;
}

// The windows of one melody (or part) as tokens, appended with the step each starts at.
void append_windows(std::vector<int> melody, size_t offset, int steps, bool pad_short, std::vector<Tokens>& out,
                    std::vector<size_t>& starts) {
  // Magenta's slicing: a window every bar, each ending within the melody (its length rounded up
  // to whole bars; a closing note-off on a bar line opens no bar). Windows running past the end
  // would teach a 16-bar model trailing empty bars.
  constexpr size_t kBar = kStepsPerBar;
  const size_t used = melody.size() - (!melody.empty() && melody.back() == kMelodyNoteOff ? 1 : 0);
  const size_t whole = (used + kBar - 1) / kBar * kBar;
  if (whole < size_t(steps) && !pad_short) return;
  melody.resize(std::max(whole, size_t(steps)), kMelodyNoEvent);
  std::vector<size_t> all_starts;
  const auto windows = split_melody_at(melody, steps, int(kBar), true, &all_starts);
  for (size_t i = 0; i < windows.size(); ++i) {
    Tokens t;
    for (int e : windows[i]) t.push_back(melody_event_to_class(e));
    if (std::find(t.begin(), t.end(), -1) != t.end()) continue;
    out.push_back(std::move(t));
    starts.push_back(offset + all_starts[i]);
  }
}

// melody_windows, with the step each window starts at in the quantized sequence `q`. Without
// gap_bars a melody shorter than one window gives one, padded; with it, as in Magenta, a part
// shorter than a window gives none.
std::vector<Tokens> melody_windows_at(const NoteSequence& q, int steps, double gap_bars, std::vector<size_t>& starts) {
  const std::vector<int> melody = extract_melody(q);
  std::vector<Tokens> out;
  if (!(gap_bars > 0)) {
    append_windows(melody, 0, steps, true, out, starts);
    return out;
  }
  for (const auto& [begin, end] : melody_parts(melody, size_t(std::ceil(gap_bars * kStepsPerBar)), kStepsPerBar))
    append_windows(std::vector<int>(melody.begin() + long(begin), melody.begin() + long(end)), begin, steps, false, out, starts);
  return out;
}

}  // namespace

std::vector<Tokens> melody_windows(const NoteSequence& seq, int steps, double gap_bars) {
  std::vector<size_t> starts;
  return melody_windows_at(seq.is_quantized() ? seq : quantize(seq, 4), steps, gap_bars, starts);
}

std::vector<Tokens> melody_windows_with_chords(const NoteSequence& seq, std::vector<StepChords>& chords, int steps, double gap_bars) {
  const NoteSequence q = quantize(seq, 4);  // from the times: the chord symbols get their steps too
  std::vector<size_t> starts;
  std::vector<Tokens> windows = melody_windows_at(q, steps, gap_bars, starts);
  const std::vector<Chord> all = chords_per_step(q, int64_t(starts.empty() ? 0 : starts.back() + size_t(steps)));
  chords.clear();
  for (size_t start : starts) chords.emplace_back(all.begin() + long(start), all.begin() + long(start) + steps);
  return windows;
}

std::vector<Tokens> drum_windows(const NoteSequence& seq, int steps) {
  NoteSequence q = seq.is_quantized() ? seq : quantize(seq, 4);
  std::map<int64_t, int> hits;  // step -> bit mask
  int64_t last = -1;
  for (const Note& n : q.notes) {
    if (!n.is_drum) continue;
    int c = drum_class_of_pitch(n.pitch);
    if (c < 0) continue;
    hits[n.quantized_start_step] |= 1 << c;
    last = std::max(last, n.quantized_start_step);
  }
  std::vector<Tokens> out;
  const int hop = steps / 2;
  for (int64_t start = 0; start <= last; start += hop) {
    Tokens t(size_t(steps), 0);
    bool any = false;
    for (auto it = hits.lower_bound(start); it != hits.end() && it->first < start + steps; ++it) {
      t[size_t(it->first - start)] = it->second;
      any = true;
    }
    if (any) out.push_back(std::move(t));
  }
  return out;
}

std::vector<Tokens> windows_for(ModelKind kind, const NoteSequence& seq, int steps, double gap_bars) {
  return kind == ModelKind::Drums ? drum_windows(seq, steps) : melody_windows(seq, steps, gap_bars);
}

NoteSequence windows_to_sequence(ModelKind kind, const std::vector<Tokens>& windows, double qpm) {
  NoteSequence out;
  out.tempos.push_back({0.0, qpm});
  out.time_signatures.push_back({0.0, 4, 4});
  out.steps_per_quarter = 4;
  const double step_seconds = 60.0 / qpm / 4;
  int64_t offset = 0;
  for (const Tokens& w : windows) {
    if (kind == ModelKind::Drums) {
      for (size_t i = 0; i < w.size(); ++i)
        for (int c = 0; c < 9; ++c)
          if (w[i] >> c & 1) {
            Note n;
            n.pitch = drum_pitch_of_class(c);
            n.is_drum = true;
            n.channel = 9;
            n.quantized_start_step = offset + int64_t(i);
            n.quantized_end_step = n.quantized_start_step + 1;
            out.notes.push_back(n);
          }
    } else {
      std::vector<int> events;
      for (int c : w) events.push_back(melody_class_to_event(c));
      for (Note n : melody_to_sequence(events, qpm, 4).notes) {
        n.quantized_start_step += offset;
        n.quantized_end_step += offset;
        out.notes.push_back(n);
      }
    }
    offset += int64_t(w.size());
  }
  for (Note& n : out.notes) {
    n.start_time = double(n.quantized_start_step) * step_seconds;
    n.end_time = double(n.quantized_end_step) * step_seconds;
  }
  out.total_quantized_steps = offset;
  out.total_time = double(offset) * step_seconds;
  return out;
}

}  // namespace timbrel
