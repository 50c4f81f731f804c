// Standard MIDI File reader. Works on an in-memory byte buffer with explicit bounds checks, so
// malformed input can only produce an Error (with the byte offset), never a read past the end or
// an allocation larger than the file.
#include <algorithm>
#include <type_traits>
#include <cstdio>
#include <deque>
#include <fstream>
#include <iterator>
#include <map>
#include <tuple>

#include "music/tempo_map.h"
#include "timbrel/chords.h"
#include "timbrel/error.h"
#include "timbrel/music.h"
#include "util/file_io.h"

namespace timbrel {
namespace {

// Text that reads as a chord symbol is one (timbrel/chords.h); anything else stays text.
TextAnnotation text_annotation(std::string text) {
  TextAnnotation a;
  a.text = std::move(text);
  try {
    parse_chord(a.text);
    a.type = TextAnnotation::ChordSymbol;
  } catch (const Error&) {
  }
  return a;
}

struct RawNote {
  int64_t start_tick, end_tick;
  int pitch, velocity, program, channel, track;
};

class Reader {
 public:
  Reader(const uint8_t* data, size_t size, const std::string& name)
      : data_(data), size_(size), name_(name) {}

  [[noreturn]] void fail(size_t offset, const std::string& problem) const {
    throw Error(name_, problem + " (at byte " + std::to_string(offset) + ")");
  }
  void need(size_t pos, size_t n, size_t end, const char* what) const {
    if (pos > end || end - pos < n)
      fail(pos, std::string("truncated ") + what + ": needs " + std::to_string(n) +
                    " bytes, only " + std::to_string(pos > end ? 0 : end - pos) + " left");
  }
  uint32_t be32(size_t pos) const {
    return uint32_t(data_[pos]) << 24 | uint32_t(data_[pos + 1]) << 16 |
           uint32_t(data_[pos + 2]) << 8 | data_[pos + 3];
  }
  uint16_t be16(size_t pos) const { return uint16_t(data_[pos] << 8 | data_[pos + 1]); }

  // Variable-length quantity: at most 4 bytes (28 bits), as the SMF spec allows.
  uint32_t vlq(size_t& pos, size_t end, const char* what) const {
    uint32_t value = 0;
    size_t start = pos;
    for (int i = 0; i < 4; ++i) {
      need(pos, 1, end, what);
      uint8_t b = data_[pos++];
      value = (value << 7) | (b & 0x7f);
      if (!(b & 0x80)) return value;
    }
    fail(start, std::string("variable-length ") + what + " longer than 4 bytes");
  }

  NoteSequence parse(MidiFileInfo* info_out);

 private:
  void parse_track(size_t begin, size_t end, int track_index);
  // A meta event's data (tempo, time and key signatures, the track name); true at End of Track.
  bool meta_event(int type, const uint8_t* d, uint32_t len, size_t event_start, int64_t tick, std::string& track_name);
  // Events stamped with ticks -> their times, in time order (stable: file order within a tick).
  template <class Event>
  void place_in_time(std::vector<std::pair<int64_t, Event>>& events, const TempoMap& map, std::vector<Event>& out) const {
    std::stable_sort(events.begin(), events.end(), [](auto& a, auto& b) { return a.first < b.first; });
    for (auto& [tick, e] : events) {
      e.time = map.seconds(tick);
      if constexpr (std::is_same_v<Event, PitchBend> || std::is_same_v<Event, ControlChange>)
        if (info_.format == 0) e.instrument = e.channel;  // as for notes: format 0's instruments are channels
      out.push_back(e);
    }
  }

  const uint8_t* data_;
  size_t size_;
  const std::string& name_;

