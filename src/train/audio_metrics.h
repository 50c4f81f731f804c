#pragma once
// Note-level audio measures for evaluating timbre models (no torch): spectral distances, centroid,
// loudness, and pitch through an independent tracker (aubio's `aubiopitch`).
#include <cstddef>
#include <string>
#include <vector>

namespace timbrel::train {

// Multi-resolution STFT distance (Parallel WaveGAN's): mean over FFT sizes 512, 1024, 2048 (hop
// 1/4, Hann) of spectral convergence ||S_a - S_b|| / ||S_b|| + mean |ln(S_a + 1e-5) - ln(S_b + 1e-5)|.
double mr_stft_distance(const std::vector<float>& a, const std::vector<float>& b);
// Mean |a - b| over the log-mel channel of two normalised IF-mel spectrograms ([128][1024][2]).
double log_mel_distance(const float* a, const float* b);
// Magnitude-weighted mean frequency (Hz) of 16 kHz audio over [from_s, to_s).
double spectral_centroid_hz(const std::vector<float>& audio, double from_s = 0.2, double to_s = 3.0);
// RMS level in dBFS over [from_s, to_s).
double loudness_db(const std::vector<float>& audio, double from_s = 0.1, double to_s = 3.0);

// Median MIDI pitch that `aubiopitch -p yinfft` finds over [from_s, to_s) of a sound file
// (unvoiced frames ignored); NaN when it finds none. Error when the tool cannot be run.
double aubio_median_pitch(const std::string& wav_path, double from_s = 0.3, double to_s = 1.7);
bool aubiopitch_available();

// Pitch-class error in cents folded into [-600, 600) (octave errors forgiven).
double folded_cents(double tracked_midi, int target_midi);

}  // namespace timbrel::train
