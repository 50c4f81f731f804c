#pragma once
// Batched STFT pieces on the GPU (kernels/stft.cu): cuFFT R2C/C2R plans over many frames, the
// fused overlap-add (window, 1/n, trim) and the analysis framing. Device pointers, async on `stream`.
#include <cufft.h>

#include <cstddef>

namespace timbrel::kernels {

// 1-D real transforms of size n over `batch` contiguous frames, bound to a stream.
class FftPlans {
 public:
  FftPlans(int n, size_t batch, void* stream);
  ~FftPlans();
  FftPlans(const FftPlans&) = delete;
  FftPlans& operator=(const FftPlans&) = delete;
  size_t batch() const { return batch_; }
  void inverse(float* spectrum, float* frames) const;  // [batch][n/2+1] complex -> [batch][n]; may overwrite spectrum
  void forward(float* frames, float* spectrum) const;  // [batch][n] -> [batch][n/2+1] complex

 private:
  cufftHandle c2r_ = 0, r2c_ = 0;
  size_t batch_;
};

// audio[note][j] = overlap-added sample (first + j) of note's frames, j < samples.
void launch_overlap_add(const float* frames, const float* window, size_t notes, int count, int n, int hop, size_t first, size_t samples,
                        float* audio, void* stream);
// frames[note][t][i] = signal[note][t hop + i] * window[i]; signals are signal_length apart.
void launch_framing(const float* signal, size_t signal_length, const float* window, size_t notes, int count, int n, int hop,
                    float* frames, void* stream);

}  // namespace timbrel::kernels
