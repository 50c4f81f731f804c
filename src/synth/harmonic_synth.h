#pragma once
// DDSP's harmonic synthesizer (Engel et al. 2020) as Magenta's DDSP graphs compute it, streamed
// frame by frame: per frame an f0, an overall amplitude and a distribution over the harmonics.
// The distribution is zeroed at and above Nyquist (at most 20 kHz: harmonic_cutoff_hz) and renormalised; between two frames the
// amplitudes cross-fade with a Hann window (DDSP's upsample_with_windows: hop samples, window of
// twice the hop) and the frequencies move linearly (a bilinear resize); a harmonic is silent for
// any sample where its frequency reaches Nyquist; the phase is the running sum of the
// frequency (inclusive: the first sample already has one step), summed in float in 1000-sample
// chunks as the graph does. Block-streaming: a frame renders
// the hop that leads from the previous frame to it; finish() renders the last frame's hop.
#include <cstdint>
#include <vector>

namespace timbrel::synth {

class HarmonicSynth {
 public:
  HarmonicSynth(int harmonics, int sample_rate = 16000, int hop = 64);

  int harmonics() const { return harmonics_; }
  int hop() const { return hop_; }
  // The next frame: f0 in Hz (<= 0: silent), overall amplitude, `harmonics` distribution weights
  // (>= 0; normalised here). Allocates nothing. Writes hop() samples to `out` (the hop before this frame) except
  // for the first frame, which writes none; returns how many it wrote.
  int push_frame(float f0_hz, float amplitude, const float* distribution, float* out);
  // The last frame's hop (held), hop() samples; the synth is then ready for a new sequence with
  // its phases kept.
  int finish(float* out);
  // Phases back to zero and no frame pending.
  void reset();

 private:
  void render_hop(const std::vector<float>& amp_from, const std::vector<float>& amp_to, float f0_from, float f0_to, float* out);
  // Nyquist-masked, renormalised distribution x amplitude, into `a` (harmonics values).
  void harmonic_amplitudes(float f0_hz, float amplitude, const float* distribution, std::vector<float>& a) const;
  void start_chunk();

  int harmonics_, sample_rate_, hop_;
  std::vector<float> window_;  // Hann of 2 hop, its first half: the weight of the coming frame
  bool have_frame_ = false;
  float f0_ = 0;
  std::vector<float> amps_;          // the pending frame's harmonic amplitudes
  std::vector<float> next_amps_;     // scratch: the incoming frame's (no allocation per frame)
  std::vector<float> chunk_sum_;     // per harmonic: the phase summed since the chunk began
  std::vector<float> chunk_offset_;  // ... and the sum of the wrapped phases of the chunks before
  std::vector<float> offset_mod_;    // that sum wrapped to 2 pi
  std::vector<float> term_, phase_;  // scratch: each harmonic's sample and phase
  int in_chunk_ = 0;                 // samples of the current chunk so far
};

// Whole sequences: frames of f0, amplitude and distribution ([frames x harmonics], row-major) to
// frames x hop samples, as the DDSP graph's harmonic branch does.
std::vector<float> harmonic_synthesis(const std::vector<float>& f0_hz, const std::vector<float>& amplitude,
                                      const std::vector<float>& distribution, int harmonics, int sample_rate = 16000, int hop = 64);

}  // namespace timbrel::synth
