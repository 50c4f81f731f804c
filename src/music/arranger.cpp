// arrange(): a melody's chords, bass and accompaniment as tracks of the song.
#include <algorithm>
#include <cmath>
#include <map>
#include <set>

#include "music/arrangement_parts.h"
#include "music/melody_analysis.h"
#include "music/quarter_clock.h"
#include "timbrel/arrange.h"
#include "timbrel/bundled_models.h"
#include "timbrel/error.h"
#include "timbrel/harmony.h"

namespace timbrel {
namespace {

using arrangement::MelodyNote;
using arrangement::PartNote;

AccompanimentStyle resolve(AccompanimentStyle style, const Meter& meter, double qpm, bool drums) {
  if (style != AccompanimentStyle::Auto) return style;
  if (meter.beat_quarters > 1.25) return AccompanimentStyle::Broken;  // 6/8, 9/8, 12/8: rolling eighths
  if (meter.beats_per_bar == 3) return AccompanimentStyle::Block;     // a waltz: chords on 2 and 3
  if (qpm < 90) return AccompanimentStyle::Broken;
  return drums ? AccompanimentStyle::Strummed : AccompanimentStyle::Block;
}

// MIDI channels the song does not use (never 10, the drums').
std::vector<int> free_channels(const NoteSequence& song, size_t count) {
  std::set<int> used = {9};  // and every channel the song plays, bends or sets controllers on
  for (const Note& n : song.notes) used.insert(n.channel);
  for (const ControlChange& c : song.control_changes) used.insert(c.channel);
  for (const PitchBend& b : song.pitch_bends) used.insert(b.channel);
  std::vector<int> out;
  for (int c = 0; c < 16 && out.size() < count; ++c)
    if (!used.count(c)) out.push_back(c);
  if (out.size() < count) throw Error("song", "uses every MIDI channel; an arrangement needs " + std::to_string(count) + " free");
  return out;
}

// Chords in time order, running forward, clipped to the song (quarter notes `end`).
std::vector<ChordSpan> checked(std::vector<ChordSpan> chords, double end) {
  for (const ChordSpan& c : chords)
    if (!std::isfinite(c.start_beat) || !std::isfinite(c.end_beat) || c.start_beat < 0 || c.end_beat <= c.start_beat)
      throw Error("chords", "the span of " + c.symbol + " from beat " + std::to_string(c.start_beat) + " to " + std::to_string(c.end_beat) +
                                " does not run forward from 0 or later");
  std::stable_sort(chords.begin(), chords.end(), [](const ChordSpan& a, const ChordSpan& b) { return a.start_beat < b.start_beat; });
  chords.erase(std::remove_if(chords.begin(), chords.end(), [&](const ChordSpan& c) { return c.start_beat >= end; }), chords.end());
  for (ChordSpan& c : chords) c.end_beat = std::min(c.end_beat, end);
  return chords;
}

std::vector<ChordSpan> chords_for(const NoteSequence& song, const ArrangeOptions& o, double end, bool& harmonized) {
  harmonized = false;
  if (!o.chords.empty()) return checked(o.chords, end);
  std::vector<ChordSpan> chords = chord_spans(song);
  if (!chords.empty()) return checked(chords, end);
  harmonized = true;
  return checked(Harmonizer::load(o.harmonizer_model.empty() ? bundled_model_path("harmonizer") : o.harmonizer_model).harmonize(song), end);
}

// A part's loudness as the renderers play it, roughly: the sum over its notes of (velocity /
// 127)^2 (their gain, squared) times how long they sound (at most 2 s: notes decay).
double energy(const std::vector<PartNote>& part, const QuarterClock& clock) {
  double e = 0;
  for (const PartNote& p : part) e += double(p.velocity * p.velocity) / (127.0 * 127.0) * std::min(2.0, clock.seconds(p.end) - clock.seconds(p.start));
  return e;
}

// A channel's first volume (CC7; 100 when it sets none, as players default) as a power ratio.
double volume_power(const NoteSequence& song, int channel) {
  int volume = 100;
  for (const ControlChange& c : song.control_changes)
    if (c.channel == channel && c.number == 7) {
      volume = c.value;
      break;
    }
  return std::pow(volume / 127.0, 4);  // 40 log10(v / 127) dB
}

// Sets `part` `offset_db` from the melody's energy: by channel volume (CC7 is 40 log10(v / 127)
// dB) when it is too loud, by velocity when it is too quiet. Returns the CC7 value.
int balance(std::vector<PartNote>& part, double melody_energy, double offset_db, const QuarterClock& clock) {
  const double e = energy(part, clock);
  if (e <= 0 || melody_energy <= 0) return 100;
  const double gain_db = offset_db - 10 * std::log10(e / melody_energy);
  if (gain_db <= 0) return std::clamp(int(std::lround(127 * std::pow(10.0, gain_db / 40))), 1, 127);
  for (PartNote& p : part) p.velocity = std::clamp(int(std::lround(p.velocity * std::pow(10.0, gain_db / 20))), 1, 127);
  return 127;
}

void add_part(NoteSequence& out, const std::vector<PartNote>& part, const QuarterClock& clock, int instrument, int channel, int program,
              const std::string& name, int pan, int volume) {
  for (const PartNote& p : part) {
    Note n;
    n.pitch = p.pitch, n.velocity = std::clamp(p.velocity, 1, 127);
    n.start_time = clock.seconds(p.start), n.end_time = clock.seconds(p.end);
    n.program = program, n.channel = channel, n.instrument = instrument;
    out.add_note(n);
  }
  out.tracks.push_back({instrument, name});
  out.control_changes.insert(out.control_changes.begin(), {ControlChange{0.0, 7, volume, channel, instrument}, ControlChange{0.0, 10, pan, channel, instrument}});
}

}  // namespace

namespace arrangement {

ArrangedTracks arranged_tracks(const NoteSequence& song) {
  ArrangedTracks t;
  for (const TrackInfo& track : song.tracks) {
    if (track.name == kBassTrack) t.bass = track.instrument;
    if (track.name == kAccompanimentTrack) t.accompaniment = track.instrument;
  }
  return t;
}

}  // namespace arrangement

AccompanimentStyle parse_accompaniment_style(const std::string& text, const std::string& parameter) {
  for (AccompanimentStyle s : {AccompanimentStyle::Auto, AccompanimentStyle::Block, AccompanimentStyle::Broken, AccompanimentStyle::Strummed})
    if (text == to_string(s)) return s;
  throw Error(parameter, "'" + text + "' is not a style (auto, block, broken, strummed)");
}

std::string to_string(AccompanimentStyle style) {
  switch (style) {
    case AccompanimentStyle::Block: return "block";
    case AccompanimentStyle::Broken: return "broken";
    case AccompanimentStyle::Strummed: return "strummed";
    default: return "auto";
  }
}

NoteSequence arrange(const NoteSequence& song, const ArrangeOptions& o, ArrangeReport* report) {
  if (o.bass_program < 0 || o.bass_program > 127) throw Error("bass_program", std::to_string(o.bass_program) + " is not a General MIDI program (0..127)");
  if (o.accompaniment_program < -1 || o.accompaniment_program > 127)
    throw Error("accompaniment_program", std::to_string(o.accompaniment_program) + " is not a General MIDI program (0..127, or -1: by style)");
  std::vector<MelodyNote> melody;
  std::vector<double> kicks;
  const QuarterClock clock(song);
  for (const Note& n : song.notes) {
    if (!n.is_drum) melody.push_back({n.pitch, clock.quarters(n.start_time), clock.quarters(n.end_time)});
    else if (n.pitch == 35 || n.pitch == 36) kicks.push_back(clock.quarters(n.start_time));
  }
  if (melody.empty()) throw Error("song", "has no pitched notes (a melody) to arrange");
  std::sort(kicks.begin(), kicks.end());
  kicks.erase(std::unique(kicks.begin(), kicks.end(), [](double a, double b) { return b - a < 1e-3; }), kicks.end());
  ArrangeReport r;
  const double end = std::max(1.0, std::ceil(clock.quarters(song.total_time) - 1e-6));  // the song, to its last beat
  const std::vector<ChordSpan> chords = chords_for(song, o, end, r.harmonized);
  const Meter meter = harmony::meter_of_chords(song, chords);
  r.style = resolve(o.style, meter, song.first_qpm(), !kicks.empty());
  NoteSequence out = song;
  set_chords(out, chords);
  const std::vector<int> channels = free_channels(song, size_t(o.bass) + size_t(o.accompaniment));
  int instrument = 0;
  for (const Note& n : song.notes) instrument = std::max(instrument, n.instrument + 1);
  std::vector<PartNote> bass = o.bass ? arrangement::bass_line(chords, meter, kicks) : std::vector<PartNote>{};
  std::vector<MelodyNote> bass_heard;
  for (const PartNote& p : bass) bass_heard.push_back({p.pitch, p.start, p.end});
  std::vector<PartNote> comp = o.accompaniment ? arrangement::accompaniment(chords, meter, r.style, melody, bass_heard, song.first_qpm()) : std::vector<PartNote>{};
  std::map<int, double> volume;  // channel -> its volume as a power ratio
  for (const Note& n : song.notes)
    if (!volume.count(n.channel)) volume[n.channel] = volume_power(song, n.channel);
  double melody_energy = 0;
  for (const Note& n : song.notes)
    if (!n.is_drum) melody_energy += double(n.velocity * n.velocity) / (127.0 * 127.0) * std::min(2.0, n.end_time - n.start_time) * volume[n.channel];
  if (o.bass) {
    const int volume = balance(bass, melody_energy, kArrangedBassDb, clock);
    add_part(out, bass, clock, instrument++, channels[0], o.bass_program, kBassTrack, 64, volume);
    r.bass_notes = bass.size();
  }
  if (o.accompaniment) {
    const int volume = balance(comp, melody_energy, kArrangedAccompanimentDb, clock);
    const int program = o.accompaniment_program >= 0 ? o.accompaniment_program : r.style == AccompanimentStyle::Strummed ? 25 : 0;
    add_part(out, comp, clock, instrument++, channels.back(), program, kAccompanimentTrack, 44, volume);
    r.accompaniment_notes = comp.size();
  }
  std::stable_sort(out.notes.begin(), out.notes.end(), [](const Note& a, const Note& b) { return a.start_time < b.start_time; });
  r.chords = chords.size();
  if (report) *report = r;
  return out;
}

}  // namespace timbrel
