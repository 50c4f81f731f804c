#!/usr/bin/python3
"""The same spectral steps in PyTorch (Debian python3-torch / python3-torchaudio), timed the way a
PyTorch user would write them, for side-by-side comparison with bench/bench_spectral.cpp.

Steps per note (mel + IF path, GANSynth conventions): descale, exp, dense mel -> linear matmul,
sqrt, cumsum of IF * pi, matmul, polar -> complex, DC bin prepended, torch.istft (periodic Hann,
n_fft 2048, hop 512; centre=True because torch.istft refuses centre=False with a Hann window, which
changes only the framing offset, not the work). And torchaudio's GriffinLim, 32 iterations.
Prints one JSON object: ms per note for each, single thread.
With a second argument `cuda` (and a third, the batch): the same spectral step on the GPU, timed
with torch.cuda.synchronize(), for bench/compare_spectral_gpu.sh.
"""
import json
import os
import sys
import time

import numpy as np
import torch

torch.set_num_threads(1)
HERE = os.path.dirname(os.path.abspath(__file__))
DATA = os.path.join(HERE, "..", "..", "tests", "data", "spectral")


def mel_inverse():
    t = np.load(os.path.join(DATA, "mel_inverse_triplets.npy"))
    m = np.zeros((1024, 1024), np.float32)
    m[t[:, 0].astype(int), t[:, 1].astype(int)] = t[:, 2]
    return torch.from_numpy(m)


def spectrogram_to_audio(spec, m2l, window):
    logmel = (spec[..., 0] - 0.113718730221) / 0.0661371661726
    mel_if = spec[..., 1] / 0.8
    mag = torch.sqrt(torch.exp(logmel) @ m2l + 1e-6)
    phase = torch.cumsum(mel_if * np.pi, dim=1) @ m2l
    stft = torch.polar(mag, phase)
    stft = torch.nn.functional.pad(stft, (1, 0))  # DC bin
    return torch.istft(stft.transpose(1, 2), n_fft=2048, hop_length=512, window=window, center=True)


def timeit(fn, seconds=2.0):
    fn()
    n, start = 0, time.perf_counter()
    while n < 3 or time.perf_counter() - start < seconds:
        fn()
        n += 1
    return (time.perf_counter() - start) / n


def main_cuda(seconds, batch):
    dev = torch.device("cuda")
    spec = torch.from_numpy(np.load(os.path.join(DATA, "note_mel_normalized.npy")))[None].to(dev).repeat(batch, 1, 1, 1)
    m2l, window = mel_inverse().to(dev), torch.hann_window(2048, device=dev)

    def step():
        spectrogram_to_audio(spec, m2l, window)
        torch.cuda.synchronize()

    with torch.inference_mode():
        ms = 1e3 * timeit(step, seconds) / batch
    print(json.dumps({"torch_version": torch.__version__, "device": torch.cuda.get_device_name(0), "batch": batch,
                      "spectral_to_audio_ms_per_note": ms}))


def main():
    seconds = float(sys.argv[1]) if len(sys.argv) > 1 else 2.0
    if len(sys.argv) > 2 and sys.argv[2] == "cuda":
        return main_cuda(seconds, int(sys.argv[3]) if len(sys.argv) > 3 else 256)
    spec = torch.from_numpy(np.load(os.path.join(DATA, "note_mel_normalized.npy")))[None]
    m2l, window = mel_inverse(), torch.hann_window(2048)
    out = {"torch_version": torch.__version__, "threads": 1}
    with torch.inference_mode():
        for batch in (1, 8):
            s = spec.repeat(batch, 1, 1, 1)
            out[f"spectral_to_audio_batch{batch}_ms_per_note"] = 1e3 * timeit(lambda: spectrogram_to_audio(s, m2l, window), seconds) / batch
        try:
            import torchaudio
            gl = torchaudio.transforms.GriffinLim(n_fft=2048, hop_length=512, win_length=2048, power=1.0, n_iter=32, momentum=0.99)
            mag = torch.rand(1025, 128)
            out["griffin_lim_32_ms_per_note"] = 1e3 * timeit(lambda: gl(mag), seconds)
            out["torchaudio_version"] = torchaudio.__version__
        except ImportError:
            out["griffin_lim_32_ms_per_note"] = None
    print(json.dumps(out))


if __name__ == "__main__":
    main()
