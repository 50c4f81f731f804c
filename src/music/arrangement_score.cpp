// score_arrangement(): bass on root or fifth, voice movement and clashes, beat by beat.
#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <map>

#include "music/arrangement_parts.h"
#include "music/melody_analysis.h"
#include "music/quarter_clock.h"
#include "timbrel/arrange.h"

namespace timbrel {
namespace {

using arrangement::MelodyNote;
using Part = std::vector<MelodyNote>;

// The pitches of `part` heard on the beat at `t`: sounding at it, or starting within a tenth of a
// quarter note after it (a strum's later strings, a loosely played chord).
std::vector<int> sounding(const Part& part, double t) {
  std::vector<int> out;
  for (const MelodyNote& n : part)
    if (n.start <= t + 0.1 && n.end > t + 1e-3) out.push_back(n.pitch);
  return out;
}

const ChordSpan* chord_at(const std::vector<ChordSpan>& chords, double t) {
  for (const ChordSpan& c : chords)
    if (c.start_beat <= t + 1e-6 && c.end_beat > t + 1e-6 && !c.chord.is_none()) return &c;
  return nullptr;
}

// Which instruments are the melody, the bass and the accompaniment: the tracks named "Bass" and
// "Accompaniment" when there are, else the first instrument is the melody, the lowest of the
// rest the bass and the busiest of the rest the accompaniment.
struct Roles {
  int melody = -1, bass = -1, accompaniment = -1;
};
double mean_pitch(const Part& part) {
  double sum = 0;
  for (const MelodyNote& n : part) sum += n.pitch;
  return part.empty() ? 0 : sum / double(part.size());
}

Roles roles_of(const NoteSequence& song, const std::map<int, Part>& parts) {
  Roles r;
  r.melody = parts.begin()->first;
  const arrangement::ArrangedTracks named = arrangement::arranged_tracks(song);
  if (parts.count(named.bass)) r.bass = named.bass;
  if (parts.count(named.accompaniment)) r.accompaniment = named.accompaniment;
  const bool named_bass = r.bass >= 0, named_accompaniment = r.accompaniment >= 0;
  for (const auto& [instrument, part] : parts) {
    if (instrument == r.melody) continue;
    if (!named_bass && (r.bass < 0 || mean_pitch(part) < mean_pitch(parts.at(r.bass)))) r.bass = instrument;
    if (!named_accompaniment && (r.accompaniment < 0 || part.size() > parts.at(r.accompaniment).size())) r.accompaniment = instrument;
  }
  return r;
}

// Consecutive chords of the accompaniment: the pitches it starts within each chord span.
void score_voice_movement(const Part& accompaniment, const std::vector<ChordSpan>& chords, ArrangementScore& s) {
  std::vector<int> previous;
  double total = 0;
  for (const ChordSpan& c : chords) {
    std::vector<int> voicing;
    for (const MelodyNote& n : accompaniment)
      if (n.start >= c.start_beat - 1e-3 && n.start < c.end_beat - 1e-3) voicing.push_back(n.pitch);
    std::sort(voicing.begin(), voicing.end());
    voicing.erase(std::unique(voicing.begin(), voicing.end()), voicing.end());
    if (voicing.size() < 2) continue;
    if (!previous.empty()) total += arrangement::mean_voice_movement(previous, voicing), ++s.chord_changes;
    previous = voicing;
  }
  if (s.chord_changes) s.voice_movement = total / double(s.chord_changes);
}

}  // namespace

ArrangementScore score_arrangement(const NoteSequence& song) {
  ArrangementScore s;
  const QuarterClock clock(song);
  std::map<int, Part> parts;
  double end = 0;
  for (const Note& n : song.notes)
    if (!n.is_drum) parts[n.instrument].push_back({n.pitch, clock.quarters(n.start_time), clock.quarters(n.end_time)}), end = std::max(end, clock.quarters(n.end_time));
  if (parts.size() < 2) return s;
  const Roles roles = roles_of(song, parts);
  const std::vector<ChordSpan> chords = chord_spans(song);
  score_voice_movement(parts.at(roles.accompaniment), chords, s);
  const Meter meter = harmony::meter_of_chords(song, chords);
  const double bar = meter.beats_per_bar * meter.beat_quarters, origin = std::fmod(meter.phase * meter.beat_quarters, bar);
  size_t bass_right = 0, clashing = 0;
  for (double t = origin; t < end; t += bar / (meter.beats_per_bar % 2 == 0 ? 2 : 1)) {
    const bool downbeat = std::fabs(std::remainder(t - origin, bar)) < 1e-6;
    const std::vector<int> low = sounding(parts.at(roles.bass), t);
    const ChordSpan* chord = chord_at(chords, t);
    if (downbeat && chord && !low.empty()) {
      const int pc = *std::min_element(low.begin(), low.end()) % 12;
      ++s.downbeats;
      bass_right += pc == chord->chord.root || pc == arrangement::fifth_of(chord->chord) || pc == chord->chord.bass;
    }
    std::vector<std::vector<int>> heard;
    for (const auto& [instrument, part] : parts)
      if (std::vector<int> p = sounding(part, t); !p.empty()) heard.push_back(p);
    if (heard.size() < 2) continue;
    ++s.strong_beats;
    bool clash = false;
    for (size_t a = 0; a < heard.size(); ++a)
      for (size_t b = a + 1; b < heard.size(); ++b)
        for (int p : heard[a])
          for (int q : heard[b]) clash = clash || std::abs(p - q) % 12 == 1;
    clashing += clash;
  }
  if (s.downbeats) s.bass_root_or_fifth = double(bass_right) / double(s.downbeats);
  if (s.strong_beats) s.clashes = double(clashing) / double(s.strong_beats);
  return s;
}

}  // namespace timbrel
