// Chords from Python: timbrel/chords.h (symbols, kinds, Magenta's encodings, the chords CSV) and
// a NoteSequence's chord symbols.
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include "timbrel/arrange.h"
#include "timbrel/bundled_models.h"
#include "timbrel/chords.h"
#include "timbrel/harmony.h"
#include "timbrel/music.h"
#include "timbrel/error.h"

namespace py = pybind11;
using namespace timbrel;

namespace {

Chord make_chord(int root, const std::string& kind, int bass) {
  if (root < -1 || root > 11) throw Error("root", "must be a pitch class 0..11 (or -1: no chord)");
  if (bass < -1 || bass > 11) throw Error("bass", "must be a pitch class 0..11 (or -1: the root)");
  return Chord{root, chord_kind_from_name(kind), root < 0 ? -1 : (bass < 0 ? root : bass)};
}

void bind_chord(py::module_& m) {
  py::class_<Chord>(m, "Chord", "A chord: root and bass pitch classes (C = 0) and kind; root -1 is no chord (N.C.)")
      .def(py::init(&make_chord), py::arg("root"), py::arg("kind") = "major", py::arg("bass") = -1)
      .def_static("parse", &parse_chord, py::arg("symbol"), "A lead-sheet chord symbol (C, Am7, F#m7b5, D/F#, N.C. ...) -> Chord")
      .def_static("from_triad_class", &triad_chord, py::arg("triad_class"), "Magenta's triad one-hot class 0..48 -> Chord")
      .def_readonly("root", &Chord::root)
      .def_readonly("bass", &Chord::bass)
      .def_property_readonly("kind", [](const Chord& c) { return c.is_none() ? std::string("none") : std::string(chord_kind_name(c.kind)); })
      .def_property_readonly("symbol", &chord_symbol)
      .def_property_readonly("is_none", &Chord::is_none)
      .def_property_readonly("pitch_classes", &chord_pitch_classes)
      .def_property_readonly("triad_class", &triad_class, "Magenta's TriadChordOneHotEncoding class (0 = no chord)")
      .def("encode_pitches", [](const Chord& c) {
             const auto v = encode_chord_pitches(c);
             py::array_t<float> out(kChordPitchesDepth);
             std::copy(v.begin(), v.end(), out.mutable_data());
             return out;
           },
           "Magenta's chord-pitches encoding: float32 [37] (no chord, root, pitch classes, bass)")
      .def("__eq__", [](const Chord& a, const Chord& b) { return a == b; })
      .def("__repr__", [](const Chord& c) { return "Chord('" + chord_symbol(c) + "')"; });
}

NoteSequence melody_of(const py::object& melody) {
  if (py::isinstance<py::str>(melody)) return read_midi(melody.cast<std::string>());
  return melody.cast<NoteSequence>();
}

void bind_harmonizer(py::module_& m) {
  py::class_<Harmonizer>(m, "Harmonizer", "Chords for a melody: a model trained on chord-annotated melodies (models/harmonizer)")
      .def(py::init([](const std::string& folder) { return Harmonizer::load(folder.empty() ? bundled_model_path("harmonizer") : folder); }),
           py::arg("folder") = "", "Loads a harmoniser model folder (default: the bundled one)")
      .def_static(
          "train",
          [](const std::vector<std::string>& data, const std::string& out, const std::string& from, double validation_fraction, int ensemble) {
            HarmonyTraining o;
            o.data = data, o.from = from, o.validation_fraction = validation_fraction, o.ensemble = ensemble;
            std::vector<std::pair<std::string, HarmonyScore>> held_out;
            Harmonizer h = [&] {
              py::gil_scoped_release nogil;
              return Harmonizer::train(o, &held_out);
            }();
            if (!out.empty()) h.save(out);
            py::dict scores;
            for (const auto& [dir, s] : held_out)
              scores[py::str(dir)] = py::dict(py::arg("files") = s.files, py::arg("beats") = s.beats, py::arg("model") = s.model, py::arg("rule_baseline") = s.baseline);
            return py::make_tuple(std::move(h), scores);
          },
          py::arg("data"), py::arg("out") = "", py::arg("from_model") = "", py::arg("validation_fraction") = 0.1, py::arg("ensemble") = 1,
          "Trains on folders of melodies with chords (from_model: a model folder to start from; ensemble: melody networks from different "
          "seeds, their probabilities averaged) -> (Harmonizer, held-out scores per folder); out: also save it there")
      .def("harmonize", [](const Harmonizer& h, const py::object& melody) { return h.harmonize(melody_of(melody)); }, py::arg("melody"),
           "A MIDI path or NoteSequence -> [ChordSpan], one chord a beat at most (put them in with NoteSequence.set_chords)")
      .def("evaluate", [](const Harmonizer& h, const std::string& folder, bool held_out) {
             const HarmonyScore s = h.evaluate(folder, held_out);
             return py::dict(py::arg("files") = s.files, py::arg("beats") = s.beats, py::arg("model") = s.model, py::arg("rule_baseline") = s.baseline);
           },
           py::arg("folder"), py::arg("held_out") = true, "Per-beat root and triad accuracy on a folder's chords, beside the rule baseline");
  m.def("harmonize_by_rule", [](const py::object& melody) { return harmonize_by_rule(melody_of(melody)); }, py::arg("melody"),
        "The rule baseline: per bar, the diatonic triad with the most melody time on its tones");
  m.def("estimate_key", [](const py::object& melody) { return key_name(estimate_key(melody_of(melody))); }, py::arg("melody"),
        "The melody's key, e.g. 'G major' (Krumhansl-Kessler profiles)");
}

void bind_arrange(py::module_& m) {
  m.def(
      "arrange",
      [](const py::object& song, const std::string& style, bool bass, bool accompaniment, int bass_program, int accompaniment_program,
         const std::vector<ChordSpan>& chords, const std::string& harmonizer) {
        ArrangeOptions o;
        o.style = parse_accompaniment_style(style, "style");
        o.bass = bass, o.accompaniment = accompaniment;
        o.bass_program = bass_program, o.accompaniment_program = accompaniment_program;
        o.chords = chords, o.harmonizer_model = harmonizer;
        ArrangeReport r;
        NoteSequence out = arrange(melody_of(song), o, &r);
        return py::make_tuple(out, py::dict(py::arg("style") = to_string(r.style), py::arg("harmonized") = r.harmonized, py::arg("chords") = r.chords,
                                            py::arg("bass_notes") = r.bass_notes, py::arg("accompaniment_notes") = r.accompaniment_notes));
      },
      py::arg("song"), py::arg("style") = "auto", py::arg("bass") = true, py::arg("accompaniment") = true, py::arg("bass_program") = 33,
      py::arg("accompaniment_program") = -1, py::arg("chords") = std::vector<ChordSpan>{}, py::arg("harmonizer") = "",
      "A MIDI path or NoteSequence -> (the song with chord symbols, a bass and an accompaniment track; a report dict). Chords: "
      "`chords`, else the song's chord symbols, else the harmoniser's");
  m.def(
      "score_arrangement",
      [](const py::object& song) {
        const ArrangementScore s = score_arrangement(melody_of(song));
        return py::dict(py::arg("downbeats") = s.downbeats, py::arg("bass_root_or_fifth") = s.bass_root_or_fifth, py::arg("chord_changes") = s.chord_changes,
                        py::arg("voice_movement") = s.voice_movement, py::arg("strong_beats") = s.strong_beats, py::arg("clashes") = s.clashes);
      },
      py::arg("song"), "Bass on root or fifth on downbeats, mean voice movement of the accompaniment, strong beats with a minor second between parts");
}

}  // namespace

