#include "nn/ddsp_train_ops.h"

#include <cmath>

#include "synth/oscillator_bank_ops.h"
#include "timbrel/error.h"

namespace timbrel::nn {
namespace {

constexpr double kTwoPi = 6.283185307179586;

// Periodic Hann window of n points.
torch::Tensor hann(int64_t n, const torch::TensorOptions& o) {
  return 0.5 - 0.5 * torch::cos(kTwoPi * torch::arange(n, o.dtype(torch::kDouble)) / double(n)).to(o.dtype());
}

// Frame values [B, T, C] -> samples [B, T * hop, C]: each frame's value spread by a Hann window of
// 2 hop centred on its sample (DDSP's upsample_with_windows; the last frame repeated once).
torch::Tensor upsample_with_windows(const torch::Tensor& frames, int hop) {
  const int64_t B = frames.size(0), T = frames.size(1), C = frames.size(2);
  const torch::Tensor padded = torch::cat({frames, frames.narrow(1, T - 1, 1)}, 1);            // [B, T+1, C]
  const torch::Tensor rows = padded.permute({0, 2, 1}).reshape({B * C, 1, T + 1});
  const torch::Tensor kernel = hann(2 * hop, frames.options()).view({1, 1, 2 * hop});
  const torch::Tensor up = torch::conv_transpose1d(rows, kernel, {}, hop);                       // [B*C, 1, T*hop + 2 hop]
  return up.narrow(2, hop, T * hop).reshape({B, C, T * hop}).permute({0, 2, 1});
}

// f0 per frame [B, T] -> per sample [B, T * hop], moving linearly from frame to frame (held after the last).
torch::Tensor upsample_linear(const torch::Tensor& f0, int hop) {
  const int64_t T = f0.size(1);
  const torch::Tensor n = torch::arange(T * hop, f0.options().dtype(torch::kLong));
  const torch::Tensor i0 = torch::div(n, hop, "floor"), i1 = torch::clamp_max(i0 + 1, T - 1);
  const torch::Tensor frac = (n - i0 * hop).to(f0.scalar_type()) / double(hop);
  return f0.index_select(1, i0) * (1 - frac) + f0.index_select(1, i1) * frac;
}

}  // namespace

torch::Tensor harmonic_audio(const torch::Tensor& f0_hz, const torch::Tensor& amplitude, const torch::Tensor& distribution,
                             int sample_rate, int hop) {
  const int64_t H = distribution.size(2);
  const double nyquist = synth::harmonic_cutoff_hz(float(sample_rate));
  const torch::Tensor k = torch::arange(1, H + 1, f0_hz.options());
  // Harmonics at or above Nyquist (at most 20 kHz) are zeroed and the rest renormalised.
  const torch::Tensor audible = (f0_hz.unsqueeze(2) * k < nyquist).to(distribution.scalar_type());
  torch::Tensor dist = distribution * audible;
  dist = dist / dist.sum(2, true).clamp_min(1e-7);
  const torch::Tensor amps = upsample_with_windows(amplitude.unsqueeze(2) * dist, hop);  // [B, N, H]
  const torch::Tensor f0 = upsample_linear(f0_hz, hop);                                  // [B, N]
  torch::Tensor phase;
  {
    torch::NoGradGuard no_grad;
    const torch::Tensor cycles = torch::cumsum(f0.to(torch::kDouble) / sample_rate, 1);  // inclusive, as the graph
    const torch::Tensor frac = cycles - torch::floor(cycles);
    const torch::Tensor harmonic = frac.unsqueeze(2) * k.to(torch::kDouble);
    phase = (kTwoPi * (harmonic - torch::floor(harmonic))).to(f0_hz.scalar_type());
  }
  const torch::Tensor below = (f0.unsqueeze(2) * k < nyquist).to(amps.scalar_type());
  return (amps * below * torch::sin(phase)).sum(2);
}

torch::Tensor filtered_noise_audio(const torch::Tensor& magnitudes, const torch::Tensor& noise, int hop) {
  const int64_t B = magnitudes.size(0), T = magnitudes.size(1), taps = 2 * (magnitudes.size(2) - 1);
  if (noise.size(1) != T * hop) throw Error("noise", "must have frames x hop samples");
  // Zero-phase response (inverse real DFT), made causal (rolled by half) and Hann-windowed.
  const torch::Tensor zero_phase = torch::fft::irfft(torch::complex(magnitudes, torch::zeros_like(magnitudes)), taps, -1);
  const torch::Tensor ir = torch::roll(zero_phase, taps / 2, -1) * hann(taps, magnitudes.options());
  int64_t n_fft = 256;  // a power of two holding a hop's full response (no circular wrap)
  while (n_fft < hop + taps - 1) n_fft *= 2;
  const torch::Tensor frames = noise.reshape({B, T, hop});
  const torch::Tensor y = torch::fft::irfft(torch::fft::rfft(frames, n_fft, -1) * torch::fft::rfft(ir, n_fft, -1), n_fft, -1);  // [B, T, n_fft]
  // Overlap-add the frames' responses hop apart, then take the graph's delay into account.
  const int64_t length = (T - 1) * hop + n_fft;
  const torch::Tensor ola = torch::nn::functional::fold(
      y.permute({0, 2, 1}), torch::nn::functional::FoldFuncOptions({1, length}, {1, n_fft}).stride({1, hop}));  // [B, 1, 1, length]
  const int64_t delay = (taps - 1) / 2 - 1;
  return ola.reshape({B, length}).narrow(1, delay, T * hop);
}

torch::Tensor multiscale_spectral_loss(const torch::Tensor& audio, const torch::Tensor& target, const std::vector<int>& fft_sizes) {
  torch::Tensor loss = torch::zeros({}, audio.options());
  for (int n : fft_sizes) {
    const torch::Tensor window = hann(n, audio.options());
    auto magnitude = [&](const torch::Tensor& x) {
      return torch::abs(torch::stft(x, n, n / 4, n, window, true, "reflect", false, c10::nullopt, true));
    };
    const torch::Tensor s = magnitude(audio), t = magnitude(target);
    loss = loss + torch::mean(torch::abs(s - t)) + torch::mean(torch::abs(torch::log(s + 1e-7) - torch::log(t + 1e-7)));
  }
  return loss;
}

std::vector<int> spectral_loss_fft_sizes(int sample_rate) {
  std::vector<int> sizes;
  for (int n : {2048, 1024, 512, 256, 128, 64}) sizes.push_back(2 * int(std::lround(n * (sample_rate / 16000.0) / 2)));
  return sizes;
}

torch::Tensor a_weighted_loudness(const torch::Tensor& audio, int sample_rate, int hop, int n_fft) {
  const torch::Tensor window = hann(n_fft, audio.options());
  const torch::Tensor spectrum = torch::stft(audio, n_fft, hop, n_fft, window, true, "constant", false, c10::nullopt, true);
  const torch::Tensor power_db = 10 * torch::log10(torch::abs(spectrum).square().clamp_min(1e-20));  // [B, bins, frames]
  // librosa's A-weighting (what DDSP uses), floored at -80 dB.
  const torch::Tensor f = torch::linspace(0, sample_rate / 2.0, n_fft / 2 + 1, audio.options().dtype(torch::kDouble));
  const torch::Tensor f2 = f.square();
  const double c0 = 12194.217 * 12194.217, c1 = 20.598997 * 20.598997, c2 = 107.65265 * 107.65265, c3 = 737.86223 * 737.86223;
  const torch::Tensor weight =
      (2.0 + 20.0 * (std::log10(c0) + 2 * torch::log10(f2) - torch::log10(f2 + c0) - torch::log10(f2 + c1) -
                     0.5 * torch::log10(f2 + c2) - 0.5 * torch::log10(f2 + c3)))
          .nan_to_num(-80.0, -80.0, -80.0)
          .clamp_min(-80.0)
          .to(audio.scalar_type());
  const torch::Tensor loudness = (power_db + weight.view({1, -1, 1}) - 20.7).clamp_min(-120.0).mean(1);  // [B, frames]
  return loudness.narrow(1, 0, audio.size(1) / hop);
}

}  // namespace timbrel::nn