  MidiFileInfo info_;
  std::vector<TempoMap::Change> tempo_changes_;
  std::vector<std::pair<int64_t, TimeSignature>> time_sigs_;
  std::vector<std::pair<int64_t, KeySignature>> key_sigs_;
  std::vector<std::pair<int64_t, TextAnnotation>> texts_;
  std::vector<std::pair<int64_t, PitchBend>> bends_;
  std::vector<std::pair<int64_t, ControlChange>> controls_;
  std::vector<RawNote> notes_;
  std::vector<TrackInfo> tracks_;
};

NoteSequence Reader::parse(MidiFileInfo* info_out) {
  if (size_ > kMaxMidiFileBytes)
    fail(0, "file is " + std::to_string(size_) + " bytes, larger than any MIDI file this reads");
  need(0, 14, size_, "header chunk");
  if (std::string(reinterpret_cast<const char*>(data_), 4) != "MThd")
    fail(0, "not a Standard MIDI File (no MThd header)");
  uint32_t header_len = be32(4);
  if (header_len < 6) fail(4, "header chunk length " + std::to_string(header_len) + " is below 6");
  need(8, header_len, size_, "header chunk");
  info_.format = be16(8);
  int declared_tracks = be16(10);
  uint16_t division = be16(12);
  if (info_.format == 2) fail(8, "MIDI format 2 (independent sequences) is not supported");
  if (info_.format > 2) fail(8, "unknown MIDI format " + std::to_string(info_.format));
  if (division & 0x8000) {
    // SMPTE: frames per second (negative byte; 29 means 29.97 drop-frame) x ticks per frame.
    int fps = -int(int8_t(division >> 8));
    int ticks_per_frame = division & 0xff;
    if ((fps != 24 && fps != 25 && fps != 29 && fps != 30) || ticks_per_frame == 0)
      fail(12, "invalid SMPTE division (" + std::to_string(fps) + " fps, " +
                   std::to_string(ticks_per_frame) + " ticks per frame)");
    info_.smpte = true;
    info_.division = (fps == 29 ? 30 : fps) * ticks_per_frame;
  } else {
    if (division == 0) fail(12, "division of 0 ticks per quarter note");
    info_.division = division;
  }

  size_t pos = 8 + header_len;
  int track_index = 0;
  while (pos < size_) {
    need(pos, 8, size_, "chunk header");
    std::string type(reinterpret_cast<const char*>(data_ + pos), 4);
    uint32_t len = be32(pos + 4);
    size_t body = pos + 8;
    if (size_ - body < len)
      fail(pos, "chunk '" + type + "' declares " + std::to_string(len) + " bytes but only " +
                    std::to_string(size_ - body) + " remain");
    if (type == "MTrk") {
      parse_track(body, body + len, track_index++);
    } else if (!std::all_of(type.begin(), type.end(), [](char c) { return c >= 0x20 && c < 0x7f; })) {
      fail(pos, "bad chunk type (expected MTrk)");
    }  // other printable chunk types are skipped, as the SMF spec asks
    pos = body + len;
  }
  if (track_index == 0) fail(8 + header_len, "no MTrk chunk");
  if (info_.format == 0 && track_index != 1)
    fail(8 + header_len, "format 0 file with " + std::to_string(track_index) + " tracks");
  info_.tracks = track_index;
  (void)declared_tracks;  // files often miscount; the chunks found are what counts

  TempoMap map(info_.division, info_.smpte, tempo_changes_);
  NoteSequence seq;
  seq.ticks_per_quarter = info_.smpte ? 220 : info_.division;
  seq.tempos = map.tempos();
  place_in_time(time_sigs_, map, seq.time_signatures);
  place_in_time(key_sigs_, map, seq.key_signatures);
  place_in_time(texts_, map, seq.text_annotations);
  place_in_time(bends_, map, seq.pitch_bends);
  place_in_time(controls_, map, seq.control_changes);
  // Format 0 keeps everything on one track: instruments are the channels.
  std::stable_sort(notes_.begin(), notes_.end(), [](const RawNote& a, const RawNote& b) {
    return std::tie(a.start_tick, a.pitch) < std::tie(b.start_tick, b.pitch);
  });
  seq.notes.reserve(notes_.size());
  for (const RawNote& r : notes_) {
    Note n;
    n.pitch = r.pitch;
    n.velocity = r.velocity;
    n.start_time = map.seconds(r.start_tick);
    n.end_time = map.seconds(r.end_tick);
    n.program = r.program;
    n.channel = r.channel;
    n.is_drum = r.channel == 9;
    n.instrument = info_.format == 0 ? r.channel : r.track;
    seq.total_time = std::max(seq.total_time, n.end_time);
    seq.notes.push_back(n);
  }
  seq.tracks = std::move(tracks_);
  if (info_out) *info_out = info_;
  return seq;
}

bool Reader::meta_event(int type, const uint8_t* d, uint32_t len, size_t event_start, int64_t tick, std::string& track_name) {
  switch (type) {
    case 0x2f: return true;
    case 0x51:
      if (len != 3) fail(event_start, "tempo event of length " + std::to_string(len) + " (expected 3)");
      {
        uint32_t usec = uint32_t(d[0]) << 16 | uint32_t(d[1]) << 8 | d[2];
        if (usec == 0) fail(event_start, "tempo of 0 microseconds per quarter note");
        tempo_changes_.push_back({tick, usec});
      }
      break;
    case 0x58:
      if (len < 2) fail(event_start, "time signature event of length " + std::to_string(len));
      if (d[0] == 0 || d[1] > 6) fail(event_start, "invalid time signature");
      time_sigs_.push_back({tick, TimeSignature{0.0, d[0], 1 << d[1]}});
      break;
    case 0x59:
      if (len < 2) fail(event_start, "key signature event of length " + std::to_string(len));
      if (int8_t(d[0]) < -7 || int8_t(d[0]) > 7 || d[1] > 1)
        fail(event_start, "invalid key signature");
      key_sigs_.push_back({tick, KeySignature{0.0, int8_t(d[0]), d[1] == 1}});
      break;
    case 0x01:  // a text event: a chord symbol, or text kept as it is
      texts_.push_back({tick, text_annotation(std::string(reinterpret_cast<const char*>(d), len))});
      break;
    case 0x06:  // a marker: kept as one
      texts_.push_back({tick, TextAnnotation{0.0, -1, std::string(reinterpret_cast<const char*>(d), len), TextAnnotation::Marker}});
      break;
    case 0x03:
      if (track_name.empty()) track_name.assign(reinterpret_cast<const char*>(d), len);
      break;
    default: break;
  }
  return false;
}

void Reader::parse_track(size_t pos, size_t end, int track) {
  int64_t tick = 0;
  int status = 0;  // running status; 0 = none yet
  int program[16] = {0};
  // Open notes per (channel, pitch), oldest first: a note-off ends the oldest one that started
  // before it, so repeated same-pitch notes pair up in order.
  struct Open { int64_t tick; int velocity, program; };
  std::map<int, std::deque<Open>> open;
  std::string track_name;
  bool ended = false;

  auto note_off = [&](int ch, int pitch) {
    auto it = open.find(ch << 7 | pitch);
    if (it == open.end() || it->second.empty()) return;  // stray note-off: ignore
    auto& q = it->second;
    auto pick = std::find_if(q.begin(), q.end(), [&](const Open& o) { return o.tick < tick; });
    if (pick == q.end()) pick = q.begin();  // only notes from this tick: a zero-length note
    notes_.push_back({pick->tick, tick, pitch, pick->velocity, pick->program, ch, track});
    q.erase(pick);
  };

  while (pos < end) {
    if (ended) fail(pos, "events after End of Track");
    uint32_t delta = vlq(pos, end, "delta time");
    tick += delta;
    need(pos, 1, end, "event");
    size_t event_start = pos;
    int byte = data_[pos];
    if (byte == 0xff) {  // meta event
      need(pos, 2, end, "meta event");
      int type = data_[pos + 1];
      pos += 2;
      uint32_t len = vlq(pos, end, "meta event length");
      need(pos, len, end, "meta event data");
      if (meta_event(type, data_ + pos, len, event_start, tick, track_name)) ended = true;
      pos += len;
      status = 0;  // meta and sysex events cancel running status
      continue;
    }
    if (byte == 0xf0 || byte == 0xf7) {  // sysex / escape
      ++pos;
      uint32_t len = vlq(pos, end, "sysex length");
      need(pos, len, end, "sysex data");
      pos += len;
      status = 0;
      continue;
    }
    if (byte & 0x80) {
      if (byte >= 0xf0) fail(event_start, "system message 0x" + [&] {
                                char b[4]; std::snprintf(b, sizeof b, "%02x", byte); return std::string(b);
                              }() + " inside a track");
      status = byte;
      ++pos;
    } else if (status == 0) {
      fail(event_start, "data byte without a status byte (running status not set)");
    }
    int kind = status & 0xf0, ch = status & 0x0f;
    int nbytes = (kind == 0xc0 || kind == 0xd0) ? 1 : 2;
    need(pos, nbytes, end, "channel message");
    int a = data_[pos], b = nbytes == 2 ? data_[pos + 1] : 0;
    if ((a | b) & 0x80) fail(pos, "data byte with the high bit set");
    pos += nbytes;
    if (kind == 0x90 && b > 0) {
      open[ch << 7 | a].push_back({tick, b, program[ch]});
    } else if (kind == 0x80 || kind == 0x90) {
      note_off(ch, a);
    } else if (kind == 0xc0) {
      program[ch] = a;
    } else if (kind == 0xe0) {
      bends_.push_back({tick, PitchBend{0.0, (b << 7 | a) - 8192, ch, track}});
    } else if (kind == 0xb0) {
      controls_.push_back({tick, ControlChange{0.0, a, b, ch, track}});
    }
  }
  // Notes still sounding when the track ends stop there.
  for (auto& [key, q] : open)
    for (const Open& o : q) notes_.push_back({o.tick, tick, key & 0x7f, o.velocity, o.program, key >> 7, track});
  tracks_.push_back({track, track_name});
}

}  // namespace

NoteSequence parse_midi(const uint8_t* data, size_t size, const std::string& name,
                        MidiFileInfo* info) {
  return Reader(data, size, name).parse(info);
}

NoteSequence read_midi(const std::string& path, MidiFileInfo* info) {
  const std::vector<uint8_t> bytes = read_file_bytes(path, kMaxMidiFileBytes);
  return parse_midi(bytes.data(), bytes.size(), path, info);
}

}  // namespace timbrel
