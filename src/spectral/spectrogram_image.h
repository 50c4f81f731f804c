#pragma once
// A normalised GANSynth spectrogram [frames][1024][2] as an RGB image: log magnitude (left) and
// instantaneous frequency (right), time left to right, low frequencies at the bottom, each panel
// with its colour scale (-1 .. 1, the normalised range).
#include <cstddef>
#include <cstdint>
#include <vector>

namespace timbrel {

struct RgbImage {
  int width = 0, height = 0;
  std::vector<uint8_t> rgb;
};

RgbImage render_spectrogram(const float* spec, int frames, int bins);

// Audio as a listener's spectrogram: STFT 1024 / hop 256 power in dB below the loudest bin,
// `db_range` dB shown, linear frequency 0..rate/2 bottom to top, one column per hop.
RgbImage audio_spectrogram(const float* audio, size_t samples, double db_range = 80);
// Images joined left to right / top to bottom (`gap` pixels of white between); heights (widths)
// may differ, the rest is white.
RgbImage beside(const std::vector<RgbImage>& images, int gap = 4);
RgbImage above(const std::vector<RgbImage>& images, int gap = 4);

}  // namespace timbrel
