"""Groove from Python: GrooVAE's encoding, groove transfer, the bundled humanize and drumify models, training."""
import os
import tempfile

import numpy as np
import pytest

import timbrel

STEP = 0.125  # a sixteenth at 120 qpm (a NoteSequence without a tempo is at 120)
MODELS = os.environ.get("TIMBREL_MODELS", os.path.join(os.path.dirname(__file__), "..", "..", "models"))
SHARED = os.environ.get("TIMBREL_SHARED", os.path.join(os.path.dirname(__file__), "..", "..", "..", "shared"))
GROOVE_DATA = os.path.join(SHARED, "data", "drums", "groove")


def beat(late=0.0, bars=2):
    """Eighth hats (off-beats `late` steps late and softer), kick on 1 and 3, snare on 2 and 4."""
    notes = []
    for s in range(0, 16 * bars, 2):
        off = s % 4 == 2
        start = (s + (late if off else 0.0)) * STEP
        notes.append(timbrel.Note(42, 60 if off else 100, start=start, end=start + 0.1, is_drum=True))
        if s % 8 in (0, 4):
            notes.append(timbrel.Note(36 if s % 8 == 0 else 38, 110, start=s * STEP, end=s * STEP + 0.1, is_drum=True))
    return timbrel.NoteSequence(notes)


def test_encoding_and_transfer():
    g = timbrel.encode_groove(beat(0.3))
    assert g["hits"].shape == (32, 9) and g["qpm"] == 120
    assert g["offsets"][2, 2] == pytest.approx(0.3, abs=1e-5) and g["offsets"][0, 2] == 0
    assert g["velocities"][2, 2] == pytest.approx(60 / 127, abs=1e-6)
    moved = timbrel.encode_groove(timbrel.transfer_groove(beat(0.0), beat(0.3)))
    assert np.allclose(moved["offsets"][2::4, 2], 0.3, atol=1e-5)
    with pytest.raises(timbrel.Error, match="performance"):
        timbrel.transfer_groove(beat(), timbrel.NoteSequence([timbrel.Note(60)]))


@pytest.mark.skipif(not os.path.isdir(os.path.join(MODELS, "groove-humanize")), reason="models/groove-humanize is not here")
def test_bundled_models_humanize_and_drumify():
    quantized = beat(0.0)
    played = timbrel.GrooveModel().humanize(quantized, seed=1)
    assert len(played) == len(quantized)
    assert sorted(n.pitch for n in played.notes) == sorted(n.pitch for n in quantized.notes)
    offsets = [n.start / STEP - round(n.start / STEP) for n in played.notes]
    assert max(abs(o) for o in offsets) > 0.02  # off the grid
    assert len({n.velocity for n in played.notes}) > 3  # dynamics, not one velocity
    taps = timbrel.NoteSequence([timbrel.Note(60, start=b * 0.5, end=b * 0.5 + 0.1) for b in range(8)])
    drums = timbrel.GrooveModel(task="drumify").drumify(taps)
    assert drums.has_drums()
    onsets = {round(n.start, 6) for n in drums.notes}
    assert all(round(b * 0.5, 6) in onsets for b in range(8))  # every tap keeps a hit at its onset
    with pytest.raises(timbrel.Error, match="beat"):
        timbrel.GrooveModel().humanize(timbrel.NoteSequence([timbrel.Note(60)]))


@pytest.mark.skipif(not os.path.isdir(os.path.join(MODELS, "groove-humanize")), reason="models/groove-humanize is not here")
def test_engine_composes_humanized_drums_unless_asked_not_to():
    engine = timbrel.Engine()
    def off_grid(song):
        return max(abs(n.start / STEP - round(n.start / STEP)) for n in song.notes if n.is_drum)
    assert off_grid(engine.compose(bars=2, drums=True, seed=3)) > 0.02
    assert off_grid(engine.compose(bars=2, drums=True, seed=3, humanize=False)) < 1e-6
    assert len(engine.humanize(beat(0.0), seed=1)) == len(beat(0.0))


def test_train_groove_on_a_folder():
    with tempfile.TemporaryDirectory() as d:
        data = os.path.join(d, "takes")
        os.makedirs(data)
        for i in range(6):
            beat(0.1 * (i % 3), bars=4).to_midi(os.path.join(data, f"take{i}.mid"))
        report = timbrel.train_groove([data], os.path.join(d, "model"), steps=3, batch=4)
        assert report["steps"] == 3 and report["train_windows"] > 0
        model = timbrel.GrooveModel(os.path.join(d, "model"))
        assert model.task == "humanize" and len(model.humanize(beat(0.0))) == len(beat(0.0))
