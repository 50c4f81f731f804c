#pragma once
// Cache-blocked transposes between [rows][cols] and [cols][rows] layouts: the mel mapping and the
// phase integration run along time on contiguous rows, the FFT wants frames contiguous.
#include <algorithm>
#include <cstddef>

namespace timbrel {

// out[c * out_stride + r * out_step] = f(in[r * in_stride + c]) for r < rows, c < cols.
template <typename In, typename Out, typename F>
void transpose_map(const In* in, size_t in_stride, Out* out, size_t out_stride, int rows, int cols, F f,
                   size_t out_step = 1) {
  constexpr int kBlock = 32;
  for (int r0 = 0; r0 < rows; r0 += kBlock)
    for (int c0 = 0; c0 < cols; c0 += kBlock) {
      const int r1 = std::min(rows, r0 + kBlock), c1 = std::min(cols, c0 + kBlock);
      for (int r = r0; r < r1; ++r)
        for (int c = c0; c < c1; ++c) out[size_t(c) * out_stride + size_t(r) * out_step] = f(in[size_t(r) * in_stride + size_t(c)]);
    }
}

// out[c * out_stride + r] = in[r * in_stride + c]: transpose_map's identity, 8 x 8 tiles at a time
// in AVX2 registers where the CPU has them (the same values, moved 4-5x faster).
void transpose(const float* in, size_t in_stride, float* out, size_t out_stride, int rows, int cols);
// Whether transpose and transpose_to_complex use the AVX2 tiles on this CPU.
bool transpose_uses_tiles();
// Two planes into interleaved complex: out[2 * (c * out_stride + r)] = re[r * in_stride + c] and
// out[2 * (c * out_stride + r) + 1] = im[r * in_stride + c]; out_stride counts complex values.
void transpose_to_complex(const float* re, const float* im, size_t in_stride, float* out, size_t out_stride, int rows,
                          int cols);

}  // namespace timbrel
