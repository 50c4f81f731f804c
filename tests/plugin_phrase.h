#pragma once
// What the plug-in tests play: a phrase of MIDI events, and the core driven as a host would.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <vector>

#include "audio/audio_output.h"
#include "plugin/core/plugin_core.h"
#include "timbrel/note_sequence.h"

namespace timbrel::test {

struct PluginEvent {
  uint32_t frame;  // from the start of the run
  std::vector<uint8_t> bytes;
};

// A phrase on two channels: notes, a pan and a bend on channel 2, the sustain pedal on 1.
inline std::vector<PluginEvent> plugin_phrase() {
  return {{0, {0x90, 60, 100}},   {0, {0xB1, 10, 0}},          {2400, {0x91, 67, 90}},   {9600, {0xB0, 64, 127}},
          {12000, {0x80, 60, 0}}, {14400, {0xE1, 0x00, 0x60}}, {24000, {0x90, 64, 110}}, {36000, {0xB0, 64, 0}},
          {40000, {0x81, 67, 0}}, {48000, {0x80, 64, 0}}};
}

// A sequence as the MIDI a host sends an instrument: each channel's program change before its
// first note (and again when it changes), controllers, bends, notes; at one frame, note-offs
// first, then controllers, bends and program changes, then note-ons (as a MIDI file orders them).
// At the music's end (its last note-off) every pedal lifts, as a host stopping its transport
// lifts it and as render ends a pedal still down.
inline std::vector<PluginEvent> sequence_events(const NoteSequence& seq, double rate) {
  struct Timed {
    double time;
    int order;
    std::vector<uint8_t> bytes;
  };
  std::vector<Timed> timed;
  auto frame_of = [](double t) { return std::max(0.0, t); };
  std::vector<Note> notes = seq.notes;
  std::stable_sort(notes.begin(), notes.end(), [](const Note& a, const Note& b) { return a.start_time < b.start_time; });
  int programs[16];
  std::fill(programs, programs + 16, -1);
  for (const Note& n : notes) {
    const uint8_t ch = uint8_t(n.channel & 15);
    if (!n.is_drum && programs[ch] != n.program) {
      programs[ch] = n.program;
      timed.push_back({frame_of(n.start_time), 1, {uint8_t(0xC0 | ch), uint8_t(n.program)}});
    }
    timed.push_back({frame_of(n.start_time), 2, {uint8_t(0x90 | ch), uint8_t(n.pitch), uint8_t(n.velocity)}});
    timed.push_back({frame_of(n.end_time), 0, {uint8_t(0x80 | ch), uint8_t(n.pitch), 0}});
  }
  double end = 0;
  for (const Note& n : notes) end = std::max(end, n.end_time);
  for (const ControlChange& c : seq.control_changes)
    timed.push_back({frame_of(c.time), 1, {uint8_t(0xB0 | (c.channel & 15)), uint8_t(c.number), uint8_t(c.value)}});
  for (int ch = 0; ch < 16; ++ch) timed.push_back({end, 0, {uint8_t(0xB0 | ch), 64, 0}});
  for (const PitchBend& b : seq.pitch_bends) {
    const int v = b.bend + 8192;
    timed.push_back({frame_of(b.time), 1, {uint8_t(0xE0 | (b.channel & 15)), uint8_t(v & 0x7F), uint8_t(v >> 7)}});
  }
  std::stable_sort(timed.begin(), timed.end(), [&](const Timed& a, const Timed& b) {
    const auto fa = uint32_t(a.time * rate), fb = uint32_t(b.time * rate);  // the renderer truncates too
    return fa != fb ? fa < fb : a.order < b.order;
  });
  std::vector<PluginEvent> events;
  for (Timed& t : timed) events.push_back({uint32_t(t.time * rate), std::move(t.bytes)});
  return events;
}

// A dense song for load tests (the jalv xrun test, bench_plugin): 120 qpm in 4/4, C Am F G a bar each: a pedalled piano in eighth-note triads, a bass in eighths,
// string pads, a flute lead in sixteenths with bends, vibrato and expression, a kit in sixteenths.
inline NoteSequence dense_song(double seconds) {
  NoteSequence s;
  const int roots[] = {48, 45, 41, 43};
  const double sixteenth = 0.125;
  auto add = [&](int ch, int program, int pitch, int velocity, double t, double length) {
    Note n;
    n.channel = ch, n.instrument = ch, n.program = program, n.is_drum = ch == 9;
    n.pitch = pitch, n.velocity = velocity, n.start_time = t, n.end_time = t + length;
    s.add_note(n);
  };
  for (int step = 0; step * sixteenth < seconds - 2; ++step) {
    const double t = step * sixteenth;
    const int bar = step / 16, pos = step % 16, root = roots[bar % 4];
    const bool minor = bar % 4 == 1;
    if (pos % 2 == 0) {
      for (int k : {0, minor ? 3 : 4, 7}) add(0, 0, root + 12 + k, 70 + pos, t, 0.2);
      add(1, 33, root - 12 + (pos % 4 == 2 ? 7 : 0), 95, t, 0.2);
    }
    if (pos == 0) {
      for (int k : {0, 7, 12, minor ? 15 : 16}) add(2, 48, root + k, 60, t, 16 * sixteenth);
      s.control_changes.push_back({t, 64, 127, 0, 0});
      s.control_changes.push_back({t + 15.5 * sixteenth, 64, 0, 0, 0});
    }
    add(3, 73, root + 24 + (step * 5) % 12, 80 + (step % 3) * 10, t, 0.1);
    s.pitch_bends.push_back({t + 0.05, ((step % 8) - 4) * 400, 3, 3});
    s.control_changes.push_back({t, 11, 80 + (step % 16) * 3, 3, 3});
    s.control_changes.push_back({t, 1, (step % 32) * 4, 3, 3});
    add(9, 0, pos % 4 == 2 ? 46 : 42, 70 + (pos % 4) * 10, t, 0.1);
    if (pos % 8 == 0) add(9, 0, 36, 110, t, 0.2);
    if (pos % 8 == 4) add(9, 0, 38, 105, t, 0.2);
    if (step % 64 == 0) add(9, 0, 49, 100, t, 1.0);
  }
  return s;
}

// The program changes among `events`, all at frame 0: what a host sends an instrument as a project
// loads, before it plays (the plug-in renders their timbres meanwhile).
inline std::vector<PluginEvent> program_changes(const std::vector<PluginEvent>& events) {
  std::vector<PluginEvent> programs;
  for (const PluginEvent& e : events)
    if ((e.bytes[0] & 0xF0) == 0xC0) programs.push_back({0, e.bytes});
  return programs;
}

// `frames` stereo frames (the left channel, then the right) from `core`, `block` frames per call,
// every event at its frame; each block inside an AudioCallbackScope (the allocation guard's view).
inline std::vector<float> run_core(plugin::Core& core, const std::vector<PluginEvent>& events, uint32_t frames, uint32_t block) {
  std::vector<float> left(frames), right(frames);
  size_t next = 0;
  for (uint32_t start = 0; start < frames; start += block) {
    const uint32_t n = std::min(block, frames - start);
    AudioCallbackScope scope;
    core.begin_block(left.data() + start, right.data() + start, n);
    for (; next < events.size() && events[next].frame < start + n; ++next) {
      core.render_until(events[next].frame - start);
      core.midi(events[next].bytes.data(), uint32_t(events[next].bytes.size()));
    }
    core.end_block();
  }
  left.insert(left.end(), right.begin(), right.end());
  return left;
}

// Interleaved stereo laid out as the hosts' runs give it: the left channel, then the right.
inline std::vector<float> left_then_right(const std::vector<float>& interleaved) {
  const size_t frames = interleaved.size() / 2;
  std::vector<float> out(2 * frames);
  for (size_t i = 0; i < frames; ++i) out[i] = interleaved[2 * i], out[frames + i] = interleaved[2 * i + 1];
  return out;
}

// The SNR (dB) of `got` against `want` over [from, to).
inline double snr_db(const std::vector<float>& want, const std::vector<float>& got, size_t from, size_t to) {
  double sig = 0, err = 0;
  for (size_t i = from; i < to; ++i) sig += double(want[i]) * want[i], err += std::pow(double(got[i]) - want[i], 2);
  return 10 * std::log10(sig / std::max(err, 1e-30));
}

inline double rms(const std::vector<float>& x, size_t from, size_t to) {
  double sum = 0;
  for (size_t i = from; i < to; ++i) sum += double(x[i]) * x[i];
  return std::sqrt(sum / double(std::max<size_t>(1, to - from)));
}

}  // namespace timbrel::test
