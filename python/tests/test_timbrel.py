"""The timbrel Python module over the bundled models, on the CPU (run by ctest: PYTHONPATH points at
the build's python/ folder, TIMBREL_MODELS at the source tree's models/)."""
import os
import subprocess
import sys
import threading

import numpy as np
import pytest

import timbrel

SAMPLES = os.environ.get("TIMBREL_SAMPLES", os.path.join(os.path.dirname(__file__), "..", "..", "samples"))
TWINKLE = os.path.join(SAMPLES, "twinkle.mid")


@pytest.fixture(scope="module")
def engine():
    return timbrel.Engine(device="cpu", threads=2)


def dominant_hz(audio, start=0.2, length=1.0):
    seg = audio[int(start * timbrel.SAMPLE_RATE):int((start + length) * timbrel.SAMPLE_RATE)]
    spectrum = np.abs(np.fft.rfft(seg * np.hanning(len(seg))))
    return np.argmax(spectrum) * timbrel.SAMPLE_RATE / len(seg)


def test_note_is_a_pitched_float32_note(engine):
    audio = engine.note(69, timbre="program:40")
    assert audio.dtype == np.float32 and audio.shape == (timbrel.NOTE_SAMPLES,)
    assert 0.05 < np.abs(audio).max() <= 1.0
    harmonic = dominant_hz(audio) / 440.0  # the loudest partial is a harmonic of A4
    assert abs(harmonic - round(harmonic)) < 0.02 and round(harmonic) >= 1
    quieter = engine.note(69, timbre="program:40", velocity=64)
    assert np.abs(quieter).max() == pytest.approx(np.abs(audio).max() * 64 / 127, rel=1e-3)


def test_libtorch_loads_only_when_a_network_runs():
    # In a fresh interpreter: the module, an Engine and a timbre's latent need no libtorch; a note does.
    script = (
        "import timbrel\n"
        "maps = lambda: open('/proc/self/maps').read()\n"
        "e = timbrel.Engine(device='cpu', threads=1)\n"
        "z = e.timbre('program:40')\n"
        "assert 'libtorch' not in maps(), 'libtorch loaded before any network ran'\n"
        "e.note(69, z=z)\n"
        "assert 'libtorch_cpu' in maps() and 'libtimbrel_torch' in maps()\n")
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, env=os.environ.copy())
    assert done.returncode == 0, done.stderr


def test_latents_presets_and_spectrograms(engine):
    z = engine.timbre("program:40")
    assert z.dtype == np.float32 and z.shape == (256,)
    assert "Violin" in engine.presets
    spec = engine.note_spectrogram(60, z=z)
    assert spec.shape == (128, 1024, 2)
    assert np.array_equal(engine.spectrograms_to_audio(spec), engine.note(60, z=z))
    two = engine.spectrograms_to_audio(np.stack([spec, spec]))
    assert two.shape == (2, timbrel.NOTE_SAMPLES)


def test_spectral_round_trip_on_the_cpu(engine):
    audio = engine.note(57, timbre="program:0")
    spec = timbrel.audio_to_spectrogram(audio)
    assert spec.shape == (128, 1024, 2) and spec.min() >= -1 and spec.max() <= 1
    back = timbrel.spectrogram_to_audio(spec)
    # The same note again (phase from the IF): the magnitude spectra agree closely.
    a, b = np.abs(np.fft.rfft(audio[:32000])), np.abs(np.fft.rfft(back[:32000]))
    assert np.corrcoef(a, b)[0, 1] > 0.9


def test_render_midi_files_and_sequences(engine):
    song = engine.render(TWINKLE)  # 48 kHz stereo
    seq = timbrel.NoteSequence.from_midi(TWINKLE)
    assert song.dtype == np.float32 and song.ndim == 2 and song.shape[1] == 2
    assert len(song) >= int(seq.total_time * 48000)
    assert 0.05 < np.abs(song).max() < 1.0
    flute = engine.render(seq, timbre="program:73", sample_rate=16000, channels=1, room=False)
    assert flute.ndim == 1 and len(flute) >= int(seq.total_time * 16000)
    loud = engine.render(seq, timbre="program:73", loudness=-16.0)
    assert timbrel.measure_loudness(loud, 48000)["integrated_lufs"] == pytest.approx(-16.0, abs=0.5)
    drums = timbrel.NoteSequence([timbrel.Note(36, 100, 0.0, 0.1, is_drum=True), timbrel.Note(60, 100, 0.0, 1.0)])
    assert drums.has_drums()
    assert np.abs(engine.render(drums)).max() > 0.01


def test_render_keeps_notes_in_a_note_cache(engine, tmp_path):
    folder = str(tmp_path / "notes")
    first = engine.render(TWINKLE, timbre="program:73", note_cache=folder)
    kept = sorted(os.listdir(folder))
    assert kept and all(name.endswith(".note") for name in kept)
    for name in kept:
        os.utime(os.path.join(folder, name), (1000, 1000))
    again = engine.render(TWINKLE, timbre="program:73", note_cache=folder)
    assert np.array_equal(first, again) and sorted(os.listdir(folder)) == kept
    # Each note was read back: a hit marks its file recently used.
    assert all(os.path.getmtime(os.path.join(folder, name)) > 1000 for name in kept)
    assert np.array_equal(first, engine.render(TWINKLE, timbre="program:73"))  # as without the cache
    assert timbrel.default_note_cache_folder() != folder


