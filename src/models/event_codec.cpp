#include "models/event_codec.h"

#include <algorithm>
#include <cmath>
#include <map>

#include "timbrel/error.h"
#include "timbrel/music.h"
#include "timbrel/musicvae.h"

namespace timbrel::nn {

namespace {
constexpr int kDrumClasses = 9;
}

int EventCodec::one_hot_classes() const { return kind == "drums" ? 1 << kDrumClasses : max_pitch - min_pitch + 2; }

int EventCodec::classes() const { return one_hot_classes() + int(lookbacks.size()); }

int EventCodec::input_size() const {
  const int lb = int(lookbacks.size());
  return one_hot_classes() * (1 + lb) + counter_bits + lb + (chord_control ? kChordPitchesDepth : 0);
}

int EventCodec::default_event() const { return kind == "drums" ? 0 : kMelodyNoEvent; }

int EventCodec::encode_event(int event) const {
  if (kind == "drums") {
    if (event < 0 || event >= one_hot_classes()) throw Error("event", "drum mask " + std::to_string(event) + " outside 0..511");
    return event;
  }
  if (event == kMelodyNoEvent) return 0;
  if (event == kMelodyNoteOff) return 1;
  if (event < min_pitch || event >= max_pitch)
    throw Error("event", "pitch " + std::to_string(event) + " outside the model's range " + std::to_string(min_pitch) + ".." +
                             std::to_string(max_pitch - 1));
  return event - min_pitch + 2;
}

int EventCodec::decode_event(int index) const {
  if (index < 0 || index >= one_hot_classes()) throw Error("class", std::to_string(index) + " out of range");
  if (kind == "drums") return index;
  if (index == 0) return kMelodyNoEvent;
  if (index == 1) return kMelodyNoteOff;
  return index - 2 + min_pitch;
}

void EventCodec::input(const std::vector<int>& events, size_t position, float* out, const std::vector<Chord>& chords) const {
  std::fill(out, out + input_size(), 0.0f);
  const int n = one_hot_classes();
  out[encode_event(events[position])] = 1.0f;
  int offset = n;
  for (int d : lookbacks) {
    const long at = long(position) - d + 1;
    out[offset + encode_event(at < 0 ? default_event() : events[size_t(at)])] = 1.0f;
    offset += n;
  }
  const size_t next = position + 1;
  for (int i = 0; i < counter_bits; ++i) out[offset++] = (next >> i) & 1 ? 1.0f : -1.0f;
  for (int d : lookbacks) {
    const long at = long(position) - d;
    if (at >= 0 && events[size_t(at)] == events[position]) out[offset] = 1.0f;
    ++offset;
  }
  if (!chord_control) return;
  if (chords.size() <= position + 1) throw Error("chords", "cover " + std::to_string(chords.size()) + " steps; step " + std::to_string(position + 1) + " needs one");
  const auto chord = encode_chord_pitches(chords[position + 1]);
  std::copy(chord.begin(), chord.end(), out + offset);
}

int EventCodec::label(const std::vector<int>& events, size_t position) const {
  // As Magenta: silence before the longest lookback is "repeat" of the (empty) past.
  if (!lookbacks.empty() && long(position) < lookbacks.back() && events[position] == default_event())
    return one_hot_classes() + int(lookbacks.size()) - 1;
  for (size_t i = lookbacks.size(); i-- > 0;) {
    const long at = long(position) - lookbacks[i];
    if (at >= 0 && events[size_t(at)] == events[position]) return one_hot_classes() + int(i);
  }
  return encode_event(events[position]);
}

int EventCodec::class_to_event(int cls, const std::vector<int>& events) const {
  for (size_t i = lookbacks.size(); i-- > 0;)
    if (cls == one_hot_classes() + int(i))
      return events.size() < size_t(lookbacks[i]) ? default_event() : events[events.size() - size_t(lookbacks[i])];
  return decode_event(cls);
}

int fold_pitch(int pitch, int min_pitch, int max_pitch) {
  while (pitch < min_pitch) pitch += 12;
  while (pitch >= max_pitch) pitch -= 12;
  return pitch;
}

int fit_melody_range(std::vector<int>& events, const EventCodec& codec) {
  int low = 128, high = -1;
  for (int e : events)
    if (e >= 0) low = std::min(low, e), high = std::max(high, e);
  if (high < 0) return 0;
  const double centre = 0.5 * (codec.min_pitch + codec.max_pitch - 1), mid = 0.5 * (low + high);
  const int shift = 12 * int(std::lround((centre - mid) / 12.0));
  for (int& e : events)
    if (e >= 0) e = fold_pitch(e + shift, codec.min_pitch, codec.max_pitch);
  return shift;
}

std::vector<int> melody_events(const NoteSequence& seq) { return extract_melody(seq.is_quantized() ? seq : quantize(seq, 4)); }

std::vector<int> drum_events(const NoteSequence& seq) {
  const NoteSequence q = seq.is_quantized() ? seq : quantize(seq, 4);
  std::vector<int> events;
  for (const Note& n : q.notes) {
    if (!n.is_drum) continue;
    const int c = drum_class_of_pitch(n.pitch);
    if (c < 0) continue;
    if (events.size() <= size_t(n.quantized_start_step)) events.resize(size_t(n.quantized_start_step) + 1, 0);
    events[size_t(n.quantized_start_step)] |= 1 << c;
  }
  return events;
}

std::vector<int> events_of(const NoteSequence& seq, const EventCodec& codec) {
  if (codec.kind == "drums") return drum_events(seq);
  std::vector<int> events = melody_events(seq);
  fit_melody_range(events, codec);
  return events;
}

void append_events(const std::vector<int>& events, const EventCodec& codec, double start_time, double step_seconds,
                   const NoteStyle& style, NoteSequence& out) {
  auto at = [&](size_t step) { return start_time + double(step) * step_seconds; };
  if (codec.kind == "drums") {
    for (size_t i = 0; i < events.size(); ++i)
      for (int c = 0; c < kDrumClasses; ++c)
        if (events[i] >> c & 1) {
          Note n;
          n.pitch = drum_pitch_of_class(c);
          n.velocity = style.velocity;
          n.start_time = at(i);
          n.end_time = at(i + 1);
          n.is_drum = true;
          n.channel = 9;
          n.instrument = style.instrument;
          out.notes.push_back(n);
        }
  } else {
    long open = -1;  // index of the sounding note in out.notes
    for (size_t i = 0; i <= events.size(); ++i) {
      const int e = i < events.size() ? events[i] : kMelodyNoteOff;
      if (e == kMelodyNoEvent) continue;
      if (open >= 0) out.notes[size_t(open)].end_time = at(i), open = -1;
      if (e < 0) continue;
      Note n;
      n.pitch = e;
      n.velocity = style.velocity;
      n.program = style.program;
      n.channel = style.channel;
      n.instrument = style.instrument;
      n.start_time = n.end_time = at(i);
      open = long(out.notes.size());
      out.notes.push_back(n);
    }
  }
  out.total_time = 0;
  for (const Note& n : out.notes) out.total_time = std::max(out.total_time, n.end_time);
}

}  // namespace timbrel::nn
