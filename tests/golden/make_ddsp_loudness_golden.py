#!/usr/bin/env python3
"""Golden data for DDSP's A-weighted loudness (tests/test_ddsp_train.cpp), written with NumPy only:
a 1.5 s test signal (a swelling 440 Hz tone with harmonics, a chirp, noise, a silent gap) and its
loudness per frame as DDSP's compute_loudness defines it: frames centred every 64 samples (zero
padding), FFT 2048 with a periodic Hann window, power in dB (floored at 1e-20), plus librosa's
A-weighting (floored at -80 dB), minus 20.7 dB, floored at -120 dB, averaged over frequency."""
import os
import numpy as np

SR, HOP, NFFT = 16000, 64, 2048
rng = np.random.default_rng(7)
t = np.arange(int(1.5 * SR)) / SR
x = 0.3 * np.minimum(1, t / 0.5) * sum(np.sin(2 * np.pi * 440 * k * t) / k for k in range(1, 6))
x += 0.1 * np.sin(2 * np.pi * (200 * t + 1500 * t * t))
x += 0.02 * rng.standard_normal(len(t))
x[int(1.0 * SR):int(1.2 * SR)] = 0
x = x.astype(np.float32)

pad = np.pad(x.astype(np.float64), NFFT // 2)
window = 0.5 - 0.5 * np.cos(2 * np.pi * np.arange(NFFT) / NFFT)
frames = len(x) // HOP
f = np.linspace(0, SR / 2, NFFT // 2 + 1)
f2 = f ** 2
with np.errstate(divide="ignore"):
    c = np.array([12194.217, 20.598997, 107.65265, 737.86223]) ** 2
    weight = 2.0 + 20.0 * (np.log10(c[0]) + 2 * np.log10(f2) - np.log10(f2 + c[0]) - np.log10(f2 + c[1])
                           - 0.5 * np.log10(f2 + c[2]) - 0.5 * np.log10(f2 + c[3]))
weight = np.maximum(np.nan_to_num(weight, nan=-80, neginf=-80), -80)
out = np.empty(frames, np.float32)
for i in range(frames):
    spectrum = np.fft.rfft(pad[i * HOP:i * HOP + NFFT] * window)
    power_db = 10 * np.log10(np.maximum(np.abs(spectrum) ** 2, 1e-20))
    out[i] = np.mean(np.maximum(power_db + weight - 20.7, -120))

here = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "data", "ddsp")
np.save(os.path.join(here, "loudness_input.npy"), x)
np.save(os.path.join(here, "loudness_golden.npy"), out)
print(f"{frames} frames, loudness {out.min():.1f} .. {out.max():.1f} dB")
