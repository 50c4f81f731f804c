#!/usr/bin/env python3
"""Held-out melodies of a chord-conditioned model beside an unconditioned one and the data.

For each corpus, `timbrel eval melody-rnn --held-out` continues every held-out 4/4 file's first 4
bars for 4 more (the conditioned model over the file's own chords), with several seeds, and this
prints the mean of each measure: strong-beat notes on chord tones, notes in the primer's key and
notes per bar, each beside the files' real next bars.

With --vae, `timbrel eval melody --chords --held-out` instead samples one 2-bar window of a
MusicVAE per held-out window (the conditioned model over that window's chords), beside the window.

Usage: tools/eval-melodies-over-chords.py [--build build] [--vae] [--model M] [--baseline B]
       [--temperature T ...] [--seeds 3] [--chord-guidance W]
  defaults: models/improv-rnn beside models/melody-rnn at 1.0;
  --vae: --model (default models/melody-chords-2bar) beside models/melody-2bar at 0.5
"""
import argparse
import json
import os
import statistics
import subprocess

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CORPORA = ["nottingham", "openewld", "pop909"]


def evaluate(binary, vae, model, data, temperature, seed, guidance=None):
    command = ["eval", "melody", "--chords"] if vae else ["eval", "melody-rnn"]
    if guidance is not None and not vae:
        command += ["--chord-guidance", str(guidance)]
    out = subprocess.run([binary] + command + ["--model", model, "--data", data, "--held-out", "--json",
                          "--temperature", str(temperature), "--seed", str(seed)], check=True, capture_output=True, text=True)
    return json.loads(out.stdout.strip().splitlines()[-1])["over_chords" if vae else "continuation"]


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--build", default=os.path.join(ROOT, "build"))
    ap.add_argument("--vae", action="store_true", help="2-bar MusicVAE samples instead of RNN continuations")
    ap.add_argument("--model")
    ap.add_argument("--baseline")
    ap.add_argument("--data", default=os.path.join(os.path.dirname(ROOT), "shared/data/melodies"))
    ap.add_argument("--temperature", type=float, nargs="+")
    ap.add_argument("--seeds", type=int, default=3)
    ap.add_argument("--chord-guidance", type=float, help="the RNN's guidance (default: its card's)")
    a = ap.parse_args()
    a.model = a.model or os.path.join(ROOT, "models", "melody-chords-2bar" if a.vae else "improv-rnn")
    a.baseline = a.baseline or os.path.join(ROOT, "models", "melody-2bar" if a.vae else "melody-rnn")
    a.temperature = a.temperature or [0.5 if a.vae else 1.0]
    bars = 2 if a.vae else 4  # what each scored file (or window) plays
    binary = os.path.join(a.build, "timbrel")
    print(f"| corpus | model | temperature | {'windows' if a.vae else 'files'} | strong-beat chord tones (data) | in key (data) | notes per bar (data) |")
    print("|---|---|---|---|---|---|---|")
    for corpus in CORPORA:
        data = os.path.join(a.data, corpus, "midi")
        if not os.path.isdir(data):
            continue
        for model in (a.model, a.baseline):
            for t in a.temperature:
                guidance = a.chord_guidance if model == a.model else None
                runs = [evaluate(binary, a.vae, model, data, t, s, guidance) for s in range(a.seeds)]
                mean = lambda k: statistics.mean(r[k] for r in runs)
                c = runs[0]
                per_bar, real_per_bar = mean("notes") / (bars * c["files"]), c["real_notes"] / (bars * c["files"])
                print(f"| {corpus} | {os.path.basename(os.path.normpath(model))} | {t} | {c['files']} | "
                      f"{mean('strong_beat_chord_tones'):.3f} ({c['real_strong_beat_chord_tones']:.3f}) | "
                      f"{mean('in_key'):.3f} ({c['real_in_key']:.3f}) | {per_bar:.2f} ({real_per_bar:.2f}) |", flush=True)


if __name__ == "__main__":
    main()
