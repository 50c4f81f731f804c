"""Chords from Python: symbols, Magenta's encodings, the chords CSV and chord symbols in MIDI."""
import os
import tempfile

import numpy as np
import pytest

import timbrel


def test_symbols_kinds_and_encodings():
    c = timbrel.Chord.parse("D/F#")
    assert (c.root, c.kind, c.bass, c.symbol) == (2, "major", 6, "D/F#")
    assert c.pitch_classes == [2, 6, 9]
    assert list(np.flatnonzero(c.encode_pitches())) == [3, 15, 19, 22, 31]
    assert timbrel.Chord.parse("Bm7b5").kind == "half-diminished"
    assert timbrel.Chord.parse("G7").triad_class == 8
    assert timbrel.Chord.from_triad_class(13) == timbrel.Chord(0, "minor")
    assert timbrel.Chord.parse("N.C.").is_none and len(timbrel.CHORD_KINDS) == 16
    with pytest.raises(timbrel.Error, match="H7"):
        timbrel.Chord.parse("H7")


def test_csv_and_midi_round_trip():
    seq = timbrel.NoteSequence([timbrel.Note(60 + i, start=i * 0.5, end=i * 0.5 + 0.4) for i in range(8)])
    spans = [timbrel.ChordSpan(0, 2, timbrel.Chord.parse("C")), timbrel.ChordSpan(2, 4, timbrel.Chord.parse("G7"), "G7")]
    seq.set_chords(spans)
    with tempfile.TemporaryDirectory() as d:
        seq.to_midi(os.path.join(d, "lead.mid"))
        back = timbrel.NoteSequence.from_midi(os.path.join(d, "lead.mid")).chords()
        assert [s.symbol for s in back] == ["C", "G7", "N.C."]  # the music goes on past the last chord
        assert back[1].start_beat == pytest.approx(2, abs=0.01)
        timbrel.write_chords_csv(back, os.path.join(d, "c.csv"))
        again = timbrel.read_chords_csv(os.path.join(d, "c.csv"))
        assert [s.chord for s in again] == [s.chord for s in back]


def test_harmonize_twinkle_as_the_textbook_does():
    twinkle = os.path.join(os.path.dirname(__file__), "..", "..", "samples", "twinkle.mid")
    chords = timbrel.Harmonizer().harmonize(twinkle)
    assert [c.symbol for c in chords] == ["C", "F", "C", "F", "C", "G", "C"]
    assert chords[5].start_beat == 12 and timbrel.estimate_key(twinkle) == "C major"
    assert [c.symbol for c in timbrel.harmonize_by_rule(twinkle)] == ["C"]


def test_arrange_twinkle_into_a_song_and_draw_it():
    twinkle = os.path.join(os.path.dirname(__file__), "..", "..", "samples", "twinkle.mid")
    song, report = timbrel.arrange(twinkle, style="block")
    assert report["harmonized"] and report["style"] == "block" and report["bass_notes"] > 0
    programs = {n.program for n in song.notes if not n.is_drum}
    assert {33, 0} <= programs  # bass and piano accompaniment
    score = timbrel.score_arrangement(song)
    assert score["bass_root_or_fifth"] >= 0.9 and score["voice_movement"] <= 4
    with tempfile.TemporaryDirectory() as d:
        song.piano_roll(os.path.join(d, "roll.png"))
        assert open(os.path.join(d, "roll.png"), "rb").read(4) == b"\x89PNG"
    with pytest.raises(timbrel.Error, match="style"):
        timbrel.arrange(twinkle, style="polka")


def test_train_harmony_from_the_bundled_model(tmp_path):
    twinkle = os.path.join(os.path.dirname(__file__), "..", "..", "samples", "twinkle.mid")
    songs = tmp_path / "songs"
    songs.mkdir()
    seq = timbrel.NoteSequence.from_midi(twinkle)
    seq.set_chords(timbrel.Harmonizer().harmonize(twinkle))
    seq.to_midi(str(songs / "twinkle.mid"))
    model, held_out = timbrel.Harmonizer.train([str(songs)], out=str(tmp_path / "mine"), from_model=os.environ.get("TIMBREL_MODELS", "models") + "/harmonizer",
                                               validation_fraction=0)
    assert [c.symbol for c in model.harmonize(twinkle)] == ["C", "F", "C", "F", "C", "G", "C"]
    assert os.path.exists(tmp_path / "mine" / "model.json") and list(held_out) == [str(songs)]


