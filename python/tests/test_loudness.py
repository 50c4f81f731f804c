"""timbrel.measure_loudness / normalize_loudness against an independent BS.1770-4 written here in
NumPy: the standard's K-weighting coefficients at 48 kHz (ITU-R BS.1770-4, Annex 1, tables 1 and 2),
400 ms blocks every 100 ms, the -70 LUFS absolute gate and the -10 LU relative gate."""
import functools

import numpy as np
import pytest

import timbrel

RATE = 48000
# BS.1770-4's two stages at 48 kHz: the head's shelf, then the RLB high-pass.
SHELF_B, SHELF_A = [1.53512485958697, -2.69169618940638, 1.19839281085285], [1.0, -1.69065929318241, 0.73248077421585]
RLB_B, RLB_A = [1.0, -2.0, 1.0], [1.0, -1.99004745483398, 0.99007225036621]


@functools.lru_cache(maxsize=1)
def k_weighting_response(length=40000):
    """Impulse response of the two biquads in series (it has decayed below 1e-15 by then)."""
    b, a = np.convolve(SHELF_B, RLB_B), np.convolve(SHELF_A, RLB_A)
    x, y = np.zeros(length), np.zeros(length)
    x[0] = 1.0
    for n in range(length):
        acc = sum(b[k] * x[n - k] for k in range(5) if n >= k)
        y[n] = acc - sum(a[k] * y[n - k] for k in range(1, 5) if n >= k)
    return y


def reference_lufs(samples):
    """Gated integrated loudness of [frames, channels] samples at 48 kHz, every channel weight 1."""
    samples = samples.reshape(len(samples), -1).astype(np.float64)
    h = k_weighting_response()
    size = 1 << int(np.ceil(np.log2(len(samples) + len(h))))
    weighted = np.fft.irfft(np.fft.rfft(samples, size, axis=0) * np.fft.rfft(h, size)[:, None], size, axis=0)[: len(samples)]
    block, step = int(0.4 * RATE), int(0.1 * RATE)
    starts = range(0, len(weighted) - block + 1, step)
    z = np.array([np.mean(weighted[s : s + block] ** 2, axis=0) for s in starts])  # [blocks, channels]
    loudness = -0.691 + 10 * np.log10(z.sum(axis=1))
    z = z[loudness > -70]
    relative = -0.691 + 10 * np.log10(z.mean(axis=0).sum()) - 10
    z = z[-0.691 + 10 * np.log10(z.sum(axis=1)) > relative]
    return -0.691 + 10 * np.log10(z.mean(axis=0).sum())


def test_reference_reads_the_tech_3341_sine():
    t = np.arange(10 * RATE) / RATE
    sine = np.sin(2 * np.pi * 1000 * t) * 10 ** (-23 / 20)
    assert reference_lufs(np.stack([sine, sine], axis=1)) == pytest.approx(-23.0, abs=0.05)


def music_like(seconds=12, seed=5):
    """Stereo: a bass line, chords and noise hits that come and go, with quiet stretches (the gates act)."""
    rng = np.random.default_rng(seed)
    t = np.arange(seconds * RATE) / RATE
    bass = 0.3 * np.sin(2 * np.pi * 55 * (1 + (t // 0.5) % 3 / 4) * t)
    chords = sum(0.08 * np.sin(2 * np.pi * f * t + p) for f, p in [(440, 0), (554, 1), (659, 2), (1760, 3)])
    hits = rng.standard_normal((len(t), 2)) * np.exp(-(t % 0.25) / 0.015)[:, None] * 0.4
    level = np.where((t > 4) & (t < 6), 0.05, 1.0)[:, None]  # two quiet seconds
    return ((np.stack([bass + chords, 0.8 * bass + 1.2 * chords], axis=1) + hits) * level).astype(np.float32)


def test_integrated_loudness_equals_the_numpy_reference():
    audio = music_like()
    m = timbrel.measure_loudness(audio, RATE)
    assert m["integrated_lufs"] == pytest.approx(reference_lufs(audio), abs=0.01)
    assert m["sample_peak_dbfs"] == pytest.approx(20 * np.log10(np.abs(audio).max()), abs=1e-3)
    assert m["true_peak_dbtp"] >= m["sample_peak_dbfs"]
    mono = timbrel.measure_loudness(audio[:, 0], RATE)  # 1-D: one channel
    assert mono["integrated_lufs"] == pytest.approx(reference_lufs(audio[:, :1]), abs=0.01)


# -16 LUFS from -10.7 is a plain gain; -9 LUFS from -30.7 (true peak -15.7) needs the limiter.
@pytest.mark.parametrize("scale, lufs", [(1.0, -16.0), (0.1, -9.0)])
def test_normalize_meets_the_target_by_the_reference(scale, lufs):
    audio = music_like() * np.float32(scale)
    out = timbrel.normalize_loudness(audio, RATE, lufs=lufs, true_peak=-1.0)
    assert out.shape == audio.shape and out.dtype == np.float32
    assert reference_lufs(out) == pytest.approx(lufs, abs=0.5)
    assert timbrel.measure_loudness(out, RATE)["true_peak_dbtp"] <= -1.0
    assert np.abs(out).max() <= 10 ** (-1 / 20)
    assert np.array_equal(out, timbrel.normalize_loudness(audio, RATE, lufs=lufs)), "deterministic"


def test_silence_and_bad_targets_raise():
    with pytest.raises(timbrel.Error, match="audio: is silent"):
        timbrel.normalize_loudness(np.zeros((RATE, 2), np.float32), RATE)
    with pytest.raises(timbrel.Error, match="target.lufs"):
        timbrel.normalize_loudness(music_like(2), RATE, lufs=-90)
    with pytest.raises(timbrel.Error, match="samples"):
        timbrel.measure_loudness(np.zeros((2, 2, 2), np.float32), RATE)
