#!/usr/bin/env python3
"""Runs every command line shown in README.md and docs/*.md, so the docs cannot drift.

The rule (docs/testing.md states it for writers):
- Only fenced blocks marked ```sh, ```bash or ```console hold commands. Every line in them is a
  command, except blank lines and lines that start with '#'. A line ending in '\\' goes on with
  the next; a leading '$ ' is dropped; ' # ...' after the command is a comment. Output and
  syntax sketches belong in ```text blocks or in prose.
- Each page runs in its own scratch folder, its commands in page order, in bash. The folder has
  build/ (the build), models/, tools/, bench/, docs/, python/, examples/, samples/twinkle.mid, and
  ../shared when the reference data exists. The small fixtures of FIXTURES (MIDI files, a.mid,
  my_midis/, ...) are placed where the page's commands name them.
- Every flag given to `timbrel` must appear in that subcommand's --help, whatever the command's
  treatment. Then each command gets the first matching treatment of TREATMENTS (default: run),
  with BUDGETS' small sizes when it runs. Commands naming ../shared are skipped when it is absent.
- Relative links of the pages, and repository paths written in `code`, must exist.

Usage: tools/test-doc-commands.py [--build DIR] [--jobs N] [--page NAME]... [--list] [--keep]
Exit status 1 when any check fails.
"""
import argparse
import concurrent.futures
import glob
import json
import os
import random
import re
import shlex
import shutil
import struct
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SHARED = os.environ.get("TIMBREL_SHARED", os.path.join(os.path.dirname(ROOT), "shared"))  # ../shared
COMMAND_TIMEOUT_S = 300

# --- The treatments: the first rule whose pattern matches the command as written wins. -------------
# run:     run it (with BUDGETS).         jack:  run it with the JACK dummy server's environment.
# help:    flags checked by --help only.  ci:    not run here: CI runs exactly this command.
# gpu:     run when a CUDA device answers, else checked by --help (a script: it must exist).
# jobfile: the Slurm/Kubernetes job file must exist; its timbrel lines are checked by --help.
TREATMENTS = [
    (r"^\./tools/run-(main|tests)\.sh$", "ci", "the two set-up commands: CI runs tools/run-tests.sh, which builds as run-main.sh does"),
    (r"^(sbatch|kubectl) ", "jobfile", "no Slurm or Kubernetes here"),
    (r"--device cuda|^bench/compare_spectral_gpu\.sh|^tools/gpu-check\.sh", "gpu", "needs a CUDA GPU"),
    (r"timbrel play .*--midi-in ", "help", "needs the named MIDI keyboard ('Keystation')"),
    (r"timbrel play .*--device ", "help", "needs the named sound card ('USB Audio')"),
    (r"timbrel eval timbre .*--sweep", "help", "plays every pitch of each timbre beside FluidSynth (minutes); ctest test_shipped_models runs sweeps"),
    (r"timbrel convert path/to/", "help", "Magenta's GANSynth checkpoint is not available here (no network)"),
    (r"timbrel play ", "jack", "plays to the JACK dummy server the streaming tests use (short fixtures, --seconds)"),
]

