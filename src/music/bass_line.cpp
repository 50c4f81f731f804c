// The bass part of an arrangement: roots, fifths and approach notes, on the beat or on the kick.
#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <set>

#include "music/arrangement_parts.h"

namespace timbrel::arrangement {
namespace {

constexpr int kLowest = 28, kHighest = 47;  // E1 .. B2: a bass guitar's low octaves, under the piano

// `pc` in the bass range, in the octave closest to `previous`.
int near(int pc, int previous) {
  int best = -1;
  for (int p = kLowest; p <= kHighest; ++p)
    if (p % 12 == pc && (best < 0 || std::abs(p - previous) < std::abs(best - previous))) best = p;
  return best;
}

int bass_of(const Chord& c) { return c.bass >= 0 ? c.bass : c.root; }

// A note a step from `target` (the next bass note) that sits with the chord still sounding: one
// of its tones, else a step no semitone from any of them; -1 when there is none.
int approach(int target, int from, const Chord& sounding) {
  const std::vector<int> tones = chord_pitch_classes(sounding);
  const int side = target > from ? -1 : 1;  // from the side the line comes from
  const int steps[4] = {side, -side, 2 * side, -2 * side};
  auto in_range = [](int p) { return p >= kLowest && p <= kHighest; };
  for (int s : steps)
    if (in_range(target + s) && std::find(tones.begin(), tones.end(), (target + s) % 12) != tones.end()) return target + s;
  for (int s : steps)
    if (in_range(target + s) && std::none_of(tones.begin(), tones.end(), [&](int pc) {
          const int d = (pc - (target + s) % 12 + 12) % 12;
          return d == 1 || d == 11;
        }))
      return target + s;
  return -1;
}

// Onsets of the bass within [start, end): the chord's start, then the kick's onsets, or without
// drums each bar's first beat and an even bar's middle.
std::vector<double> onsets(double start, double end, const Meter& meter, const std::vector<double>& kicks) {
  std::set<double> out = {start};
  if (!kicks.empty()) {
    for (double k : kicks)
      if (k > start + 1e-6 && k < end - 1e-6) out.insert(k);
    return {out.begin(), out.end()};
  }
  const BarGrid bars(meter);
  const bool middle = meter.beats_per_bar % 2 == 0;
  for (double b = bars.bar_start(start); b < end; b += bars.bar)
    for (double t : {b, middle ? b + bars.bar / 2 : b})
      if (t > start + 1e-6 && t < end - 1e-6) out.insert(t);
  return {out.begin(), out.end()};
}

}  // namespace

int fifth_of(const Chord& chord) {
  const std::vector<int> pcs = chord_pitch_classes(chord);
  for (int interval : {7, 6, 8})
    if (std::find(pcs.begin(), pcs.end(), (chord.root + interval) % 12) != pcs.end()) return (chord.root + interval) % 12;
  return (chord.root + 7) % 12;
}

std::vector<PartNote> bass_line(const std::vector<ChordSpan>& chords, const Meter& meter, const std::vector<double>& kicks) {
  std::vector<PartNote> out;
  int previous = 40;
  const BarGrid bars(meter);
  for (size_t i = 0; i < chords.size(); ++i) {
    const ChordSpan& span = chords[i];
    if (span.chord.is_none()) continue;
    std::vector<double> times = onsets(span.start_beat, span.end_beat, meter, kicks);
    const bool next_differs = i + 1 < chords.size() && !chords[i + 1].chord.is_none() && bass_of(chords[i + 1].chord) != bass_of(span.chord) &&
                              chords[i + 1].start_beat - span.end_beat < 1e-6;
    const double last_beat = span.end_beat - meter.beat_quarters;  // without drums, room there for an approach note
    if (kicks.empty() && next_differs && last_beat - times.back() > 1e-6 && last_beat - span.start_beat >= meter.beat_quarters - 1e-6)
      times.push_back(last_beat);
    for (size_t k = 0; k < times.size(); ++k) {
      const double t = times[k], until = k + 1 < times.size() ? times[k + 1] : span.end_beat;
      const double in_bar = std::fmod(std::fmod(t - bars.origin, bars.bar) + bars.bar, bars.bar);
      int pc = k == 0 ? bass_of(span.chord) : span.chord.root;
      if (k > 0 && std::fabs(in_bar - bars.bar / 2) < 1e-6) pc = fifth_of(span.chord);
      int pitch = near(pc, previous), velocity = in_bar < 1e-6 ? 100 : 88;
      // The last onset, a beat or less before a new bass note and not the chord's first: a half step into it.
      if (next_differs && k > 0 && k + 1 == times.size() && span.end_beat - t <= meter.beat_quarters + 1e-6)
        if (const int step = approach(near(bass_of(chords[i + 1].chord), pitch), pitch, span.chord); step >= 0) pitch = step, velocity = 80;
      out.push_back({pitch, velocity, t, t + std::max(0.05, (until - t) * 0.92)});
      previous = pitch;
    }
  }
  return out;
}

}  // namespace timbrel::arrangement
