#pragma once
// 4-point, 3rd-order Hermite (Catmull-Rom) interpolation at fraction t in [0, 1) between x0 and
// x1, with their neighbours xm1 and x2: how the mix reads a bent note, the live synth its cached
// notes and the room its modulated delay lines.

namespace timbrel {

inline float hermite4(float xm1, float x0, float x1, float x2, float t) {
  const float c1 = 0.5f * (x1 - xm1);
  const float c2 = xm1 - 2.5f * x0 + 2.0f * x1 - 0.5f * x2;
  const float c3 = 0.5f * (x2 - xm1) + 1.5f * (x0 - x1);
  return ((c3 * t + c2) * t + c1) * t + x0;
}

}  // namespace timbrel
