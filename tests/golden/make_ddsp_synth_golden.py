#!/usr/bin/env python3
"""Golden data for the DDSP synthesizers (src/synth/): Magenta's DDSP graph's harmonic and
filtered-noise branches written out whole-window in float64 NumPy, as the graph computes them
(upsample_with_windows, bilinear frequency resize, Nyquist masks, exact phase; IRFFT impulse
responses, Hann window, fftshift, FFT convolution, overlap-add, the 62-sample delay cut).
Run from the repository root: python3 tests/golden/make_ddsp_synth_golden.py"""
import numpy as np

OUT = "tests/data/ddsp/"
SR, HOP, H, BANDS, T = 16000, 64, 60, 65, 40
rng = np.random.default_rng(7)

# Controls: a glide 220 -> 1500 Hz (harmonics cross Nyquist within frames), an envelope, random
# distributions and noise magnitudes, and the noise itself.
f0 = np.geomspace(220.0, 1500.0, T).astype(np.float32)
f0[30:33] = 0.0  # a silent stretch (f0 0: every harmonic at 0 Hz, no sound)
amp = (0.5 * np.sin(np.linspace(0, 3, T)) ** 2 + 0.05).astype(np.float32)
dist = rng.uniform(0, 1, (T, H)).astype(np.float32)
mags = rng.uniform(0, 1, (T, BANDS)).astype(np.float32) * np.linspace(1, 0.1, BANDS, dtype=np.float32)
noise = rng.uniform(-1, 1, T * HOP).astype(np.float32)

def graph_phase(f0):
    """The graph's own phase arithmetic in float32: bilinear resize of f0 x k, x (2 pi / 16000),
    cumulative sums restarted every 1000 samples, chunk ends wrapped to 2 pi and summed."""
    fk = f0[:, None] * np.arange(1, H + 1, dtype=np.float32)[None, :]
    n = np.arange(T * HOP)
    frac = (n.astype(np.float32) * np.float32(1.0 / HOP) - (n // HOP)).astype(np.float32)[:, None]
    i0 = n // HOP
    i1 = np.minimum(i0 + 1, T - 1)
    F = fk[i0] + (fk[i1] - fk[i0]) * frac
    w = F * (np.float32(2 * np.pi) * np.float32(1.0 / SR))  # the graph's constant, 0.00039269912
    phase = np.empty_like(w)
    two_pi = np.float32(2 * np.pi)
    offset = np.zeros(H, np.float32)
    for start in range(0, len(w), 1000):
        c = np.add.accumulate(w[start:start + 1000], axis=0, dtype=np.float32)
        phase[start:start + 1000] = np.fmod(c + np.fmod(offset, two_pi), two_pi)
        offset = offset + np.fmod(c[-1], two_pi)
    return phase

def harmonic(f0, amp, dist, float32_phase=False):
    phase32 = graph_phase(f0) if float32_phase else None
    f0, amp, dist = f0.astype(np.float64), amp.astype(np.float64), dist.astype(np.float64)
    k = np.arange(1, H + 1)
    fk = f0[:, None] * k[None, :]
    d = np.where(fk >= SR / 2, 0.0, dist)
    s = d.sum(1, keepdims=True)
    A = amp[:, None] * np.divide(d, s, out=np.zeros_like(d), where=s > 0)
    A2 = np.concatenate([A, A[-1:]], 0)
    win = 0.5 - 0.5 * np.cos(2 * np.pi * np.arange(2 * HOP) / (2 * HOP))
    ola = np.zeros((T * HOP + 2 * HOP, H))
    for j in range(T + 1):
        ola[j * HOP:j * HOP + 2 * HOP] += A2[j][None, :] * win[:, None]
    Aup = ola[HOP:HOP + T * HOP]
    n = np.arange(T * HOP)
    src = n / HOP
    i0 = np.floor(src).astype(int)
    i1 = np.minimum(i0 + 1, T - 1)
    frac = (src - i0)[:, None]
    F = fk[i0] + (fk[i1] - fk[i0]) * frac
    Aup = np.where(F >= SR / 2, 0.0, Aup)
    phase = phase32.astype(np.float64) if float32_phase else np.cumsum(2 * np.pi * F / SR, axis=0)
    return (Aup * np.sin(phase)).sum(1)

def filtered_noise(mags, noise):
    taps = 2 * (BANDS - 1)
    ir = np.fft.irfft(mags.astype(np.float64), n=taps, axis=1)
    win = 0.5 - 0.5 * np.cos(2 * np.pi * np.arange(taps) / taps)
    ir = np.roll(ir * np.fft.fftshift(win)[None, :], taps // 2, axis=1)
    frames = noise.astype(np.float64).reshape(T, HOP)
    nfft = 256
    y = np.fft.irfft(np.fft.rfft(frames, nfft, axis=1) * np.fft.rfft(ir, nfft, axis=1), nfft, axis=1)
    ola = np.zeros((T - 1) * HOP + nfft)
    for j in range(T):
        ola[j * HOP:j * HOP + nfft] += y[j]
    delay = (taps - 1) // 2 - 1
    return ola[delay:delay + T * HOP]

np.save(OUT + "controls_f0.npy", f0)
np.save(OUT + "controls_amplitude.npy", amp)
np.save(OUT + "controls_distribution.npy", dist)
np.save(OUT + "controls_noise_magnitudes.npy", mags)
np.save(OUT + "controls_noise.npy", noise)
np.save(OUT + "harmonic.npy", harmonic(f0, amp, dist).astype(np.float32))
np.save(OUT + "harmonic_graph_phase.npy", harmonic(f0, amp, dist, float32_phase=True).astype(np.float32))
np.save(OUT + "filtered_noise.npy", filtered_noise(mags, noise).astype(np.float32))