void bind_chords(py::module_& m) {
  bind_chord(m);
  bind_harmonizer(m);
  bind_arrange(m);
  py::class_<ChordSpan>(m, "ChordSpan", "A chord from start_beat to end_beat (quarter notes from the start of the music)")
      .def(py::init([](double start, double end, const Chord& chord, const std::string& symbol) {
             return ChordSpan{start, end, chord, symbol.empty() ? chord_symbol(chord) : symbol};
           }),
           py::arg("start_beat"), py::arg("end_beat"), py::arg("chord"), py::arg("symbol") = "")
      .def_readwrite("start_beat", &ChordSpan::start_beat)
      .def_readwrite("end_beat", &ChordSpan::end_beat)
      .def_readwrite("chord", &ChordSpan::chord)
      .def_readwrite("symbol", &ChordSpan::symbol)
      .def("__repr__", [](const ChordSpan& s) {
        return "ChordSpan(" + std::to_string(s.start_beat) + ", " + std::to_string(s.end_beat) + ", '" + s.symbol + "')";
      });
  m.def("parse_progression", &parse_progression, py::arg("text"), py::arg("beats_per_bar") = 4.0,
        "A progression, bars separated by spaces and chords sharing a bar by commas ('C G Am F', 'C Am,G7') -> [ChordSpan]");
  m.def("transpose_chord", &transpose_chord, py::arg("chord"), py::arg("semitones"), "The chord moved by `semitones`");
  m.def("read_chords_csv", &read_chords_csv, py::arg("path"), "A chords CSV (start_beat,end_beat,root,kind,bass,symbol) -> [ChordSpan]");
  m.def("write_chords_csv", &write_chords_csv, py::arg("chords"), py::arg("path"), "[ChordSpan] -> a chords CSV (atomically)");
  m.attr("CHORD_KINDS") = [] {
    std::vector<std::string> names;
    for (int k = 0; k < kChordKinds; ++k) names.push_back(chord_kind_name(ChordKind(k)));
    return names;
  }();
}
