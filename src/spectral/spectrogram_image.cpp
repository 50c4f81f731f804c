#include "spectral/spectrogram_image.h"

#include "spectral/stft.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <string>

namespace timbrel {
namespace {

using Rgb = std::array<uint8_t, 3>;

// Piecewise-linear colour maps: perceptually ordered for magnitude (dark blue -> yellow, close to
// viridis), diverging for instantaneous frequency (blue -> white -> red).
Rgb interpolate(const std::vector<std::array<float, 3>>& stops, float v) {
  v = std::clamp(v, 0.0f, 1.0f) * float(stops.size() - 1);
  size_t i = std::min(size_t(v), stops.size() - 2);
  float f = v - float(i);
  Rgb c;
  for (int k = 0; k < 3; ++k) c[size_t(k)] = uint8_t(std::lround(255 * (stops[i][size_t(k)] * (1 - f) + stops[i + 1][size_t(k)] * f)));
  return c;
}
Rgb magnitude_colour(float v) {
  static const std::vector<std::array<float, 3>> stops = {
      {0.267f, 0.005f, 0.329f}, {0.229f, 0.322f, 0.546f}, {0.128f, 0.567f, 0.551f},
      {0.369f, 0.789f, 0.383f}, {0.993f, 0.906f, 0.144f}};
  return interpolate(stops, (v + 1) / 2);
}
Rgb if_colour(float v) {
  static const std::vector<std::array<float, 3>> stops = {
      {0.020f, 0.188f, 0.380f}, {0.573f, 0.773f, 0.871f}, {0.969f, 0.969f, 0.969f},
      {0.957f, 0.647f, 0.510f}, {0.404f, 0.000f, 0.122f}};
  return interpolate(stops, (v + 1) / 2);
}

// 3x5 glyphs for the scale labels.
const char* glyph(char c) {
  switch (c) {
    case '-': return "000000111000000";
    case '0': return "111101101101111";
    case '1': return "010110010010111";
    default: return "000000000000000";
  }
}

class Canvas {
 public:
  Canvas(int w, int h) : img_{w, h, std::vector<uint8_t>(size_t(w) * h * 3, 255)} {}
  void set(int x, int y, Rgb c) {
    if (x < 0 || y < 0 || x >= img_.width || y >= img_.height) return;
    std::copy(c.begin(), c.end(), img_.rgb.begin() + long((size_t(y) * img_.width + x) * 3));
  }
  void text(int x, int y, const std::string& s, int scale = 2) {
    for (char ch : s) {
      const char* g = glyph(ch);
      for (int r = 0; r < 5; ++r)
        for (int col = 0; col < 3; ++col)
          if (g[r * 3 + col] == '1')
            for (int dy = 0; dy < scale; ++dy)
              for (int dx = 0; dx < scale; ++dx) set(x + col * scale + dx, y + r * scale + dy, {0, 0, 0});
      x += 4 * scale;
    }
  }
  RgbImage take() { return std::move(img_); }

 private:
  RgbImage img_;
};

}  // namespace

RgbImage render_spectrogram(const float* spec, int frames, int bins) {
  const int scale_x = std::max(1, 512 / std::max(frames, 1));  // a 4 s note draws 512 px wide
  const int panel_w = frames * scale_x, margin = 10, bar_w = 16, label_w = 30;
  const int panel_stride = panel_w + margin + bar_w + label_w + margin;
  Canvas canvas(margin + 2 * panel_stride, bins + 2 * margin);
  for (int p = 0; p < 2; ++p) {
    const int x0 = margin + p * panel_stride;
    auto colour = p == 0 ? magnitude_colour : if_colour;
    for (int t = 0; t < frames; ++t)
      for (int k = 0; k < bins; ++k) {
        Rgb c = colour(spec[(size_t(t) * bins + k) * 2 + p]);
        for (int dx = 0; dx < scale_x; ++dx) canvas.set(x0 + t * scale_x + dx, margin + bins - 1 - k, c);
      }
    // Colour scale: -1 at the bottom, 1 at the top, with labels.
    const int bx = x0 + panel_w + margin;
    for (int y = 0; y < bins; ++y) {
      Rgb c = colour(1.0f - 2.0f * float(y) / float(bins - 1));
      for (int dx = 0; dx < bar_w; ++dx) canvas.set(bx + dx, margin + y, c);
    }
    canvas.text(bx + bar_w + 4, margin, "1");
    canvas.text(bx + bar_w + 4, margin + bins / 2 - 5, "0");
    canvas.text(bx + bar_w + 4, margin + bins - 10, "-1");
  }
  return canvas.take();
}

}  // namespace timbrel

namespace timbrel {

RgbImage audio_spectrogram(const float* audio, size_t samples, double db_range) {
  const int n = 1024, hop = 256;
  RgbImage img;
  if (samples < size_t(n)) return img;
  const int frames = int((samples - size_t(n)) / size_t(hop)) + 1, bins = n / 2 + 1;
  const Stft stft = Stft::hann(n, hop);
  std::vector<cfloat> spec(size_t(frames) * size_t(bins));
  stft.analyze(audio, frames, spec.data());
  double peak = 1e-20;
  for (const cfloat& c : spec) peak = std::max(peak, double(std::norm(c)));
  img.width = frames;
  img.height = bins;
  img.rgb.resize(size_t(frames) * size_t(bins) * 3);
  for (int f = 0; f < frames; ++f)
    for (int k = 0; k < bins; ++k) {
      const double db = 10 * std::log10(std::max(double(std::norm(spec[size_t(f) * size_t(bins) + size_t(k)])), 1e-30) / peak);
      const Rgb c = magnitude_colour(float(2 * (db + db_range) / db_range - 1));
      std::copy(c.begin(), c.end(), img.rgb.begin() + long((size_t(bins - 1 - k) * size_t(frames) + size_t(f)) * 3));
    }
  return img;
}

namespace {
RgbImage join(const std::vector<RgbImage>& images, int gap, bool horizontal) {
  RgbImage out;
  for (const auto& im : images) {
    if (horizontal) out.width += im.width + (out.width ? gap : 0), out.height = std::max(out.height, im.height);
    else out.height += im.height + (out.height ? gap : 0), out.width = std::max(out.width, im.width);
  }
  out.rgb.assign(size_t(out.width) * size_t(out.height) * 3, 255);
  int at = 0;
  for (const auto& im : images) {
    if (im.width == 0 || im.height == 0) continue;
    for (int y = 0; y < im.height; ++y)
      for (int x = 0; x < im.width; ++x) {
        const int ox = horizontal ? at + x : x, oy = horizontal ? y : at + y;
        std::copy_n(im.rgb.begin() + long((size_t(y) * size_t(im.width) + size_t(x)) * 3), 3,
                    out.rgb.begin() + long((size_t(oy) * size_t(out.width) + size_t(ox)) * 3));
      }
    at += (horizontal ? im.width : im.height) + gap;
  }
  return out;
}
}  // namespace

RgbImage beside(const std::vector<RgbImage>& images, int gap) { return join(images, gap, true); }
RgbImage above(const std::vector<RgbImage>& images, int gap) { return join(images, gap, false); }

}  // namespace timbrel
