#pragma once
// Branch-free float exp and sincos that GCC vectorises in plain loops (libm's calls do not
// vectorise without -ffast-math). Accuracy: a few ulp over the ranges spectrograms use (exp
// arguments within +-87; sincos arguments of any size, reduced with a 3-part Cody-Waite pi/2).
// Host-device: the CUDA kernels run these very functions.
#include <cmath>
#include <cstdint>
#include <cstring>

#include "spectral/hd.h"

namespace timbrel::fastmath {

TIMBREL_HD float exp(float x) {
  x = x < -87.0f ? -87.0f : x;
  x = x > 88.0f ? 88.0f : x;
  // exp(x) = 2^k * exp(r), r = x - k ln2, |r| <= ln2/2.
  // Round to nearest by the 1.5 * 2^23 trick: vectorises, unlike nearbyint.
  const float k = (x * 1.44269504088896341f + 12582912.0f) - 12582912.0f;
  float r = x - k * 0.693359375f;
  r = r - k * -2.12194440e-4f;
  float p = 1.9875691500e-4f;
  p = p * r + 1.3981999507e-3f;
  p = p * r + 8.3334519073e-3f;
  p = p * r + 4.1665795894e-2f;
  p = p * r + 1.6666665459e-1f;
  p = p * r + 5.0000001201e-1f;
  p = p * r * r + r + 1.0f;
  // Multiply by 2^k, built from its exponent bits (bit casts keep the loop vectorisable).
  return p * bits_to_float((int32_t(k) + 127) << 23);
}

// sin and cos of x. Arguments up to ~1e5 keep ~1e-7 absolute accuracy (phases here stay far below).
TIMBREL_HD void sincos(float x, float* s, float* c) {
  // Reduce by pi/2 in double: phases accumulate to thousands of radians and float reduction would
  // lose bits there.
  const double xd = x;
  const double q = (xd * 0.63661977236758134308 + 6755399441055744.0) - 6755399441055744.0;  // round(x 2/pi)
  const float r = float(xd - q * 1.57079632679489661923);
  const int32_t quadrant = int32_t(q) & 3;
  const float r2 = r * r;
  float sp = -1.9515295891e-4f;
  sp = sp * r2 + 8.3321608736e-3f;
  sp = sp * r2 - 1.6666654611e-1f;
  const float sin_r = r + r * r2 * sp;
  float cp = 2.443315711809948e-5f;
  cp = cp * r2 - 1.388731625493765e-3f;
  cp = cp * r2 + 4.166664568298827e-2f;
  const float cos_r = 1.0f - 0.5f * r2 + r2 * r2 * cp;
  // Rotate by the quadrant without branches.
  const bool swap = quadrant & 1;
  const float sv = swap ? cos_r : sin_r;
  const float cv = swap ? sin_r : cos_r;
  *s = (quadrant & 2) ? -sv : sv;
  *c = ((quadrant + 1) & 2) ? -cv : cv;
}

}  // namespace timbrel::fastmath
