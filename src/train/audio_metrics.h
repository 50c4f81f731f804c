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

// Power spectrum (|X|^2, Hann window, zero-padded FFT of `fft` points) of audio[first, first+count).
std::vector<double> power_spectrum(const std::vector<float>& audio, size_t first, size_t count, int fft);
// Fraction of the note's energy below `hz` (whole note, 0.24 Hz resolution): DC and rumble.
double subsonic_fraction(const std::vector<float>& audio, double hz = 30.0);
// Harmonic-to-noise ratio (dB) at a known pitch: energy within f0/4 of the harmonics k f0 (below
// 7.5 kHz) against the rest, over 0.15..1.15 s. White noise gives about 0 dB; a note at another
// pitch, well below; a clean harmonic tone, 20 dB and more.
double harmonic_to_noise_db(const std::vector<float>& audio, int midi_pitch);
// dB values of silence (-inf) in JSON reports, which have no infinity: floored here.
constexpr double kReportFloorDb = -200.0;
inline double floored_db(double db) { return db > kReportFloorDb ? db : kReportFloorDb; }  // NaN and -inf too
// Peak level in dBFS.
double peak_db(const std::vector<float>& audio);
// Scales `audio` so that its peak is `target` (left alone when silent); returns the peak it had.
float scale_to_peak(std::vector<float>& audio, float target);
// Seconds from the loudest 10 ms frame until the level stays 30 dB below it (drum decay).
double decay_seconds(const std::vector<float>& audio);
// Log-spectral distance (dB): RMS over bins of the difference of the two log power spectra (STFT
// 1024 / hop 256, each signal scaled to unit RMS, powers floored 80 dB below the truth's peak),
// averaged over the frames where `truth` is within 60 dB of its loudest frame.
double log_spectral_distance(const std::vector<float>& audio, const std::vector<float>& truth);

// Energy of each band between consecutive `edges_hz` of mono audio at `sample_rate`, summed over
// STFT frames (Hann 2048 / hop 512, every sample weighted alike, the first and last included).
std::vector<double> band_energies(const float* audio, size_t samples, int sample_rate, const std::vector<double>& edges_hz);
// Mean power per sample in [lo_hz, hi_hz) over the whole signal (STFT 2048 / hop 1024, Hann).
double band_power(const std::vector<float>& audio, double lo_hz, double hi_hz);
// Loudness range of a song: the 90th minus the 10th percentile of its 50 ms RMS levels (dB, each
// floored at -100 dBFS). Rumble or hiss under the music shows as a small range.
double loudness_range_db(const std::vector<float>& audio);

// Median MIDI pitch that `aubiopitch -p yinfft` finds over [from_s, to_s) of `audio` (unvoiced
// frames ignored); NaN when it finds none. Error when the tool cannot be run. The audio is written
// to `scratch_wav` at kTrackerSampleRate first: at 16 kHz a note near 1 kHz has a period of ~15
// samples, and YIN's integer-lag search then prefers three periods (a false fourth below).
inline constexpr int kTrackerSampleRate = 48000;
double aubio_median_pitch(const std::vector<float>& audio, int sample_rate, const std::string& scratch_wav,
                          double from_s = 0.3, double to_s = 1.7);
bool aubiopitch_available();

// Pitch-class error in cents folded into [-600, 600) (octave errors forgiven).
double folded_cents(double tracked_midi, int target_midi);

}  // namespace timbrel::train
