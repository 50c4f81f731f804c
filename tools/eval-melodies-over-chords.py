#!/usr/bin/env python3
"""Held-out continuations of a chord-conditioned Melody RNN beside an unconditioned one and the data.

For each corpus, `timbrel eval melody-rnn --held-out` continues every held-out 4/4 file's first 4
bars for 4 more (the conditioned model over the file's own chords), with several seeds, and this
prints the mean of each measure: strong-beat notes on chord tones, notes in the primer's key and
notes per bar, each beside the files' real next bars.

Usage: tools/eval-melodies-over-chords.py [--build build] [--model models/improv-rnn]
       [--baseline models/melody-rnn] [--temperature 1.0 ...] [--seeds 3]
"""
import argparse
import json
import os
import statistics
import subprocess

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CORPORA = ["nottingham", "openewld", "pop909"]


def evaluate(binary, model, data, temperature, seed):
    out = subprocess.run([binary, "eval", "melody-rnn", "--model", model, "--data", data, "--held-out", "--json",
                          "--temperature", str(temperature), "--seed", str(seed)], check=True, capture_output=True, text=True)
    return json.loads(out.stdout.strip().splitlines()[-1])["continuation"]


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--build", default=os.path.join(ROOT, "build"))
    ap.add_argument("--model", default=os.path.join(ROOT, "models/improv-rnn"))
    ap.add_argument("--baseline", default=os.path.join(ROOT, "models/melody-rnn"))
    ap.add_argument("--data", default=os.path.join(os.path.dirname(ROOT), "shared/data/melodies"))
    ap.add_argument("--temperature", type=float, nargs="+", default=[1.0])
    ap.add_argument("--seeds", type=int, default=3)
    a = ap.parse_args()
    binary = os.path.join(a.build, "timbrel")
    print("| corpus | model | temperature | files | strong-beat chord tones (data) | in key (data) | notes per bar (data) |")
    print("|---|---|---|---|---|---|---|")
    for corpus in CORPORA:
        data = os.path.join(a.data, corpus, "midi")
        if not os.path.isdir(data):
            continue
        for model in (a.model, a.baseline):
            for t in a.temperature:
                runs = [evaluate(binary, model, data, t, s) for s in range(a.seeds)]
                mean = lambda k: statistics.mean(r[k] for r in runs)
                c = runs[0]
                per_bar, real_per_bar = mean("notes") / (4 * c["files"]), c["real_notes"] / (4 * c["files"])
                print(f"| {corpus} | {os.path.basename(os.path.normpath(model))} | {t} | {c['files']} | "
                      f"{mean('strong_beat_chord_tones'):.3f} ({c['real_strong_beat_chord_tones']:.3f}) | "
                      f"{mean('in_key'):.3f} ({c['real_in_key']:.3f}) | {per_bar:.2f} ({real_per_bar:.2f}) |", flush=True)


if __name__ == "__main__":
    main()
