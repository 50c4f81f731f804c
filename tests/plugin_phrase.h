#pragma once
// What the plug-in tests play: a phrase of MIDI events, and the core driven as a host would.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <vector>

#include "audio/audio_output.h"
#include "plugin/core/plugin_core.h"

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

inline double rms(const std::vector<float>& x, size_t from, size_t to) {
  double sum = 0;
  for (size_t i = from; i < to; ++i) sum += double(x[i]) * x[i];
  return std::sqrt(sum / double(std::max<size_t>(1, to - from)));
}

}  // namespace timbrel::test