DDSP_VIOLIN = os.path.join(os.environ.get("TIMBREL_SHARED", ""), "models-ext", "ddsp", "violin")


@pytest.mark.skipif(not os.path.exists(os.path.join(DDSP_VIOLIN, "model.json")), reason="no Magenta DDSP violin in ../shared")
def test_render_with_the_ddsp_engine():
    ddsp = timbrel.Engine(device="cpu", threads=2, ddsp_model=DDSP_VIOLIN)
    seq = timbrel.NoteSequence([timbrel.Note(69, 127, 0.0, 1.5)])
    audio = ddsp.render(seq, engine="ddsp", vibrato=0.0, sample_rate=timbrel.SAMPLE_RATE, channels=1)
    assert audio.dtype == np.float32 and len(audio) >= int(1.5 * timbrel.SAMPLE_RATE)
    harmonic = dominant_hz(audio, 0.3, 1.0) / 440.0  # the loudest partial is a harmonic of A4 (a violin's is often the 2nd)
    assert abs(harmonic - round(harmonic)) < 0.01 and round(harmonic) >= 1
    with pytest.raises(timbrel.Error, match="timbre"):
        ddsp.render(seq, engine="ddsp", timbre="program:40")


def test_ddsp_from_curves_plays_the_given_pitch():
    ddsp = timbrel.Engine(device="cpu", threads=2)  # the bundled bank ddsp-bank: program:40 by ddsp-gm-all
    frames = 500  # 2 s at 250 frames a second
    f0 = np.full(frames, 330.0, dtype=np.float32)
    loudness = np.full(frames, -30.0, dtype=np.float32)
    audio = ddsp.ddsp(f0, loudness, timbre="program:40")
    assert audio.dtype == np.float32 and audio.shape == (frames * 64,)
    harmonic = dominant_hz(audio, 0.3, 1.0) / 330.0
    assert abs(harmonic - round(harmonic)) < 0.01 and round(harmonic) >= 1
    quiet = ddsp.ddsp(f0, np.full(frames, -100.0, dtype=np.float32), timbre="program:40")
    assert np.abs(quiet).max() < 0.05 * np.abs(audio).max()
    with pytest.raises(timbrel.Error, match="loudness_db"):
        ddsp.ddsp(f0, loudness[:10])
    with pytest.raises(timbrel.Error, match="seed:3"):
        ddsp.ddsp(f0, loudness, timbre="seed:3")


def test_sample_interpolate_compose_and_midi_round_trip(engine, tmp_path):
    melodies = engine.sample(n=2, seed=3)
    assert len(melodies) > 0 and melodies.total_time == pytest.approx(8.0, abs=0.01)
    again = timbrel.NoteSequence.from_midi_bytes(melodies.to_midi_bytes())
    assert [(n.pitch, round(n.start, 3)) for n in again.notes] == [(n.pitch, round(n.start, 3)) for n in melodies.notes]
    path = str(tmp_path / "m.mid")
    melodies.to_midi(path)
    morph = engine.interpolate(path, TWINKLE, steps=3)
    assert morph.total_time == pytest.approx(12.0, abs=0.01)
    refined = engine.interpolate(path, TWINKLE, steps=3, refine=10)
    assert refined.total_time == pytest.approx(12.0, abs=0.01)
    song = engine.compose(bars=4, seed=1, drums=True)
    assert song.has_drums() and song.total_time == pytest.approx(8.0, abs=0.01)
    # The card's draw (melody-2bar: per_decision at 0.5) unless asked for another.
    as_card = [(n.pitch, n.start) for n in engine.sample(n=8, seed=3).notes]
    assert as_card == [(n.pitch, n.start) for n in engine.sample(n=8, seed=3, temperature=0.5, draw="per_decision").notes]
    assert as_card != [(n.pitch, n.start) for n in engine.sample(n=8, seed=3, draw="flat").notes]
    notes = lambda song: [(n.pitch, n.start) for n in song.notes]
    assert notes(engine.compose(bars=8, seed=1)) == notes(engine.compose(bars=8, seed=1, temperature=0.5, draw="per_decision"))
    assert notes(engine.compose(bars=8, seed=1)) != notes(engine.compose(bars=8, seed=1, draw="flat"))
    with pytest.raises(timbrel.Error, match="temperature"):
        engine.sample(temperature=float("nan"))


