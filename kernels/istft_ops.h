#pragma once
// Per-element bodies of kernels/istft.cu and kernels/griffin_lim.cu: overlap-add of inverse-FFT
// frames, analysis framing, and the (fast) Griffin-Lim projection, in the CPU path's order.
#include <cstddef>

#include "spectral/hd.h"

namespace timbrel::kernels {

// Sample p of the overlap-added signal: sum over the frames t that cover p (t * hop <= p <
// t * hop + n), in increasing t, of frame[t][p - t hop] * window[p - t hop]. frames: [count][n]
// raw C2R outputs; window already carries the 1/n of the unnormalised inverse FFT.
TIMBREL_HD float overlap_add_sample(const float* frames, const float* window, int count, int n, int hop, size_t p) {
  const long last = long(p / size_t(hop));
  long first = (long(p) - n + hop) / hop;  // smallest t with p < t hop + n
  if (first < 0) first = 0;
  float acc = 0.0f;
  for (long t = first; t <= last && t < count; ++t) {
    const size_t i = p - size_t(t) * size_t(hop);
    acc += frames[size_t(t) * size_t(n) + i] * window[i];
  }
  return acc;
}

// Analysis: element i of frame t of `signal`, windowed.
TIMBREL_HD float frame_sample(const float* signal, const float* window, int hop, int t, int i) {
  return signal[size_t(t) * size_t(hop) + size_t(i)] * window[i];
}

// The FGLA step for one coefficient (momentum 0: Griffin-Lim): v = t + momentum (t - t_prev),
// c = magnitude e^{i arg v}; t_prev becomes t. `first` (the first iteration) uses no momentum.
// c's imaginary part is zeroed at DC and Nyquist for the next C2R (the CPU synthesis does the same).
TIMBREL_HD void project_coefficient(const float* t, float* t_prev, float magnitude, float momentum, bool first, bool real_bin,
                                    float* c) {
  const float re = t[0], im = t[1];
  const float pr = first ? re : t_prev[0], pi = first ? im : t_prev[1];
  const float vr = re + momentum * (re - pr), vi = im + momentum * (im - pi);
  t_prev[0] = re;
  t_prev[1] = im;
  const float r2 = vr * vr + vi * vi;
  const float scale = r2 > 0.0f ? magnitude / sqrtf(r2) : 0.0f;
  c[0] = r2 > 0.0f ? vr * scale : magnitude;
  c[1] = real_bin ? 0.0f : vi * scale;
}

}  // namespace timbrel::kernels
