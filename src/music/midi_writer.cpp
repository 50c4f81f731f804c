// Standard MIDI File writer (format 1).
#include <algorithm>
#include <cmath>
#include <map>
#include <tuple>

#include "music/tempo_map.h"
#include "timbrel/error.h"
#include "timbrel/music.h"
#include "util/atomic_file.h"

namespace timbrel {
namespace {

struct Event {
  int64_t tick;
  int order;  // at one tick: meta first, then note-offs, program changes, note-ons
  std::vector<uint8_t> bytes;
};

void put_vlq(std::vector<uint8_t>& out, uint32_t v) {
  uint8_t buf[5];
  int n = 0;
  buf[n++] = v & 0x7f;
  while (v >>= 7) buf[n++] = uint8_t(0x80 | (v & 0x7f));
  while (n) out.push_back(buf[--n]);
}

void put_be32(std::vector<uint8_t>& out, uint32_t v) {
  for (int s = 24; s >= 0; s -= 8) out.push_back(uint8_t(v >> s));
}

std::vector<uint8_t> meta(int type, const std::vector<uint8_t>& data) {
  std::vector<uint8_t> b{0xff, uint8_t(type)};
  put_vlq(b, uint32_t(data.size()));
  b.insert(b.end(), data.begin(), data.end());
  return b;
}

void append_track(std::vector<uint8_t>& out, std::vector<Event> events) {
  std::stable_sort(events.begin(), events.end(), [](const Event& a, const Event& b) {
    return std::tie(a.tick, a.order) < std::tie(b.tick, b.order);
  });
  std::vector<uint8_t> body;
  int64_t last = 0;
  for (const Event& e : events) {
    put_vlq(body, uint32_t(e.tick - last));
    last = e.tick;
    body.insert(body.end(), e.bytes.begin(), e.bytes.end());
  }
  body.insert(body.end(), {0x00, 0xff, 0x2f, 0x00});
  out.insert(out.end(), {'M', 'T', 'r', 'k'});
  put_be32(out, uint32_t(body.size()));
  out.insert(out.end(), body.begin(), body.end());
}

}  // namespace

std::vector<uint8_t> encode_midi(const NoteSequence& seq) {
  const int tpq = seq.ticks_per_quarter > 0 && seq.ticks_per_quarter < 0x8000 ? seq.ticks_per_quarter : 220;
  TempoMap map = TempoMap::from_sequence(seq, tpq);
  auto tick_of = [&](double seconds) {
    if (!std::isfinite(seconds) || seconds < 0) throw Error("", "note or event time " + std::to_string(seconds) + " s is not a valid time");
    int64_t t = map.ticks(seconds);
    if (t > 0x0fffffffLL * 64) throw Error("", "event at " + std::to_string(seconds) + " s is too late to encode");
    return t;
  };

  // Conductor track: tempos, time and key signatures, text.
  std::vector<Event> conductor;
  for (const auto& c : map.changes())
    conductor.push_back({c.tick, 0, meta(0x51, {uint8_t(c.usec_per_quarter >> 16), uint8_t(c.usec_per_quarter >> 8), uint8_t(c.usec_per_quarter)})});
  for (const TimeSignature& ts : seq.time_signatures) {
    int log2den = 0;
    while ((1 << log2den) < ts.denominator && log2den < 6) ++log2den;
    if ((1 << log2den) != ts.denominator || ts.numerator < 1 || ts.numerator > 255)
      throw Error("", "time signature " + std::to_string(ts.numerator) + "/" + std::to_string(ts.denominator) + " cannot be written");
    conductor.push_back({tick_of(ts.time), 0, meta(0x58, {uint8_t(ts.numerator), uint8_t(log2den), 24, 8})});
  }
  for (const KeySignature& ks : seq.key_signatures)
    conductor.push_back({tick_of(ks.time), 0, meta(0x59, {uint8_t(int8_t(std::clamp(ks.key, -7, 7))), uint8_t(ks.minor)})});
  for (const TextAnnotation& a : seq.text_annotations)  // chord symbols and text as text events, markers as markers
    conductor.push_back({tick_of(a.time), 1, meta(a.type == TextAnnotation::Marker ? 0x06 : 0x01, std::vector<uint8_t>(a.text.begin(), a.text.end()))});

  // One track per instrument; channels: drums on 9, the rest in order of appearance.
  std::map<int, std::vector<const Note*>> by_instrument;
  for (const Note& n : seq.notes) {
    if (n.pitch < 0 || n.pitch > 127 || n.velocity < 1 || n.velocity > 127)
      throw Error("", "note with pitch " + std::to_string(n.pitch) + " and velocity " + std::to_string(n.velocity) + " cannot be written");
    by_instrument[n.instrument].push_back(&n);
  }
  std::map<int, std::string> names;
  for (const TrackInfo& t : seq.tracks) names[t.instrument] = t.name;

  std::vector<uint8_t> out{'M', 'T', 'h', 'd'};
  put_be32(out, 6);
  size_t ntracks = 1 + by_instrument.size();
  if (ntracks > 0xffff) throw Error("", "too many instruments to write");
  out.insert(out.end(), {0, 1, uint8_t(ntracks >> 8), uint8_t(ntracks), uint8_t(tpq >> 8), uint8_t(tpq)});
  append_track(out, std::move(conductor));

  int next_channel = 0;
  for (auto& [instrument, notes] : by_instrument) {
    std::vector<Event> events;
    auto it = names.find(instrument);
    if (it != names.end() && !it->second.empty())
      events.push_back({0, 0, meta(0x03, std::vector<uint8_t>(it->second.begin(), it->second.end()))});
    int melodic_channel = next_channel == 9 ? ++next_channel : next_channel;
    bool used_melodic = false;
    int program = -1;
    for (const Note* n : notes) {
      int ch = n->is_drum ? 9 : melodic_channel % 16;
      used_melodic |= !n->is_drum;
      int64_t on = tick_of(n->start_time), off = std::max(on, tick_of(n->end_time));
      if (!n->is_drum && n->program != program) {
        program = n->program;
        events.push_back({on, 2, {uint8_t(0xc0 | ch), uint8_t(std::clamp(program, 0, 127))}});
      }
      events.push_back({on, 3, {uint8_t(0x90 | ch), uint8_t(n->pitch), uint8_t(n->velocity)}});
      // A zero-length note keeps its off after its on at the same tick.
      events.push_back({off, off == on ? 4 : 1, {uint8_t(0x80 | ch), uint8_t(n->pitch), 0}});
    }
    // The instrument's bends and controllers, before the notes of their tick.
    for (const PitchBend& b : seq.pitch_bends)
      if (b.instrument == instrument) {
        const int v = std::clamp(b.bend + 8192, 0, 16383), ch = b.channel == 9 ? 9 : melodic_channel % 16;
        events.push_back({tick_of(b.time), 2, {uint8_t(0xe0 | ch), uint8_t(v & 0x7f), uint8_t(v >> 7)}});
      }
    for (const ControlChange& c : seq.control_changes)
      if (c.instrument == instrument) {
        const int ch = c.channel == 9 ? 9 : melodic_channel % 16;
        events.push_back({tick_of(c.time), 2, {uint8_t(0xb0 | ch), uint8_t(std::clamp(c.number, 0, 127)), uint8_t(std::clamp(c.value, 0, 127))}});
      }
    if (used_melodic) next_channel = melodic_channel + 1;
    append_track(out, std::move(events));
  }
  return out;
}

void write_midi(const NoteSequence& seq, const std::string& path) {
  std::vector<uint8_t> bytes;
  try {
    bytes = encode_midi(seq);
  } catch (const Error& e) {
    throw Error(path, e.problem());
  }
  write_file_atomically(path, bytes.data(), bytes.size());
}

}  // namespace timbrel
