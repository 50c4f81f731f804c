// The accompaniment part of an arrangement: voicings that move little, in block, broken or
// strummed rhythms on the song's meter.
#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <functional>
#include <numeric>

#include "music/arrangement_parts.h"

namespace timbrel::arrangement {
namespace {

bool clashes(int pitch, const std::vector<int>& others) {
  return std::any_of(others.begin(), others.end(), [&](int m) { return std::abs(m - pitch) % 12 == 1; });
}

// Every choice of one pitch in lo..hi per pitch class of `pcs`, distinct and ascending.
void each_voicing(const std::vector<int>& pcs, int lo, int hi, const std::function<void(const std::vector<int>&)>& visit) {
  std::vector<int> chosen;
  std::function<void(size_t)> pick = [&](size_t i) {
    if (i == pcs.size()) {
      std::vector<int> v = chosen;
      std::sort(v.begin(), v.end());
      if (std::adjacent_find(v.begin(), v.end()) == v.end()) visit(v);
      return;
    }
    for (int p = lo; p <= hi; ++p)
      if (p % 12 == pcs[i]) chosen.push_back(p), pick(i + 1), chosen.pop_back();
  };
  pick(0);
}

}  // namespace

double mean_voice_movement(const std::vector<int>& a, const std::vector<int>& b) {
  if (a.empty() || b.empty()) return 0;
  double sum = 0;
  if (a.size() == b.size()) {
    for (size_t i = 0; i < a.size(); ++i) sum += std::abs(a[i] - b[i]);
    return sum / double(a.size());
  }
  const std::vector<int>& few = a.size() < b.size() ? a : b;
  const std::vector<int>& many = a.size() < b.size() ? b : a;
  for (int p : few) {
    int best = 1000;
    for (int q : many) best = std::min(best, std::abs(p - q));
    sum += best;
  }
  return sum / double(few.size());
}

std::vector<int> voice_chord(const Chord& chord, const std::vector<int>& previous, int voices, int lo, int hi, int ceiling,
                             const std::vector<int>& avoid) {
  std::vector<int> pcs = chord_pitch_classes(chord);
  if (int(pcs.size()) < voices) pcs.push_back(chord.root);  // a triad in four voices doubles its root
  const double centre = (lo + std::min(hi, ceiling)) / 2.0;
  std::vector<int> best;
  double best_cost = 1e18;
  auto consider = [&](const std::vector<int>& v, double cost) {
    cost += previous.empty() ? 2 * std::fabs(std::accumulate(v.begin(), v.end(), 0.0) / double(v.size()) - centre)
                             : double(v.size()) * mean_voice_movement(previous, v);
    cost += 4.0 * std::max(0, v.back() - ceiling);         // over the melody
    cost += 2.0 * std::max(0, v.back() - v.front() - 12);  // wider than an octave
    for (int p : v) cost += clashes(p, avoid) ? 12.0 : 0.0;
    if (cost < best_cost) best_cost = cost, best = v;
  };
  each_voicing(pcs, lo, hi, [&](const std::vector<int>& v) { consider(v, 0.0); });
  for (size_t left_out = 0; left_out < pcs.size() && pcs.size() > 2; ++left_out) {
    if (pcs[left_out] == chord.root) continue;  // the root stays
    std::vector<int> fewer = pcs;
    fewer.erase(fewer.begin() + long(left_out));
    each_voicing(fewer, lo, hi, [&](const std::vector<int>& v) { consider(v, 8.0); });
  }
  return best;
}

namespace {

struct Stroke {
  double at;      // quarter notes from the bar's start
  bool up;        // a strum's up stroke (strummed only)
  int velocity;
};

// The strokes of one bar of `style`: block on the beats (a waltz's 2 and 3), broken in eighths
// (a compound beat's three), strummed down-down-up-up-down-up in eighths.
std::vector<Stroke> bar_pattern(AccompanimentStyle style, const Meter& m) {
  std::vector<Stroke> out;
  const double beat = m.beat_quarters;
  const bool compound = std::fabs(beat - 1.5) < 1e-6;
  for (int b = 0; b < m.beats_per_bar; ++b) {
    if (style == AccompanimentStyle::Block) {
      if (m.beats_per_bar == 3 && b == 0) continue;  // the bass has the waltz's first beat
      out.push_back({b * beat, false, b == 0 ? 72 : 62});
    } else if (style == AccompanimentStyle::Broken) {
      const int per_beat = compound ? 3 : 2;
      for (int e = 0; e < per_beat; ++e) out.push_back({b * beat + e * beat / per_beat, false, e == 0 ? 66 : 56});
    } else if (compound) {  // down on the beat, up on its last eighth
      out.push_back({b * beat, false, 70});
      out.push_back({b * beat + beat * 2 / 3, true, 54});
    } else {  // 4/4: D . D U . U D U; other meters: D U on every beat but the first (D .)
      if (!(m.beats_per_bar == 4 && b == 2)) out.push_back({b * beat, false, 70});
      if (b >= 1) out.push_back({b * beat + beat / 2, true, 54});
    }
  }
  return out;
}

}  // namespace

std::vector<PartNote> accompaniment(const std::vector<ChordSpan>& chords, const Meter& meter, AccompanimentStyle style,
                                    const std::vector<MelodyNote>& melody, const std::vector<MelodyNote>& bass, double qpm) {
  const bool strum = style == AccompanimentStyle::Strummed;
  const int lo = strum ? 40 : 52, hi = strum ? 67 : 74;  // the piano above the bass (E3 up), the guitar from its low E
  const int voices = style == AccompanimentStyle::Broken ? 3 : 4;  // a figure sounds each of its three voices
  const BarGrid bars(meter);
  const std::vector<Stroke> pattern = bar_pattern(style, meter);
  std::vector<PartNote> out;
  std::vector<int> previous;
  for (const ChordSpan& span : chords) {
    if (span.chord.is_none()) continue;
    // The other parts over this chord: the melody's lowest note sets the ceiling; all are avoided.
    std::vector<int> over;
    int lowest = 127;
    for (const MelodyNote& n : melody)
      if (n.start < span.end_beat && n.end > span.start_beat) over.push_back(n.pitch), lowest = std::min(lowest, n.pitch);
    for (const MelodyNote& n : bass)
      if (n.start < span.end_beat && n.end > span.start_beat) over.push_back(n.pitch);
    const std::vector<int> v = voice_chord(span.chord, previous, voices, lo, hi, std::max(strum ? 64 : 60, lowest - 1), over);
    if (v.empty()) continue;
    previous = v;
    std::vector<Stroke> strokes;
    for (double b = bars.bar_start(span.start_beat); b < span.end_beat; b += bars.bar)
      for (const Stroke& s : pattern)
        if (b + s.at > span.start_beat - 1e-6 && b + s.at < span.end_beat - 1e-6) strokes.push_back({b + s.at, s.up, s.velocity});
    if (strokes.empty()) strokes.push_back({span.start_beat, false, 66});  // a chord too short for the pattern: struck once
    for (size_t k = 0; k < strokes.size(); ++k) {
      const double t = strokes[k].at, next = k + 1 < strokes.size() ? strokes[k + 1].at : span.end_beat;
      if (style == AccompanimentStyle::Broken) {
        // By the eighth's place: low, high, middle, high (an Alberti figure); low, high, middle in a compound beat.
        static const int simple[4] = {0, 2, 1, 2}, compound[3] = {0, 2, 1};
        const bool triple = std::fabs(meter.beat_quarters - 1.5) < 1e-6;
        const long eighth = std::lround((t - bars.origin) / (triple ? 0.5 : meter.beat_quarters / 2));
        const int figure = triple ? compound[((eighth % 3) + 3) % 3] : simple[((eighth % 4) + 4) % 4];
        const int voice = std::min(int(v.size()) - 1, figure * (int(v.size()) - 1) / 2);
        out.push_back({v[size_t(voice)], strokes[k].velocity, t, std::min(span.end_beat, t + meter.beat_quarters)});
        continue;
      }
      std::vector<int> notes = v;
      if (strokes[k].up) notes.erase(notes.begin(), notes.begin() + std::max(0, int(notes.size()) - 3)), std::reverse(notes.begin(), notes.end());
      for (size_t i = 0; i < notes.size(); ++i) {
        const double spread = strum ? 0.012 * qpm / 60 * double(i) : 0.0;  // strings 12 ms apart
        out.push_back({notes[i], strokes[k].velocity - (strum ? int(i) : 0), t + spread, t + std::max(spread + 0.05, (next - t) * 0.9)});
      }
    }
  }
  return out;
}

}  // namespace timbrel::arrangement
