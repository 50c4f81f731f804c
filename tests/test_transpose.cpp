// The tiled transposes (spectral/transpose.cpp) against the plain loop they replace, bit for bit,
// at sizes that leave edges on both sides of the 8 x 8 tiles and with strides wider than a row.
#include <gtest/gtest.h>

#include <random>
#include <vector>

#include "spectral/transpose.h"

using namespace timbrel;

namespace {
std::vector<float> random_floats(size_t n, unsigned seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> u(-1.0f, 1.0f);
  std::vector<float> v(n);
  for (float& x : v) x = u(rng);
  return v;
}
}  // namespace

TEST(Transpose, TilesAndEdgesEqualThePlainLoop) {
  if (!transpose_uses_tiles()) GTEST_SKIP() << "no AVX2 here: transpose is the plain loop itself";
  const auto id = [](float v) { return v; };
  for (int rows : {1, 7, 8, 9, 17, 1025})
    for (int cols : {1, 5, 8, 16, 125, 128}) {
      const size_t in_stride = size_t(cols) + 3, out_stride = size_t(rows) + 5;
      const std::vector<float> in = random_floats(size_t(rows) * in_stride, unsigned(rows * 131 + cols));
      std::vector<float> want(size_t(cols) * out_stride, -7.0f), got = want;
      transpose_map(in.data(), in_stride, want.data(), out_stride, rows, cols, id);
      transpose(in.data(), in_stride, got.data(), out_stride, rows, cols);
      EXPECT_EQ(got, want) << rows << " x " << cols;  // the padding between rows untouched too

      const std::vector<float> im = random_floats(in.size(), unsigned(rows * 7 + cols * 3 + 1));
      std::vector<float> want_c(2 * size_t(cols) * out_stride, -7.0f), got_c = want_c;
      transpose_map(in.data(), in_stride, want_c.data(), 2 * out_stride, rows, cols, id, 2);
      transpose_map(im.data(), in_stride, want_c.data() + 1, 2 * out_stride, rows, cols, id, 2);
      transpose_to_complex(in.data(), im.data(), in_stride, got_c.data(), out_stride, rows, cols);
      EXPECT_EQ(got_c, want_c) << "complex, " << rows << " x " << cols;
    }
}
