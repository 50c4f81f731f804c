#pragma once
// Phase from magnitude alone: Griffin-Lim / Fast Griffin-Lim (Perraudin et al. 2013) and
// phase-gradient heap integration (PGHI, Prusa et al. 2017). Spectra are [frames][bins] with
// bins = fft_size / 2 + 1, frames analysed from the frame start (tf.signal.stft's convention).
#include <cstdint>

#include "spectral/stft.h"

namespace timbrel {

// Coefficients below this share of the input's largest magnitude (-80 dB; a note's, or a whole
// file's in resynth) are not integrated: about half of a generated note's, and the keyboard sweep
// moves by under 0.05 dB on every note.
constexpr double kPghiTolerance = 1e-4;

// Fills phase[frames][bins]. gamma: the Gaussian equivalent of the window (Hann: 0.25645 * M^2).
// Coefficients below tolerance * max(magnitude), and non-finite or negative ones, get no integrated
// phase: zero at the frame centre, pi * m at the frame start (an input with nothing above 0 gets 0
// everywhere). Throws past 2^32 coefficients.
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
