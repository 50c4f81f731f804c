#!/usr/bin/env python3
"""Exit 0 when a float WAV that Ardour exported holds finite samples within +-64 (+36 dBFS),
and, given FRAMES, at least FRAMES - 1 s of stereo (a crash can leave a file cut short).

Ardour 7.3's export can corrupt its own heap (see tools/ardour-bounce.sh); a file written
then is not the instrument's sound, and the bounce is run again.

usage: wav_sane.py FILE.wav [FRAMES]   -> prints what is wrong and exits 1 otherwise
"""
import struct
import sys

import numpy as np


def samples(path):
    data = open(path, "rb").read()
    if data[:4] != b"RIFF" or data[8:12] != b"WAVE":
        raise ValueError("not a RIFF WAVE file")
    pos, fmt = 12, None
    while pos + 8 <= len(data):
        chunk, size = data[pos:pos + 4], struct.unpack("<I", data[pos + 4:pos + 8])[0]
        if chunk == b"fmt ":
            fmt = struct.unpack("<HHIIHH", data[pos + 8:pos + 24])
        elif chunk == b"data":
            if not fmt or fmt[5] != 32 or fmt[0] not in (3, 0xFFFE):
                raise ValueError("not 32-bit float samples")
            return np.frombuffer(data[pos + 8:pos + 8 + min(size, len(data) - pos - 8) // 4 * 4], dtype="<f4")
        pos += 8 + size + (size & 1)
    raise ValueError("no data chunk")


def main():
    try:
        x = samples(sys.argv[1])
    except (OSError, ValueError) as e:
        print(f"{sys.argv[1]}: {e}")
        return 1
    want = int(sys.argv[2]) if len(sys.argv) > 2 else 0
    if x.size < max(2, 2 * (want - 48000)):
        print(f"{sys.argv[1]}: {x.size // 2} frames, expected {want}")
        return 1
    bad = ~np.isfinite(x) | (np.abs(x) > 64)
    if bad.any():
        print(f"{sys.argv[1]}: {int(bad.sum())} samples not finite or beyond +-64, the first at frame {int(np.argmax(bad)) // 2}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
