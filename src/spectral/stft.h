#pragma once
// Short-time Fourier transform with FFTW (float): frames start at multiples of the hop and are
// transformed from the frame start (no centring), as tf.signal.stft does. Plans are made once per
// FFT size and shared; analyze/synthesize are thread-safe.
#include <complex>
#include <vector>

namespace timbrel {

using cfloat = std::complex<float>;

std::vector<float> hann_window(int n, bool periodic);
// TF's inverse_stft_window_fn: window / (sum of squared windows overlapping each sample), which
// makes synthesize(analyze(x)) == x wherever frames overlap fully.
std::vector<float> inverse_window(const std::vector<float>& analysis, int hop);

class Stft {
 public:
  Stft(int fft_size, int hop, std::vector<float> analysis_window, std::vector<float> synthesis_window);
  // Periodic Hann analysis and its exact inverse.
  static Stft hann(int fft_size, int hop);

  int fft_size() const { return n_; }
  int hop() const { return hop_; }
  int bins() const { return n_ / 2 + 1; }
  size_t signal_length(int frames) const { return size_t(frames - 1) * hop_ + n_; }
  const std::vector<float>& synthesis_window() const { return synthesis_; }
  const std::vector<float>& analysis_window() const { return analysis_; }
  // The synthesis window times 1/n (the unnormalised inverse FFT's scale), as synthesize uses it.
  const std::vector<float>& synthesis_scaled() const { return synthesis_scaled_; }

  // signal: signal_length(frames) samples -> spec: frames x bins.
  void analyze(const float* signal, int frames, cfloat* spec) const;
  // spec: frames x bins -> signal: signal_length(frames) samples (overwritten), windowed overlap-add.
  void synthesize(const cfloat* spec, int frames, float* signal) const;

 private:
  int n_, hop_;
  std::vector<float> analysis_, synthesis_, synthesis_scaled_;
};

}  // namespace timbrel