def test_compose_arranged_and_every_part_heard(engine):
    song = engine.compose(bars=4, seed=1, drums=True, arrange=True, style="strummed")
    assert {33, 25} <= {n.program for n in song.notes if not n.is_drum} and len(song.chords()) > 0
    levels = engine.part_levels(song)
    assert len(levels) == 4  # melody, drums, bass, accompaniment
    melody = next(p for p in levels if not p["drums"] and p["name"] not in ("Bass", "Accompaniment"))
    assert all(abs(p["lufs"] - melody["lufs"]) <= 12 for p in levels)
    offsets = {p["name"] or ("drums" if p["drums"] else "melody"): p["lufs"] - melody["lufs"] for p in levels}
    assert offsets["Bass"] == pytest.approx(-3, abs=0.5) and offsets["Accompaniment"] == pytest.approx(-6, abs=0.5)


def test_continue_sequence_keeps_the_primer_and_adds_bars(engine):
    primer = timbrel.NoteSequence.from_midi(TWINKLE)  # 4 bars at 120 qpm: melody and drums
    song = engine.continue_sequence(TWINKLE, bars=2, seed=3)
    assert [(n.pitch, n.start) for n in song.notes[:len(primer)]] == [(n.pitch, n.start) for n in primer.notes]
    added = song.notes[len(primer):]
    assert any(n.is_drum for n in added) and any(not n.is_drum for n in added)
    assert all(8.0 - 1e-6 <= n.start < 12.0 for n in added)  # bars 5 and 6
    with pytest.raises(timbrel.Error, match="bars"):
        engine.continue_sequence(TWINKLE, bars=0)


def test_errors_are_timbrel_errors_naming_the_parameter(engine):
    with pytest.raises(timbrel.Error, match="device gpu: must be auto, cpu or cuda"):
        timbrel.Engine(device="gpu")
    with pytest.raises(timbrel.Error, match="pitch: 100 is outside"):
        engine.note(100)
    with pytest.raises(timbrel.Error, match="steps: must be 2..1000"):
        engine.interpolate(TWINKLE, TWINKLE, steps=1)
    with pytest.raises(timbrel.Error, match="spectrogram"):
        timbrel.spectrogram_to_audio(np.zeros((3, 4), np.float32))
    with pytest.raises(timbrel.Error, match="no-such.mid"):
        engine.render("no-such.mid")
    assert issubclass(timbrel.Error, RuntimeError)


def test_warnings_go_to_the_log_handler():
    messages = []
    engine = timbrel.Engine(device="cpu", log=messages.append)
    engine.render(timbrel.NoteSequence([timbrel.Note(100, 100, 0.0, 0.5)]))  # above the model's 24..84
    assert any("moved by octaves" in m for m in messages)


def test_compute_releases_the_gil(engine):
    # A Python thread keeps counting while the engine renders notes: with the GIL held it could
    # only count in the one switch interval (5 ms) before the call.
    import time
    counts, done = [0], threading.Event()

    def count():
        while not done.is_set():
            counts[0] += 1

    counter = threading.Thread(target=count)
    counter.start()
    start, t0 = counts[0], time.perf_counter()
    time.sleep(0.1)
    rate = (counts[0] - start) / (time.perf_counter() - t0)
    before, t0 = counts[0], time.perf_counter()
    engine.spectrograms_to_audio(np.stack([engine.note_spectrogram(60)] * 4))
    seconds = time.perf_counter() - t0
    during = counts[0] - before
    done.set()
    counter.join()
    assert seconds > 0.05
    assert during > 0.2 * rate * seconds, (during, rate, seconds)


def write_tunes(folder, count=6):
    """Eight bars of C major scale runs in eighths at 120 qpm, one per file."""
    folder.mkdir()
    for k in range(count):
        notes = [timbrel.Note(60 + (i + k) % 8, 90, i * 0.25, i * 0.25 + 0.25) for i in range(64)]
        timbrel.NoteSequence(notes).to_midi(str(folder / f"tune{k}.mid"))
    return str(folder)


def test_train_and_evaluate_a_musicvae(tmp_path):
    data = write_tunes(tmp_path / "tunes")
    lines = []
    report = timbrel.train_musicvae([data], str(tmp_path / "model"), steps=3, batch=4, log=lines.append, gap_bars=1.0)
    assert report["steps"] == 3 and report["last_loss"] > 0
    assert os.path.exists(tmp_path / "model" / "model.json")
    assert lines  # progress came through the callback
    scores = timbrel.evaluate_musicvae(str(tmp_path / "model"), data)
    assert scores["windows"] > 0 and scores["files"] == 6
    assert 0.0 <= scores["token_accuracy"] <= 1.0 and 0.0 <= scores["teacher_forced_accuracy"] <= 1.0
    # The tunes have no rests: ending melodies at 1-bar rests changes no window.
    assert timbrel.evaluate_musicvae(str(tmp_path / "model"), data, gap_bars=1.0)["windows"] == scores["windows"]
    with pytest.raises(timbrel.Error, match="kind"):
        timbrel.evaluate_musicvae(str(tmp_path / "model"), data, kind="tuba")


def test_train_an_event_rnn(tmp_path):
    data = write_tunes(tmp_path / "tunes")
    report = timbrel.train_event_rnn([data], str(tmp_path / "rnn"), steps=2, batch=4)
    assert report["steps"] == 2 and len(report["validation"]) == 1
    assert os.path.exists(tmp_path / "rnn" / "model.json")