# --- Small budgets for long jobs: (commands it applies to, pattern, replacement, why). -------------
BUDGETS = [
    (r"timbrel train ", r"--(minutes|steps) \d+", "--steps 2", "trainers stop after 2 steps"),
    (r"timbrel train (?!drum-highs|harmony)", r"--batch \d+", "--batch 4", "4 examples a step (a multiple of 2 ranks)"),
    (r"timbrel train (?!drum-highs|harmony)", r"^(?!.*--batch )(.*)$", r"\1 --batch 4", "4 examples a step"),
    (r"timbrel train (melody|drums) (?!.*--from )", r"$", " --encoder 32 --decoder 32 32",
     "small MusicVAE layers: a 512-unit encoder scoring every held-out window takes minutes"),
    (r"timbrel train (melody|drums)-rnn ", r"$", " --layers 32", "small RNN layers"),
    (r"timbrel dataset notes .*--soundfont(?!.*--drums)", r"$", " --programs 0,73 --pitches 60..61", "2 programs x 2 pitches"),
    (r"timbrel dataset notes .*--soundfont.*--drums", r"$", " --max-presets 1 --pitches 36..38", "1 kit x 3 notes"),
    (r"timbrel eval timbre ", r"$", " --notes 4 --timbres 2 --distance-notes 4 --test-presets 1 --fit-steps 2 --paths 1",
     "a few notes per measure"),
    (r"timbrel eval structure ", r"--samples \d+", "--samples 2", "2 sampled songs"),
    (r"timbrel play .*--generate", r"--bars \d+", "--bars 2", "a 4 s song (it plays in real time)"),
    (r"timbrel play .*--live", r"$", " --seconds 1", "stop after 1 s"),
    (r"timbrel bench ", r"$", " --seconds 0.01", "time each path once, not for 1 s"),
    (r"^cmake --install ", r"--prefix /usr/local", '--prefix "$PWD/prefix"', "install into the scratch folder"),
    (r"^c\+\+ ", r"^", 'export PKG_CONFIG_PATH="$PWD/prefix/lib/pkgconfig"; ', "the scratch install's timbrel.pc"),
]


