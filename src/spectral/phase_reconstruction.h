#pragma once
// Phase from magnitude alone: Griffin-Lim / Fast Griffin-Lim (Perraudin et al. 2013) and
// phase-gradient heap integration (PGHI, Prusa et al. 2017). Spectra are [frames][bins] with
// bins = fft_size / 2 + 1, frames analysed from the frame start (tf.signal.stft's convention).
#include <cstdint>

#include "spectral/stft.h"

namespace timbrel {

// Coefficients below this share of a note's largest magnitude (-80 dB) are left at phase 0: half of
// a generated note's coefficients, and the keyboard sweep moves by under 0.05 dB on every note.
constexpr double kPghiTolerance = 1e-4;

// Fills phase[frames][bins]. gamma: the Gaussian equivalent of the window (Hann: 0.25645 * M^2).
// Coefficients below tolerance * max(magnitude) get phase 0.
void pghi_phase(const float* magnitude, int frames, int bins, int fft_size, int hop, double gamma,
                float* phase, double tolerance = kPghiTolerance);
double hann_pghi_gamma(int fft_size);

// Iterates from `phase` (in/out): each step projects onto spectra with the target magnitude, then
// onto consistent spectra (STFT of the iSTFT); momentum 0 is Griffin-Lim, 0.99 the usual FGLA.
// `signal` (stft.signal_length(frames) samples) receives the final waveform.
void fast_griffin_lim(const Stft& stft, const float* magnitude, int frames, float* phase, int iterations,
                      float momentum, float* signal);

// Uniform random phases in [-pi, pi), reproducible from `seed`.
void random_phase(float* phase, size_t count, uint64_t seed);

// || |STFT(signal)| - magnitude ||_F / || magnitude ||_F
double spectral_convergence(const Stft& stft, const float* magnitude, int frames, const float* signal);

}  // namespace timbrel
