// A melody's key, meter and pitch-class time per beat, and the rule baseline harmoniser.
#include "music/melody_analysis.h"

#include <algorithm>
#include <cmath>

#include "music/quarter_clock.h"
#include "timbrel/error.h"

namespace timbrel {
namespace harmony {

std::vector<PitchTime> beat_pitch_time(const NoteSequence& seq, const Meter& meter) {
  const QuarterClock clock(seq);
  const double bq = meter.beat_quarters, quarters = clock.quarters(seq.total_time), length = quarters / bq;
  if (!std::isfinite(quarters) || quarters > kMaxBeats)
    throw Error("melody", "lasts " + std::to_string(quarters) + " quarter notes; the harmoniser takes at most " + std::to_string(int(kMaxBeats)));
  const int beats = std::max(1, int(std::ceil(length - 1e-6)));
  std::vector<PitchTime> out(size_t(beats), PitchTime{});
  for (const Note& n : seq.notes) {
    if (n.is_drum) continue;
    if (n.pitch < 0 || n.pitch > 127) throw Error("melody", "has a note of pitch " + std::to_string(n.pitch) + " (MIDI pitches are 0..127)");
    const double qs = clock.quarters(n.start_time) / bq, qe = clock.quarters(n.end_time) / bq;  // in beats
    for (int b = std::max(0, int(std::floor(qs))); b < beats && b < qe; ++b)
      out[size_t(b)][size_t(n.pitch % 12)] += std::max(0.0, std::min(qe, b + 1.0) - std::max(qs, double(b)));
  }
  return out;
}

int beat_position(const Meter& meter, int beat) {
  const int r = ((beat - meter.phase) % meter.beats_per_bar + meter.beats_per_bar) % meter.beats_per_bar;
  if (r == 0) return 0;
  return meter.beats_per_bar % 2 == 0 && r == meter.beats_per_bar / 2 ? 1 : 2;
}

std::vector<int> triad_per_beat(const std::vector<ChordSpan>& chords, int beats, const Meter& meter) {
  std::vector<int> out(size_t(std::max(0, beats)), 0);
  for (const ChordSpan& c : chords) {
    const double start = c.start_beat / meter.beat_quarters, end = c.end_beat / meter.beat_quarters;
    for (int b = std::max(0, int(std::ceil(start - 0.25))); b < beats && b + 0.25 < end; ++b)
      if (b + 0.25 >= start) out[size_t(b)] = triad_class(c.chord);
  }
  return out;
}

Meter meter_of_chords(const NoteSequence& seq, const std::vector<ChordSpan>& chords) {
  Meter m = estimate_meter(seq);
  std::vector<int> changes(size_t(m.beats_per_bar), 0);
  for (size_t i = 1; i < chords.size(); ++i) {
    const double beat = chords[i].start_beat / m.beat_quarters;
    if (chords[i].chord != chords[i - 1].chord && std::fabs(beat - std::round(beat)) < 0.05)
      ++changes[size_t(std::lround(beat)) % size_t(m.beats_per_bar)];
  }
  if (*std::max_element(changes.begin(), changes.end()) > 0) m.phase = int(std::max_element(changes.begin(), changes.end()) - changes.begin());
  return m;
}

std::vector<ChordSpan> spans_of(const std::vector<int>& classes, const Meter& meter) {
  std::vector<ChordSpan> spans;
  const double bq = meter.beat_quarters;
  for (size_t b = 0; b < classes.size(); ++b) {
    if (!spans.empty() && triad_class(spans.back().chord) == classes[b] && spans.back().end_beat == double(b) * bq) {
      spans.back().end_beat = double(b + 1) * bq;
      continue;
    }
    if (classes[b] == 0) continue;  // no chord: a gap
    const Chord c = triad_chord(classes[b]);
    spans.push_back({double(b) * bq, double(b + 1) * bq, c, chord_symbol(c)});
  }
  return spans;
}

}  // namespace harmony

Key estimate_key(const NoteSequence& seq) {
  static const double major[12] = {6.35, 2.23, 3.48, 2.33, 4.38, 4.09, 2.52, 5.19, 2.39, 3.66, 2.29, 2.88};
  static const double minor[12] = {6.33, 2.68, 3.52, 5.38, 2.60, 3.53, 2.54, 4.75, 3.98, 2.69, 3.34, 3.17};
  double pcs[12] = {};
  for (const harmony::PitchTime& beat : harmony::beat_pitch_time(seq, Meter{}))
    for (int i = 0; i < 12; ++i) pcs[i] += beat[size_t(i)];
  auto correlation = [&](const double* profile, int tonic) {
    double mx = 0, my = 0;
    for (int i = 0; i < 12; ++i) mx += pcs[i] / 12, my += profile[i] / 12;
    double sxy = 0, sxx = 0, syy = 0;
    for (int i = 0; i < 12; ++i) {
      const double x = pcs[(i + tonic) % 12] - mx, y = profile[i] - my;
      sxy += x * y, sxx += x * x, syy += y * y;
    }
    return sxx > 0 ? sxy / std::sqrt(sxx * syy) : 0.0;
  };
  Key best;
  double best_r = -2;
  for (int tonic = 0; tonic < 12; ++tonic)
    for (bool is_minor : {false, true})
      if (const double r = correlation(is_minor ? minor : major, tonic); r > best_r) best_r = r, best = Key{tonic, is_minor};
  return best;
}

std::string key_name(const Key& key) {
  static const char* names[12] = {"C", "C#", "D", "Eb", "E", "F", "F#", "G", "Ab", "A", "Bb", "B"};
  return std::string(names[((key.tonic % 12) + 12) % 12]) + (key.minor ? " minor" : " major");
}

Meter estimate_meter(const NoteSequence& seq) {
  Meter m;
  if (!seq.time_signatures.empty()) {
    const TimeSignature& ts = seq.time_signatures.front();
    // Compound meters count dotted quarters; other eighth and sixteenth meters their own unit, so
    // that a bar is whole beats.
    const bool compound = ts.denominator == 8 && ts.numerator % 3 == 0;
    m.beat_quarters = compound ? 1.5 : ts.denominator >= 8 ? 4.0 / ts.denominator : 1.0;
    m.beats_per_bar = compound ? ts.numerator / 3 : ts.denominator >= 8 ? ts.numerator
                                                   : int(std::lround(ts.numerator * 4.0 / std::max(1, ts.denominator)));
    m.beats_per_bar = std::clamp(m.beats_per_bar, 1, harmony::kMaxBeatsPerBar);  // phases the decoder tries
  }
  const QuarterClock clock(seq);
  std::vector<double> weight(size_t(m.beats_per_bar), 0.0);
  for (const Note& n : seq.notes) {
    const double b = clock.quarters(n.start_time) / m.beat_quarters;
    if (n.is_drum || std::fabs(b - std::round(b)) > 0.05) continue;
    weight[size_t(std::lround(b)) % size_t(m.beats_per_bar)] += clock.quarters(n.end_time) / m.beat_quarters - b;
  }
  m.phase = int(std::max_element(weight.begin(), weight.end()) - weight.begin());
  return m;
}

std::vector<ChordSpan> harmonize_by_rule(const NoteSequence& melody) {
  const Key key = estimate_key(melody);
  const Meter meter = estimate_meter(melody);
  const std::vector<harmony::PitchTime> beats = harmony::beat_pitch_time(melody, meter);
  // Diatonic triads (degree, triad quality 0 major 1 minor 3 diminished) in the tie order I V IV vi ii iii vii.
  static const std::pair<int, int> major_key[7] = {{0, 0}, {7, 0}, {5, 0}, {9, 1}, {2, 1}, {4, 1}, {11, 3}};
  static const std::pair<int, int> minor_key[7] = {{0, 1}, {7, 0}, {5, 1}, {8, 0}, {2, 3}, {3, 0}, {10, 0}};
  const auto& triads = key.minor ? minor_key : major_key;
  std::vector<int> classes(beats.size(), 0);
  int previous = 1 + 12 * triads[0].second + key.tonic;
  for (int start = meter.phase - meter.beats_per_bar; start < int(beats.size()); start += meter.beats_per_bar) {
    double best = 0;
    int chosen = previous;
    for (const auto& [degree, quality] : triads) {
      const Chord c = triad_chord(1 + 12 * quality + (key.tonic + degree) % 12);
      double on_tones = 0;
      for (int b = std::max(0, start); b < start + meter.beats_per_bar && b < int(beats.size()); ++b)
        for (int pc : chord_pitch_classes(c)) on_tones += beats[size_t(b)][size_t(pc)];
      if (on_tones > best + 1e-9) best = on_tones, chosen = triad_class(c);
    }
    for (int b = std::max(0, start); b < start + meter.beats_per_bar && b < int(beats.size()); ++b) classes[size_t(b)] = chosen;
    previous = chosen;
  }
  return harmony::spans_of(classes, meter);
}

}  // namespace timbrel
