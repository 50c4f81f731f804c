#!/usr/bin/python3
"""Writes the MIDI files of issue 34's controller goals to tests/data/studio/ (standard MIDI
files written byte by byte here, independent of timbrel's MIDI writer). tests/test_studio_goals.cpp
renders each with timbrel and with FluidSynth. Times are in seconds at 120 qpm, 480 ticks per
quarter (1 s = 960 ticks). Run: /usr/bin/python3 tools/make-studio-midi.py"""
import os
import struct
import sys

TPQ = 480
TICKS_PER_SECOND = 2 * TPQ  # 120 qpm


def vlq(n):
    out = [n & 0x7F]
    n >>= 7
    while n:
        out.append(0x80 | (n & 0x7F))
        n >>= 7
    return bytes(reversed(out))


def track(events):
    """events: (seconds, order, bytes); order puts an instant's events in MIDI-file order."""
    data, last = b"", 0
    for t, _, msg in sorted(events, key=lambda e: (round(e[0] * TICKS_PER_SECOND), e[1])):
        tick = round(t * TICKS_PER_SECOND)
        data += vlq(tick - last) + msg
        last = tick
    data += b"\x00\xff\x2f\x00"
    return b"MTrk" + struct.pack(">I", len(data)) + data


def smf(tracks):
    conductor = [(0, 0, b"\xff\x51\x03" + (500000).to_bytes(3, "big"))]  # 120 qpm
    body = track(conductor) + b"".join(track(t) for t in tracks)
    return b"MThd" + struct.pack(">IHHH", 6, 1, len(tracks) + 1, TPQ) + body


def cc(t, ch, number, value):
    return (t, 1, bytes([0xB0 | ch, number, value]))


def program(t, ch, p):
    return (t, 1, bytes([0xC0 | ch, p]))


def note(ch, pitch, start, end, velocity=100):
    return [(start, 2, bytes([0x90 | ch, pitch, velocity])), (end, 0, bytes([0x80 | ch, pitch, 0]))]


def bend(t, ch, value):  # value -8192..8191
    v = max(0, min(16383, value + 8192))
    return (t, 1, bytes([0xE0 | ch, v & 0x7F, v >> 7]))


def ramp(ch, number, start, end, first, last, step=0.02):
    """Controller `number` from `first` to `last`, linear in value, one change every `step` s."""
    n = round((end - start) / step)
    return [cc(start + i * step, ch, number, round(first + (last - first) * i / n)) for i in range(n + 1)]


def dry(ch):
    return cc(0, ch, 91, 0)


def pan():
    """(a) Flute (73) on channels 0, 1, 2 panned hard left, centre, hard right; one held note each."""
    tracks = []
    for i, (ch, cc10) in enumerate([(0, 0), (1, 64), (2, 127)]):
        start = 0.5 + 2.0 * i
        tracks.append([program(0, ch, 73), cc(0, ch, 10, cc10), dry(ch)] + note(ch, 72, start, start + 1.5))
    return tracks


def volume():
    """(b) Church organ (19), dry: a held note under a CC7 ramp 127 -> 20 (1.0-3.0 s), then
    volume back at 127 and a second held note under a CC11 ramp 127 -> 20 (5.0-7.0 s)."""
    ev = [program(0, 0, 19), dry(0), cc(0, 0, 7, 127)]
    ev += note(0, 60, 0.5, 3.5) + ramp(0, 7, 1.0, 3.0, 127, 20)
    ev += [cc(4.0, 0, 7, 127)] + note(0, 60, 4.5, 7.5) + ramp(0, 11, 5.0, 7.0, 127, 20)
    return [ev]


def pedal():
    """(c) Piano (0), dry: a note released without the pedal (0.5-0.8 s), then one released at
    3.3 s under the pedal (down 2.9 s, up 4.5 s)."""
    ev = [program(0, 0, 0), dry(0)] + note(0, 60, 0.5, 0.8)
    ev += [cc(2.9, 0, 64, 127)] + note(0, 60, 3.0, 3.3) + [cc(4.5, 0, 64, 0)]
    return [ev]


def bend_file(rpn_range):
    """(d) Flute (73), dry, A4 held 0.3-4.3 s: bend 0, +full at 1.0 s, -full at 2.0 s, 0 at 3.0 s;
    with `rpn_range`, RPN 0 (CC101/100 = 0/0, CC6 = range, CC38 = 0) first."""
    ev = [program(0, 0, 73), dry(0)]
    if rpn_range:
        ev += [cc(0, 0, 101, 0), cc(0, 0, 100, 0), cc(0, 0, 6, rpn_range), cc(0, 0, 38, 0), cc(0, 0, 101, 127), cc(0, 0, 100, 127)]
    ev += note(0, 69, 0.3, 4.3) + [bend(1.0, 0, 8191), bend(2.0, 0, -8192), bend(3.0, 0, 0)]
    return [ev]


def click():
    """(e) Claves (GM drum 75): a hit at 0.5 s with CC91 = 0 (dry), a hit at 3.0 s with CC91 = 127."""
    ev = [dry(9)] + note(9, 75, 0.5, 0.6) + [cc(2.5, 9, 91, 127)] + note(9, 75, 3.0, 3.1)
    return [ev]


def main():
    root = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "data", "studio")
    out = sys.argv[1] if len(sys.argv) > 1 else root
    os.makedirs(out, exist_ok=True)
    files = {"pan.mid": pan(), "volume-expression.mid": volume(), "sustain-pedal.mid": pedal(),
             "bend-2.mid": bend_file(0), "bend-rpn-12.mid": bend_file(12), "click-reverb.mid": click()}
    for name, tracks in files.items():
        with open(os.path.join(out, name), "wb") as f:
            f.write(smf(tracks))
        print(os.path.join(out, name))


if __name__ == "__main__":
    main()
