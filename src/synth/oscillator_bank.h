#pragma once
// Many DDSP harmonic voices rendered block by block, every sample independent of the others (the
// phase in closed form per hop: synth/oscillator_bank_ops.h), so a GPU can render thousands of
// voices in one launch (kernels/ddsp_oscillators.cu). This is the CPU side: it keeps each voice's
// last frame and phase, prepares a block's inputs, and renders them with the same per-sample body
// the kernel runs (the kernel's CPU reference).
#include <cstddef>
#include <functional>
#include <vector>

namespace timbrel::synth {

// One block's inputs, as the kernel reads them (see oscillator_bank_ops.h).
struct OscillatorBlock {
  int voices = 0, frames = 0, harmonics = 0, hop = 64;
  float sample_rate = 16000;
  std::vector<float> f0;          // [voices][frames + 1]
  std::vector<float> amplitudes;  // [voices][frames + 1][harmonics]
  std::vector<float> starts;      // [voices][frames]: cycles at each hop's start, in [0, 1)
};

// The block's audio, [voices][frames x hop], on the CPU with the kernel's per-sample body.
void render_oscillator_block(const OscillatorBlock& block, float* out);

class OscillatorBank {
 public:
  OscillatorBank(int voices, int harmonics, int sample_rate = 16000, int hop = 64);
  int voices() const { return voices_; }
  // Voice v's first frame (nothing sounds before it; its phase starts at 0), as HarmonicSynth's
  // first push_frame.
  void start(int voice, float f0_hz, float amplitude, const float* distribution);
  // The next `frames` frames of every voice: f0 [voices][frames], amplitude [voices][frames],
  // distribution [voices][frames][harmonics] -> out [voices][frames x hop] (the hops leading to
  // them), rendered by `render` (render_oscillator_block, or the GPU's).
  using Renderer = std::function<void(const OscillatorBlock&, float* out)>;
  void push(int frames, const float* f0_hz, const float* amplitude, const float* distribution, float* out,
            const Renderer& render = render_oscillator_block);

 private:
  int voices_, harmonics_, sample_rate_, hop_;
  std::vector<float> last_f0_, last_amps_;  // per voice: the last frame
  std::vector<double> phase_;               // per voice: cycles after the last frame's hop
  OscillatorBlock block_;
};

}  // namespace timbrel::synth
