#pragma once
// DDSP's synthesizers and losses as differentiable libtorch ops, batched, for training decoders
// here. They follow the graph's formulas that src/synth implements for inference (harmonic: Nyquist
// mask (at most 20 kHz) and renormalisation, Hann overlap-add amplitude upsampling, linear f0 upsampling, phase as
// the running sum of frequency; noise: 65 magnitudes -> windowed causal 128-tap FIR per hop,
// overlap-added, 62 samples of delay), so a decoder trained through these plays the same through
// src/synth. The phase is summed in double here (it carries no gradient).
#include <vector>

#include "nn/torch_pch.h"

namespace timbrel::nn {

// f0_hz [B, T], amplitude [B, T], distribution [B, T, H] -> audio [B, T * hop].
torch::Tensor harmonic_audio(const torch::Tensor& f0_hz, const torch::Tensor& amplitude, const torch::Tensor& distribution,
                             int sample_rate, int hop);
// magnitudes [B, T, bands], uniform noise in [-1, 1) [B, T * hop] -> audio [B, T * hop].
torch::Tensor filtered_noise_audio(const torch::Tensor& magnitudes, const torch::Tensor& noise, int hop);

// DDSP's multi-scale spectral loss: over FFT sizes (hop a quarter, Hann; at other rates than 16 kHz
// the sizes scaled by rate / 16000, so each scale spans the same time: spectral_loss_fft_sizes), mean |S - S'| + mean
// |log(S + 1e-7) - log(S' + 1e-7)| of the magnitudes, summed over the sizes.
torch::Tensor multiscale_spectral_loss(const torch::Tensor& audio, const torch::Tensor& target,
                                       const std::vector<int>& fft_sizes = {2048, 1024, 512, 256, 128, 64});
// DDSP's sizes {2048, ..., 64} at 16 kHz, times sample_rate / 16000 (rounded to even).
std::vector<int> spectral_loss_fft_sizes(int sample_rate);

// DDSP's loudness (compute_loudness): per frame (centred every `hop` samples, FFT 2048, Hann) the
// mean over frequency of the A-weighted power in dB, less 20.7 dB, floored at -120 dB. audio [B, N]
// -> [B, N / hop].
torch::Tensor a_weighted_loudness(const torch::Tensor& audio, int sample_rate, int hop, int n_fft = 2048);

}  // namespace timbrel::nn