# --- Fixtures: placed in a page's folder when its commands name them. -------------------------------
def midi_file(path, tracks, qpm=120, ticks=480):
    """Writes a format-1 MIDI file; tracks are (channel, program, [(pitch, start_beat, beats)])."""
    def vlq(n):
        out = [n & 0x7F]
        while n > 127:
            n >>= 7
            out.insert(0, (n & 0x7F) | 0x80)
        return bytes(out)

    chunks = [b"\x00\xff\x51\x03" + (60_000_000 // qpm).to_bytes(3, "big") + b"\x00\xff\x58\x04\x04\x02\x18\x08\x00\xff\x2f\x00"]
    for channel, program, notes in tracks:
        events = []
        for pitch, start, beats in notes:
            events.append((round(start * ticks), 1, bytes([0x90 | channel, pitch, 96])))
            events.append((round((start + beats) * ticks), 0, bytes([0x80 | channel, pitch, 0])))
        data, now = bytes([0, 0xC0 | channel, program]), 0
        for tick, _, message in sorted(events):
            data += vlq(tick - now) + message
            now = tick
        chunks.append(data + b"\x00\xff\x2f\x00")
    with open(path, "wb") as f:
        f.write(b"MThd" + struct.pack(">IHHH", 6, 1, len(chunks), ticks))
        for c in chunks:
            f.write(b"MTrk" + struct.pack(">I", len(c)) + c)


TWINKLE = [(60, 0, 1), (60, 1, 1), (67, 2, 1), (67, 3, 1), (69, 4, 1), (69, 5, 1), (67, 6, 2)]
SCALE = [(64, 0, 0.5), (65, 0.5, 0.5), (67, 1, 1), (69, 2, 1), (67, 3, 1), (65, 4, 1), (64, 5, 1), (62, 6, 2)]
BEAT = [(36, b, 0.25) for b in (0, 2, 4, 6)] + [(38, b, 0.25) for b in (1, 3, 5, 7)] + [(42, b / 2, 0.25) for b in range(16)]


def random_melody(seed, bars):
    rng, notes, beat, pitch = random.Random(seed), [], 0.0, 67
    scale = [60, 62, 64, 65, 67, 69, 71, 72, 74, 76]
    while beat < bars * 4:
        length = rng.choice([0.5, 1, 1, 2])
        pitch = scale[max(0, min(len(scale) - 1, scale.index(pitch) + rng.choice([-2, -1, 1, 2])))] if pitch in scale else 67
        notes.append((pitch, beat, min(length, bars * 4 - beat)))
        beat += length
    return notes


def write_npy(path, values):
    header = "{'descr': '<f4', 'fortran_order': False, 'shape': (%d,), }" % len(values)
    header += " " * (63 - (len(header) + 10) % 64) + "\n"
    with open(path, "wb") as f:
        f.write(b"\x93NUMPY\x01\x00" + struct.pack("<H", len(header)) + header.encode() + struct.pack("<%df" % len(values), *values))


def recording(wav, folder):
    """tests/data/spectral/notes/violin_e4.wav -> FOLDER/violin/e4.wav: instrument folder, pitch name."""
    instrument, note = os.path.basename(wav).split("_")
    os.makedirs(os.path.join(folder, instrument), exist_ok=True)
    shutil.copy(wav, os.path.join(folder, instrument, note))


def midi_folder(path, files):
    for name, tracks in files.items():
        os.makedirs(os.path.dirname(os.path.join(path, name)), exist_ok=True)
        midi_file(os.path.join(path, name), tracks)


def lead_sheets(path, count=6, bars=8):
    """Melodies with a chords CSV beside each (C F G C, a chord a bar), as the trainers read lead sheets."""
    midi_folder(path, {f"tune{i}.mid": [(0, 0, random_melody(i, bars))] for i in range(count)})
    chords = [(0, "major", "C"), (5, "major", "F"), (7, "major", "G"), (0, "major", "C")]
    for i in range(count):
        with open(os.path.join(path, f"tune{i}.csv"), "w") as f:
            f.write("start_beat,end_beat,root,kind,bass,symbol\n")
            for bar in range(bars):
                root, kind, symbol = chords[bar % 4]
                f.write(f"{bar * 4},{bar * 4 + 4},{root},{kind},{root},{symbol}\n")


FIXTURES = {
    "tune.mid": lambda p: midi_file(p, [(0, 0, TWINKLE)]),
    "a.mid": lambda p: midi_file(p, [(0, 0, TWINKLE)]),
    "b.mid": lambda p: midi_file(p, [(0, 0, SCALE)]),
    "primer.mid": lambda p: midi_file(p, [(0, 0, TWINKLE), (9, 0, BEAT)]),
    "beat.mid": lambda p: midi_file(p, [(9, 0, BEAT)]),
    "song.mid": lambda p: midi_file(p, [(0, 40, TWINKLE), (1, 33, [(n - 24, s, d) for n, s, d in SCALE]), (9, 0, BEAT)]),
    "my_midis/": lambda p: midi_folder(p, {f"tune{i}.mid": [(0, 0, random_melody(i, 18))] for i in range(12)}),
    "my_lead_sheets/": lead_sheets,
    "taps.mid": lambda p: midi_file(p, [(0, 0, [(60, b, 0.25) for b in (0, 1, 1.5, 2, 3, 3.5, 4, 5, 5.5, 6, 7, 7.5)])]),
    "drummer.mid": lambda p: midi_file(p, [(9, 0, [(n, b + (0.08 if b % 1 else 0.0), d) for n, b, d in BEAT])]),
    "my_performances/": lambda p: midi_folder(p, {f"take{i}.mid": [(9, 0, [(n, b + (0.06 * (i % 3) if b % 1 else 0.0), d) for n, b, d in BEAT])]
                                                  for i in range(10)}),
    "midi/": lambda p: midi_folder(p, {"one.mid": [(0, 0, TWINKLE)], "sub/two.mid": [(0, 73, SCALE)]}),
    "my_notes/": lambda p: [recording(w, p) for w in glob.glob(os.path.join(ROOT, "tests/data/spectral/notes/*.wav"))],
    "z.npy": lambda p: write_npy(p, [random.Random(3).gauss(0, 0.5) for _ in range(256)]),
    "f0.npy": lambda p: shutil.copy(os.path.join(ROOT, "tests/data/ddsp/magentajs_violin_f0_hz.npy"), p),
    "ld.npy": lambda p: shutil.copy(os.path.join(ROOT, "tests/data/ddsp/magentajs_violin_loudness_db.npy"), p),
    "app.cpp": lambda p: shutil.copy(os.path.join(ROOT, "examples/consumer/main.cpp"), p),
}
LINKED = ["models", "tools", "bench", "docs", "python", "examples"]  # read-only repository folders


# --- Reading the pages. ------------------------------------------------------------------------------
def strip_comment(line):
    quote = None
    for i, c in enumerate(line):
        if quote:
            quote = None if c == quote else quote
        elif c in "'\"":
            quote = c
        elif c == "#" and i > 0 and line[i - 1].isspace():
            return line[:i].rstrip()
    return line.rstrip()


def extract_commands(path):
    """(line number, command) for each command of the page's sh/bash/console blocks."""
    commands, fence, pending, start = [], None, "", 0
    for number, raw in enumerate(open(path, encoding="utf-8"), 1):
        line = raw.rstrip("\n")
        m = re.match(r"^\s*```\s*(\w*)", line)
        if m:
            fence = None if fence is not None else m.group(1)
            continue
        if fence not in ("sh", "bash", "console"):
            continue
        text = line.strip()
        if text.startswith("$ "):
            text = text[2:]
        if not pending and (not text or text.startswith("#")):
            continue
        start = start if pending else number
        if text.endswith("\\"):
            pending += text[:-1].rstrip() + " "
            continue
        commands.append((start, strip_comment(pending + text)))
        pending = ""
    return commands


def slug(heading):
    text = re.sub(r"[`*_]", "", heading.strip().lower())
    return re.sub(r"[^\w\- ]", "", text).replace(" ", "-")


def check_links(path):
    """Errors for relative links and `repository/paths` that do not exist."""
    errors, text = [], open(path, encoding="utf-8").read()
    prose = re.sub(r"```.*?```", "", text, flags=re.S)
    for target in re.findall(r"\]\(([^)\s]+)\)", prose):
        if re.match(r"^[a-z]+:", target):
            continue
        file, _, anchor = target.partition("#")
        full = os.path.normpath(os.path.join(os.path.dirname(path), file)) if file else path
        if not os.path.exists(full):
            errors.append(f"link to a missing file: {target}")
        elif anchor and full.endswith(".md"):
            headings = re.findall(r"^#+\s+(.*)$", open(full, encoding="utf-8").read(), flags=re.M)
            if anchor not in [slug(h) for h in headings]:
                errors.append(f"link to a missing heading: {target}")
    roots = "src|include|tools|bench|tests|docs|models|samples|kernels|python|examples"
    for code in re.findall(r"`([^`\s]+)`", prose):
        if re.match(rf"^({roots})/[\w./*-]+$", code) and "..." not in code and not glob.glob(os.path.join(ROOT, code)):
            errors.append(f"missing path in `code`: {code}")
    return errors


# --- Checking flags against --help. ------------------------------------------------------------------
class HelpCache:
    def __init__(self, timbrel):
        self.timbrel, self.cache = timbrel, {}

    def help(self, path):
        if path not in self.cache:
            r = subprocess.run([self.timbrel, *path, "--help"], capture_output=True, text=True, timeout=60)
            text = r.stdout + r.stderr
            options = set()
            for line in text.splitlines():
                m = re.match(r"^\s+(-\S+(?:\s*,\s*-\S+)*)", line)
                if m:
                    options.update(o.strip() for o in m.group(1).split(","))
            subcommands = set(re.findall(r"^\s{2}([a-z][\w-]*)\s", text.split("Subcommands:")[1], flags=re.M)) if "Subcommands:" in text else set()
            self.cache[path] = (r.returncode, options, subcommands)
        return self.cache[path]

    def check(self, command):
        """Errors for the flags of every timbrel call in the command (through shells and launchers)."""
        errors = []
        try:
            words = shlex.split(re.sub(r"\$\([^)]*\)", "", command))
        except ValueError as e:
            return [f"cannot split the command: {e}"]
        for i, w in enumerate(words):
            if w != "timbrel" and not w.endswith("/timbrel"):
                continue
            path, j = (), i + 1
            while j < len(words) and words[j] in self.help(path)[2]:
                path, j = path + (words[j],), j + 1
            rc, options, _ = self.help(path)
            if rc != 0:
                errors.append(f"`timbrel {' '.join(path)} --help` failed")
                continue
            for w2 in words[j:]:
                if w2 in (";", "&&", "|", "||"):
                    break
                if w2.startswith("-") and w2 != "-" and not re.match(r"^-\d", w2) and w2.split("=")[0] not in options:
                    errors.append(f"`timbrel {' '.join(path)}` has no flag {w2.split('=')[0]}")
        return errors


def job_file_commands(path):
    """The timbrel command lines of a Slurm script or a Kubernetes manifest."""
    text = open(path, encoding="utf-8").read().replace("\\\n", " ")
    if path.endswith((".yaml", ".yml")):
        return [" ".join(json.loads(m)) for m in re.findall(r"command:\s*(\[[^\]]*\])", text)]
    return [line.split("exec ", 1)[-1].strip().rstrip("'") for line in text.splitlines()
            if re.search(r"(^|exec )timbrel ", line.strip())]


# --- Running. ----------------------------------------------------------------------------------------
def treatment_of(command):
    for pattern, kind, why in TREATMENTS:
        if re.search(pattern, command):
            return kind, why
    return "run", ""


def with_budget(command):
    for applies, pattern, replacement, _ in BUDGETS:
        if re.search(applies, command):
            command = re.sub(pattern, replacement, command, count=1)
    return command


def place_fixtures(folder, build, commands):
    os.makedirs(os.path.join(folder, "samples"))
    shutil.copy(os.path.join(ROOT, "samples/twinkle.mid"), os.path.join(folder, "samples"))
    os.symlink(build, os.path.join(folder, "build"))
    for name in LINKED:
        if name == "models":
            os.makedirs(os.path.join(folder, "models"))
            for m in os.listdir(os.path.join(ROOT, "models")):
                os.symlink(os.path.join(ROOT, "models", m), os.path.join(folder, "models", m))
        else:
            os.symlink(os.path.join(ROOT, name), os.path.join(folder, name))
    text = "\n".join(commands)
    for name, make in FIXTURES.items():
        if re.search(r"(?<![\w./-])" + re.escape(name) + r"(?![\w.-])", text):
            make(os.path.join(folder, name.rstrip("/")))


class Runner:
    def __init__(self, args, env, help_cache, has_gpu, has_jack, has_python_module):
        self.args, self.env, self.help = args, env, help_cache
        self.has_gpu, self.has_jack, self.has_python_module = has_gpu, has_jack, has_python_module

    def page(self, page, scratch):
        """Runs one page; returns (log lines, failures, counts by outcome)."""
        log, failures, counts = [], [], {}
        rel = os.path.relpath(page, ROOT)
        for error in check_links(page):
            failures.append(f"{rel}: {error}")
        commands = extract_commands(page)
        folder = os.path.join(scratch, re.sub(r"\W", "_", rel))
        place_fixtures(folder, os.path.abspath(self.args.build), [with_budget(c) for _, c in commands])
        for number, command in commands:
            where = f"{rel}:{number}"
            for error in self.help.check(command):
                failures.append(f"{where}: {error}\n    {command}")
            outcome, detail = self.one(command, folder, where, failures)
            counts[outcome] = counts.get(outcome, 0) + 1
            log.append(f"  {outcome:<10} {where:<38} {detail}")
        return log, failures, counts

    def one(self, command, folder, where, failures):
        kind, why = treatment_of(command)
        if kind == "ci":
            return "ci", f"{command}  ({why})"
        if kind == "jobfile":
            job = re.search(r"(docs/\S+)", command)
            if not job or not os.path.exists(os.path.join(ROOT, job.group(1))):
                failures.append(f"{where}: job file missing: {command}")
                return "FAILED", command
            for line in job_file_commands(os.path.join(ROOT, job.group(1))):
                failures += [f"{job.group(1)}: {e}\n    {line}" for e in self.help.check(line)]
            return "job-file", f"{command}  ({why}: the file exists, its timbrel lines pass --help)"
        if kind == "gpu" and not self.has_gpu or kind == "help":
            script = shlex.split(command)[0]
            if "timbrel" not in command and not os.access(os.path.join(ROOT, script), os.X_OK):
                failures.append(f"{where}: no executable {script}")
            return "help-only", f"{command}  ({why if kind == 'help' else why + ': no GPU here'})"
        if "../shared/" in command and not os.path.isdir(SHARED):
            return "no-shared", f"{command}  (its data is in ../shared, absent here)"
        if kind == "jack" and not self.has_jack:
            return "help-only", f"{command}  (jackd is not installed: flags checked by --help only)"
        if "import timbrel" in command + (open(os.path.join(ROOT, "python/examples/render_song.py")).read() if "render_song.py" in command else "") \
                and not self.has_python_module:
            return "no-python", f"{command}  (the Python module was not built)"
        ran = with_budget(command)
        t0 = time.time()
        try:
            r = subprocess.run(["bash", "-c", ran], cwd=folder, env=self.env, capture_output=True, text=True,
                               timeout=COMMAND_TIMEOUT_S)
            rc, out = r.returncode, (r.stdout + r.stderr)
        except subprocess.TimeoutExpired as e:
            rc, out = "timeout", str(e.stdout or "") + str(e.stderr or "")
        seconds = time.time() - t0
        shown = ran if ran == command else f"{ran}   [budget; as written: {command}]"
        if rc != 0:
            tail = "\n".join("      " + l for l in out.strip().splitlines()[-8:])
            failures.append(f"{where}: exit status {rc} ({seconds:.1f} s)\n    {shown}\n{tail}")
            return "FAILED", shown
        return "ran", f"{seconds:5.1f} s  {shown}"


def start_jack(env):
    """A private JACK server with the dummy driver, as tests/jack_server.cpp starts it; None without jackd."""
    if not shutil.which("jackd"):
        return None
    name = f"timbrel-doc-{os.getpid()}"
    env.update(JACK_DEFAULT_SERVER=name, JACK_NO_AUDIO_RESERVATION="1", JACK_NO_START_SERVER="1")
    server = subprocess.Popen(["jackd", "-r", "-n", name, "-d", "dummy", "-r", "48000", "-p", "256"],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
    for _ in range(100):
        if subprocess.run(["jack_lsp", "-s", name], capture_output=True, env=env).returncode == 0:
            return server
        time.sleep(0.1)
    server.terminate()
    return None


def pages_of(args):
    pages = [os.path.join(ROOT, "README.md")] + sorted(glob.glob(os.path.join(ROOT, "docs", "*.md")))
    if args.page:
        pages = [p for p in pages if os.path.basename(p) in args.page or os.path.basename(p)[:-3] in args.page]
    return pages


def print_tables():
    print("Treatments (first match wins; default: run):")
    for pattern, kind, why in TREATMENTS:
        print(f"  {kind:<8} {pattern:<60} {why}")
    print("Budgets (applied to the commands that run):")
    for applies, pattern, replacement, why in BUDGETS:
        print(f"  {applies:<50} {pattern!s:<24} -> {replacement!s:<30} {why}")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--build", default=os.path.join(ROOT, "build"), help="build folder holding timbrel (default: build)")
    ap.add_argument("--jobs", type=int, default=3, help="pages run at once (default 3: playing waits in real time)")
    ap.add_argument("--page", action="append", help="only this page (README.md, training, ...); repeatable")
    ap.add_argument("--list", action="store_true", help="list the commands and their treatments, run nothing")
    ap.add_argument("--keep", action="store_true", help="keep the scratch folder")
    args = ap.parse_args()
    timbrel = os.path.join(os.path.abspath(args.build), "timbrel")
    pages = pages_of(args)
    if args.list:
        print_tables()
        for page in pages:
            for number, command in extract_commands(page):
                kind, _ = treatment_of(command)
                print(f"{os.path.relpath(page, ROOT)}:{number}: [{kind}] {with_budget(command) if kind in ('run', 'jack') else command}")
        return 0
    if not os.access(timbrel, os.X_OK):
        print(f"test-doc-commands: no {timbrel}: build it first", file=sys.stderr)
        return 1

    scratch = tempfile.mkdtemp(prefix="timbrel-doc-")
    bin_dir = os.path.join(scratch, "bin")
    os.makedirs(bin_dir)
    os.symlink(sys.executable, os.path.join(bin_dir, "python3"))  # the interpreter with NumPy, as ctest's
    if os.path.isdir(SHARED):
        os.symlink(SHARED, os.path.join(scratch, "shared"))  # ../shared from each page's folder
    # One OpenMP thread per command: the pages run side by side, and spinning OpenMP pools that
    # outnumber the cores slow each command down many times over.
    # The pages' renders keep their notes in the scratch folder, not in the user's ~/.cache.
    env = dict(os.environ, PATH=f"{bin_dir}:{os.path.dirname(timbrel)}:{os.environ.get('PATH', '')}", OMP_NUM_THREADS="1",
               TIMBREL_NOTE_CACHE=os.path.join(scratch, "note-cache"))
    jack = start_jack(env) if any(treatment_of(c)[0] == "jack" for p in pages for _, c in extract_commands(p)) else None
    info = subprocess.run([timbrel, "info", "--json"], capture_output=True, text=True, env=env)
    try:
        has_gpu = bool(json.loads(info.stdout)["build"]["cuda"].get("devices"))
    except (ValueError, KeyError, TypeError):
        has_gpu = False
    has_module = bool(glob.glob(os.path.join(os.path.abspath(args.build), "python", "timbrel*.so")))
    runner = Runner(args, env, HelpCache(timbrel), has_gpu, jack is not None, has_module)
    t0, failures, totals = time.time(), [], {}
    try:
        with concurrent.futures.ThreadPoolExecutor(max_workers=max(1, args.jobs)) as pool:
            # The pages with the most commands start first, so the last to finish is a short one.
            by_size = sorted(pages, key=lambda p: -len(extract_commands(p)))
            done = dict(zip(by_size, pool.map(lambda p: runner.page(p, scratch), by_size)))
        for page in pages:
            log, page_failures, counts = done[page]
            print(os.path.relpath(page, ROOT))
            print("\n".join(log))
            failures += page_failures
            for k, v in counts.items():
                totals[k] = totals.get(k, 0) + v
    finally:
        if jack:
            jack.terminate()
            jack.wait()
        if not args.keep:
            shutil.rmtree(scratch, ignore_errors=True)
        else:
            print(f"scratch kept: {scratch}")
    print(f"\n{sum(totals.values())} commands in {len(pages)} pages, {time.time() - t0:.0f} s: "
          + ", ".join(f"{v} {k}" for k, v in sorted(totals.items())))
    if totals.get("no-shared"):
        print(f"skipped {totals['no-shared']} commands whose data is in ../shared (absent)")
    if failures:
        print(f"\n{len(failures)} FAILED:\n" + "\n".join(failures))
        return 1
    print("PASS: every command in the docs ran or passed its check")
    return 0


if __name__ == "__main__":
    sys.exit(main())
