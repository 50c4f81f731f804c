// Melody and drum windows <-> NoteSequence (no torch here: the codecs are plain data).
#include <algorithm>
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

// melody_windows, with the step each window starts at in the quantized sequence `q`.
std::vector<Tokens> melody_windows_at(const NoteSequence& q, int steps, std::vector<size_t>& starts) {
  // Magenta's slicing: a window every bar, each ending within the melody (its length rounded up
  // to whole bars; a closing note-off on a bar line opens no bar). Windows running past the end
  // would teach a 16-bar model trailing empty bars; a melody shorter than one window gives one.
  constexpr size_t kBar = 16;
  std::vector<int> melody = extract_melody(q);
  const size_t used = melody.size() - (!melody.empty() && melody.back() == kMelodyNoteOff ? 1 : 0);
  melody.resize(std::max((used + kBar - 1) / kBar * kBar, size_t(steps)), kMelodyNoEvent);
  std::vector<size_t> all_starts;
  std::vector<Tokens> out;
  const auto windows = split_melody_at(melody, steps, int(kBar), true, &all_starts);
  for (size_t i = 0; i < windows.size(); ++i) {
    Tokens t;
    for (int e : windows[i]) t.push_back(melody_event_to_class(e));
    if (std::find(t.begin(), t.end(), -1) != t.end()) continue;
    out.push_back(std::move(t));
    starts.push_back(all_starts[i]);
  }
  return out;
}

}  // namespace

std::vector<Tokens> melody_windows(const NoteSequence& seq, int steps) {
  std::vector<size_t> starts;
  return melody_windows_at(seq.is_quantized() ? seq : quantize(seq, 4), steps, starts);
}

std::vector<Tokens> melody_windows_with_chords(const NoteSequence& seq, std::vector<StepChords>& chords, int steps) {
  const NoteSequence q = quantize(seq, 4);  // from the times: the chord symbols get their steps too
  std::vector<size_t> starts;
  std::vector<Tokens> windows = melody_windows_at(q, steps, starts);
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

std::vector<Tokens> windows_for(ModelKind kind, const NoteSequence& seq, int steps) {
  return kind == ModelKind::Drums ? drum_windows(seq, steps) : melody_windows(seq, steps);
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