def test_progressions_and_melodies_over_them(tmp_path):
    prog = timbrel.parse_progression("C G,G7 Am")
    assert [(s.symbol, s.start_beat, s.end_beat) for s in prog] == [("C", 0, 4), ("G", 4, 6), ("G7", 6, 8), ("Am", 8, 12)]
    assert timbrel.transpose_chord(timbrel.Chord.parse("D/F#"), 2).symbol == "E/G#"
    with pytest.raises(timbrel.Error, match="H7"):
        timbrel.parse_progression("C H7")
    engine = timbrel.Engine()
    song = engine.compose(bars=4, seed=2, chords="Am F C G")
    assert [s.symbol for s in song.chords()] == ["Am", "F", "C", "G"]
    assert len(song) >= 8 and song.total_time == pytest.approx(8.0, abs=0.01)
    twinkle = os.path.join(os.path.dirname(__file__), "..", "..", "samples", "twinkle.mid")
    more = engine.continue_sequence(twinkle, bars=4, chords=timbrel.parse_progression("F C"))
    assert [s.symbol for s in more.chords()][-4:] == ["F", "C", "F", "C"]
    (tmp_path / "songs").mkdir()
    engine.compose(bars=8, seed=5, chords="C Am Dm G").to_midi(str(tmp_path / "songs" / "lead.mid"))
    score = timbrel.evaluate_event_rnn(model=os.path.join(os.path.dirname(__file__), "..", "..", "models", "improv-rnn"), data=str(tmp_path / "songs"))
    assert score["files"] == 1 and score["continuation"]["files"] == 1
    assert 0 <= score["continuation"]["strong_beat_chord_tones"] <= 1
    assert "chord guidance 1.50" in score["continuation"]["about"]  # the card's


def test_chord_guidance_moves_pitches_toward_the_chords():
    engine = timbrel.Engine()
    def chord_tones(guidance):
        tones = strong = 0
        for seed in range(4):
            song = engine.compose(bars=8, seed=seed, chords="Dm G C Am", chord_guidance=guidance)
            spans = song.chords()
            for n in song.notes:
                beat = n.start * 2  # 120 qpm
                if abs(beat - round(beat)) > 1e-6 or round(beat) % 2:
                    continue
                span = next(s for s in spans if s.start_beat <= beat < s.end_beat)
                strong += 1
                tones += n.pitch % 12 in span.chord.pitch_classes
        return tones / strong
    assert chord_tones(-1) == chord_tones(1.5)  # the card's weight
    assert chord_tones(1.5) > chord_tones(0.0) + 0.1  # measured 0.85 against 0.61
    twinkle = os.path.join(os.path.dirname(__file__), "..", "..", "samples", "twinkle.mid")
    with pytest.raises(timbrel.Error, match="chord_guidance"):
        engine.continue_sequence(twinkle, bars=2, chords="C G", chord_guidance=float("nan"))


def test_two_bar_melodies_sampled_over_chords(tmp_path):
    models = os.path.join(os.path.dirname(__file__), "..", "..", "models")
    engine = timbrel.Engine()
    (tmp_path / "songs").mkdir()
    engine.compose(bars=8, seed=5, chords="C Am Dm G").to_midi(str(tmp_path / "songs" / "lead.mid"))
    out = str(tmp_path / "mine")
    timbrel.train_musicvae([str(tmp_path / "songs")], out, steps=2, from_model=os.path.join(models, "melody-2bar"), chords=True)
    mine = timbrel.Engine(chord_melody_model=out)
    seq = mine.sample(n=2, seed=1, chords="C G Am F")   # each sample over all four bars
    assert [s.symbol for s in seq.chords()] == ["C", "G", "Am", "F"] * 2
    assert seq.total_time <= 16.0 + 1e-6 and len(seq) >= 4
    # Magenta's flat draw at 0.5 thins the shipped model's melodies; the card's keeps their pace.
    shipped = timbrel.Engine(chord_melody_model=os.path.join(models, "melody-chords-2bar"))
    kept = shipped.sample(n=6, chords="C G Am F")
    plain = shipped.sample(n=6, chords="C G Am F", draw="flat")
    assert len(kept) > 84 and len(plain) < 66   # measured 97 and 38 over 24 bars
    with pytest.raises(timbrel.Error, match="not a way to draw"):
        shipped.sample(n=1, draw="sharp")
    with pytest.raises(timbrel.Error, match="drums"):
        mine.sample(chords="C G", drums=True)
    with pytest.raises(timbrel.Error, match="chord_melody_model"):
        timbrel.Engine(chord_melody_model=os.path.join(models, "melody-2bar")).sample(chords="C G")
    score = timbrel.evaluate_musicvae(out, str(tmp_path / "songs"))
    assert score["over_chords"]["files"] == score["windows"] > 0
    assert 0 <= score["over_chords"]["strong_beat_chord_tones"] <= 1
