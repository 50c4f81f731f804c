#pragma once
// DDSP's filtered-noise synthesizer as Magenta's DDSP graphs compute it, streamed frame by frame:
// per frame `bands` filter magnitudes (linearly spaced 0..Nyquist) become a zero-phase impulse
// response of 2 (bands - 1) taps (inverse real DFT), windowed with a Hann window and shifted to be
// causal (centred on tap bands - 1); each hop of white noise (uniform in [-1, 1)) is convolved
// with its frame's response and the results overlap-add. The output is delayed as the graph's is
// compensated: sample n is the overlap-added signal at n + (taps - 1) / 2 - 1, hop j (between
// frames j and j + 1, as HarmonicSynth's) holding frame j's noise from that delay on.
#include <cstdint>
#include <random>
#include <vector>

namespace timbrel::synth {

class FilteredNoise {
 public:
  FilteredNoise(int bands, int hop = 64, uint64_t seed = 0);

  int bands() const { return bands_; }
  int hop() const { return hop_; }
  // The next frame's magnitudes (`bands` values >= 0). As HarmonicSynth: writes the hop before
  // this frame (hop() samples; none for the first frame) and returns how many. Allocates nothing.
  int push_frame(const float* magnitudes, float* out);
  // As push_frame, with the hop's noise given (hop() values), for tests against a reference.
  int push_frame(const float* magnitudes, const float* noise, float* out);
  // The last frame's hop; then ready for a new sequence.
  int finish(float* out);
  // The causal impulse response of one frame's magnitudes (2 (bands - 1) taps), into `ir`.
  void impulse_response(const float* magnitudes, float* ir) const;
  void reset(uint64_t seed);

 private:
  int bands_, hop_, taps_;
  std::vector<float> cosines_;  // [taps x bands]: the inverse real DFT
  std::vector<float> window_;   // Hann over the taps
  std::vector<float> ir_, noise_;
  std::vector<float> tail_;     // overlap-add carried to the coming hops
  bool started_ = false;
  std::mt19937 rng_;
};

// Whole sequences: frames x bands magnitudes (row-major) to frames x hop samples.
std::vector<float> filtered_noise(const std::vector<float>& magnitudes, int bands, int hop = 64, uint64_t seed = 0);

}  // namespace timbrel::synth
