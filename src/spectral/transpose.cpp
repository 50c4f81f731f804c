#include "spectral/transpose.h"

#include <immintrin.h>

namespace timbrel {
namespace {

// Eight rows of eight floats turned into eight columns (the classic unpack/shuffle/permute net).
struct Tile8 {
  __m256 row[8];
};

__attribute__((target("avx2"), always_inline)) inline Tile8 transposed_tile(const float* in, size_t in_stride) {
  __m256 r[8], t[8];
  for (int i = 0; i < 8; ++i) r[i] = _mm256_loadu_ps(in + size_t(i) * in_stride);
  for (int i = 0; i < 8; i += 2) {
    t[i] = _mm256_unpacklo_ps(r[i], r[i + 1]);
    t[i + 1] = _mm256_unpackhi_ps(r[i], r[i + 1]);
  }
  __m256 s[8];
  for (int h = 0; h < 8; h += 4) {
    s[h + 0] = _mm256_shuffle_ps(t[h + 0], t[h + 2], _MM_SHUFFLE(1, 0, 1, 0));
    s[h + 1] = _mm256_shuffle_ps(t[h + 0], t[h + 2], _MM_SHUFFLE(3, 2, 3, 2));
    s[h + 2] = _mm256_shuffle_ps(t[h + 1], t[h + 3], _MM_SHUFFLE(1, 0, 1, 0));
    s[h + 3] = _mm256_shuffle_ps(t[h + 1], t[h + 3], _MM_SHUFFLE(3, 2, 3, 2));
  }
  Tile8 out;
  for (int i = 0; i < 4; ++i) {
    out.row[i] = _mm256_permute2f128_ps(s[i], s[i + 4], 0x20);
    out.row[i + 4] = _mm256_permute2f128_ps(s[i], s[i + 4], 0x31);
  }
  return out;
}

__attribute__((target("avx2"))) void transpose_avx2(const float* in, size_t in_stride, float* out, size_t out_stride,
                                                     int rows, int cols) {
  for (int r = 0; r + 8 <= rows; r += 8)
    for (int c = 0; c + 8 <= cols; c += 8) {
      const Tile8 tile = transposed_tile(in + size_t(r) * in_stride + size_t(c), in_stride);
      for (int i = 0; i < 8; ++i) _mm256_storeu_ps(out + size_t(c + i) * out_stride + size_t(r), tile.row[i]);
    }
}

__attribute__((target("avx2"))) void transpose_to_complex_avx2(const float* re, const float* im, size_t in_stride,
                                                                float* out, size_t out_stride, int rows, int cols) {
  for (int r = 0; r + 8 <= rows; r += 8)
    for (int c = 0; c + 8 <= cols; c += 8) {
      const size_t at = size_t(r) * in_stride + size_t(c);
      const Tile8 a = transposed_tile(re + at, in_stride), b = transposed_tile(im + at, in_stride);
      for (int i = 0; i < 8; ++i) {
        const __m256 lo = _mm256_unpacklo_ps(a.row[i], b.row[i]), hi = _mm256_unpackhi_ps(a.row[i], b.row[i]);
        float* o = out + 2 * (size_t(c + i) * out_stride + size_t(r));
        _mm256_storeu_ps(o, _mm256_permute2f128_ps(lo, hi, 0x20));
        _mm256_storeu_ps(o + 8, _mm256_permute2f128_ps(lo, hi, 0x31));
      }
    }
}

// Rows and columns the 8 x 8 tiles cover (0 without AVX2: the plain loop does all).
int tiled(int n) { return transpose_uses_tiles() ? n / 8 * 8 : 0; }

// The plain loop over what the tiles left: the last rows (all columns), then the last columns of
// the tiled rows. out_stride and out_step count floats.
void transpose_edges(const float* in, size_t in_stride, float* out, size_t out_stride, size_t out_step, int rows,
                     int cols) {
  const int whole_rows = tiled(rows), whole_cols = tiled(cols);
  const auto id = [](float v) { return v; };
  if (rows > whole_rows)
    transpose_map(in + size_t(whole_rows) * in_stride, in_stride, out + out_step * size_t(whole_rows), out_stride,
                  rows - whole_rows, cols, id, out_step);
  if (cols > whole_cols && whole_rows > 0)
    transpose_map(in + whole_cols, in_stride, out + size_t(whole_cols) * out_stride, out_stride, whole_rows,
                  cols - whole_cols, id, out_step);
}

}  // namespace

bool transpose_uses_tiles() {
  static const bool avx2 = [] {
    __builtin_cpu_init();  // may run before the CPU model's own static initialiser
    return __builtin_cpu_supports("avx2") != 0;
  }();
  return avx2;
}

void transpose(const float* in, size_t in_stride, float* out, size_t out_stride, int rows, int cols) {
  const int whole_rows = tiled(rows), whole_cols = tiled(cols);
  if (whole_rows > 0 && whole_cols > 0) transpose_avx2(in, in_stride, out, out_stride, whole_rows, whole_cols);
  transpose_edges(in, in_stride, out, out_stride, 1, rows, cols);
}

void transpose_to_complex(const float* re, const float* im, size_t in_stride, float* out, size_t out_stride, int rows,
                          int cols) {
  const int whole_rows = tiled(rows), whole_cols = tiled(cols);
  if (whole_rows > 0 && whole_cols > 0)
    transpose_to_complex_avx2(re, im, in_stride, out, out_stride, whole_rows, whole_cols);
  transpose_edges(re, in_stride, out, 2 * out_stride, 2, rows, cols);
  transpose_edges(im, in_stride, out + 1, 2 * out_stride, 2, rows, cols);
}

}  // namespace timbrel
