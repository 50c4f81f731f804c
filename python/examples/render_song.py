#!/usr/bin/env python3
"""Render a MIDI file (or a freshly composed song) with Timbrel's neural timbres to a 16-bit WAV.

    PYTHONPATH=build/python python3 python/examples/render_song.py samples/twinkle.mid twinkle.wav
    PYTHONPATH=build/python python3 python/examples/render_song.py --compose 8 song.wav
"""
import argparse
import wave

import numpy as np

import timbrel


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("midi", nargs="?", help="MIDI file (omit with --compose)")
    ap.add_argument("out", help="output .wav")
    ap.add_argument("--compose", type=int, metavar="BARS", help="compose a melody with drums instead of reading MIDI")
    ap.add_argument("--timbre", help="e.g. program:40 or preset:Flute (default: each note's GM program)")
    ap.add_argument("--device", default="auto")
    args = ap.parse_args()

    engine = timbrel.Engine(device=args.device, log=lambda m: print("timbrel:", m))
    song = engine.compose(bars=args.compose, drums=True) if args.compose else timbrel.NoteSequence.from_midi(args.midi)
    audio = engine.render(song, timbre=args.timbre, sample_rate=44100)
    with wave.open(args.out, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(44100)
        w.writeframes((np.clip(audio, -1, 1) * 32767).astype("<i2").tobytes())
    print(f"{len(song)} notes, {len(audio) / 44100:.1f} s on {engine.compute} -> {args.out}")


if __name__ == "__main__":
    main()
