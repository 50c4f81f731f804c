#pragma once
// A minimal LV2 host on liblilv for the plug-in's tests: one instance of a bundle's plugin with
// the features DPF's instruments require (URID map/unmap, options, worker), MIDI in through an
// atom sequence, stereo out, control ports by symbol, and state saved to and restored from a
// string (lilv's Turtle).
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace timbrel::test {

struct MidiAt {
  uint64_t frame;  // from the start of the run
  std::vector<uint8_t> bytes;
};

class Lv2Host {
 public:
  Lv2Host(const std::string& bundle_dir, const std::string& plugin_uri, double sample_rate, uint32_t max_block = 4096);
  ~Lv2Host();
  Lv2Host(const Lv2Host&) = delete;
  Lv2Host& operator=(const Lv2Host&) = delete;

  void set_control(const std::string& symbol, float value);
  float control(const std::string& symbol) const;
  // `frames` frames in blocks of `block` (<= max_block), each event in its block at its frame;
  // the left channel then the right.
  std::vector<float> run(const std::vector<MidiAt>& events, uint64_t frames, uint32_t block);
  std::string save_state();
  void restore_state(const std::string& turtle);

  struct Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace timbrel::test
