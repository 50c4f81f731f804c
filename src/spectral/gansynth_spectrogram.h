#pragma once
// GANSynth framing and representation (Magenta's specgrams_helper) on one note at a time.
// Complex spectra here are [frames][1025 bins] including DC, for the STFT; the representation
// drops DC and keeps Nyquist. A note is 64000 samples = 128 frames; longer audio uses the same
// framing (3072 zeros in front, zeros at the end to fill the last frame) with more frames.
#include "spectral/stft.h"
#include "timbrel/spectral.h"

namespace timbrel::gansynth {

constexpr int kStftBins = 1025;

// Frames that cover `samples` samples after the front padding.
int frames_for(size_t samples);

// Periodic Hann analysis; synthesis is its exact inverse (Exact) or magenta.js's symmetric Hann / 1.5.
const Stft& stft_for(SpectralCompat compat);

// samples -> [frames_for(samples)][1025].
void audio_to_stft(const float* audio, size_t samples, cfloat* spec);
// [frames][1025] -> `samples` samples: overlap-add, the front padding removed.
void stft_to_audio(const cfloat* spec, int frames, float* audio, size_t samples, SpectralCompat compat);
// Padded signal (as the STFT sees it) <-> audio.
std::vector<float> pad_audio(const float* audio, size_t samples, int frames);

// [frames][1025] -> normalised [frames][1024][2].
void encode(const cfloat* spec, int frames, float* out, SpectralScale scale);
// Normalised [frames][1024][2] -> linear magnitude and phase [frames][1025] (DC zero). A null
// phase skips the IF decoding (for methods that rebuild the phase).
void decode_polar(const float* in, int frames, float* magnitude, float* phase, SpectralScale scale,
                  SpectralCompat compat);
// Normalised [frames][1024][2] -> spectrum [frames][1025] with the IF phase (the fast path).
void decode_to_stft(const float* in, int frames, cfloat* spec, SpectralScale scale, SpectralCompat compat);
// magnitude, phase [frames][1025] -> spectrum.
void polar_to_stft(const float* magnitude, const float* phase, int frames, cfloat* spec);

// Whole pipelines for any length (frames = frames_for(samples)): audio -> normalised
// [frames][1024][2], and back with the chosen phase method.
std::vector<float> analyse(const float* audio, size_t samples, SpectralScale scale);
void invert(const float* spec, int frames, float* audio, size_t samples, const InverseOptions& options);

}  // namespace timbrel::gansynth
