// Training and evaluation from Python: timbrel/train.h, timbrel/evaluate.h and timbrel/dataset.h
// with keyword arguments; the reports come back as dicts.
#include <pybind11/functional.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <optional>
#include <string>
#include <vector>

#include "timbrel/dataset.h"
#include "timbrel/evaluate.h"
#include "timbrel/train.h"

namespace py = pybind11;
using namespace timbrel;

namespace {

using Log = std::optional<std::function<void(const std::string&)>>;

// Called from the trainer's thread with the GIL released: take it for the Python callable.
std::function<void(const std::string&)> with_gil(const Log& log) {
  if (!log) return {};
  return [fn = *log](const std::string& message) {
    py::gil_scoped_acquire gil;
    fn(message);
  };
}

py::dict corpus_dict(const CorpusScore& s) {
  py::dict d;
  d["folder"] = s.folder;
  d["files"] = s.files;
  d["windows"] = s.windows;
  d["accuracy"] = s.accuracy;
  d["log_perplexity"] = s.log_perplexity;
  return d;
}

void bind_train_musicvae(py::module_& m) {
  m.def(
      "train_musicvae",
      [](std::vector<std::string> data, const std::string& out, const std::string& kind, int64_t steps, double minutes,
         const std::string& from_model, int bars, int batch, bool resume, int threads, uint64_t seed, Log log, bool chords,
         double gap_bars) {
        MusicVaeTrainOptions o;
        o.kind = parse_model_kind(kind);
        o.chords = chords;
        o.gap_bars = gap_bars;
        o.data_dirs = std::move(data);
        o.out_dir = out;
        o.max_steps = steps;
        o.minutes = minutes;
        o.from = from_model;
        o.bars = bars;
        o.batch = batch;
        o.resume = resume;
        o.threads = threads;
        o.seed = seed;
        o.log = o.progress = with_gil(log);
        MusicVaeTrainReport r;
        {
          py::gil_scoped_release nogil;
          r = train_musicvae(o);
        }
        py::dict d;
        d["steps"] = r.steps;
        d["seconds"] = r.seconds;
        d["validation_accuracy"] = r.validation_accuracy;
        d["first_loss"] = r.first_loss;
        d["last_loss"] = r.last_loss;
        d["validation_windows"] = r.validation_windows;
        return d;
      },
      py::arg("data"), py::arg("out"), py::arg("kind") = "melody", py::arg("steps") = 0, py::arg("minutes") = 0.0,
      py::arg("from_model") = "", py::arg("bars") = 2, py::arg("batch") = 64, py::arg("resume") = false, py::arg("threads") = 1,
      py::arg("seed") = 0, py::arg("log") = py::none(), py::arg("chords") = false, py::arg("gap_bars") = 0.0,
      "Trains (or fine-tunes, from_model) a MusicVAE on folders of MIDI files into the model folder `out`; give steps or minutes. "
      "chords=True: a 2-bar melody model over each file's chords (from_model an unconditioned one widens it). "
      "gap_bars=1: melodies end at rests of a bar or more (Magenta's), so no window spans an interlude");
}

void bind_train_event_rnn(py::module_& m) {
  m.def(
      "train_event_rnn",
      [](std::vector<std::string> data, const std::string& out, const std::string& kind, int64_t steps, double minutes, int batch,
         bool resume, int threads, uint64_t seed, Log log, bool chords, const std::string& from_model) {
        EventRnnTrainOptions o;
        o.kind = parse_model_kind(kind);
        o.chords = chords;
        o.from = from_model;
        o.data_dirs = std::move(data);
        o.out_dir = out;
        o.max_steps = steps;
        o.minutes = minutes;
        o.batch = batch;
        o.resume = resume;
        o.threads = threads;
        o.seed = seed;
        o.log = o.progress = with_gil(log);
        EventRnnTrainReport r;
        {
          py::gil_scoped_release nogil;
          r = train_event_rnn(o);
        }
        py::dict d;
        d["steps"] = r.steps;
        d["seconds"] = r.seconds;
        d["last_loss"] = r.last_loss;
        py::list validation;
        for (const auto& s : r.validation) validation.append(corpus_dict(s));
        d["validation"] = validation;
        return d;
      },
      py::arg("data"), py::arg("out"), py::arg("kind") = "melody", py::arg("steps") = 0, py::arg("minutes") = 0.0, py::arg("batch") = 64,
      py::arg("resume") = false, py::arg("threads") = 1, py::arg("seed") = 0, py::arg("log") = py::none(), py::arg("chords") = false,
      py::arg("from_model") = "",
      "Trains a Melody RNN or Drums RNN (kind) on folders of MIDI files into the model folder `out`; chords: melodies over each "
      "file's chords (ImprovRNN); from_model: start from that model's weights");
  m.def(
      "evaluate_event_rnn",
      [](const std::string& data, const std::string& model, const std::string& kind, bool held_out, int primer_bars, int bars,
         double temperature, uint64_t seed, double chord_guidance, bool training_files) {
        EventRnnEvalOptions o;
        o.model = model, o.data = data, o.kind = parse_model_kind(kind), o.held_out = held_out, o.training_files = training_files;
        o.primer_bars = primer_bars, o.bars = bars, o.temperature = temperature, o.seed = seed, o.chord_guidance = chord_guidance;
        EventRnnEvalReport r;
        {
          py::gil_scoped_release nogil;
          r = evaluate_event_rnn(o);
        }
        py::dict d = corpus_dict(r.next);
        d["model"] = r.model;
        d["continuation"] = py::module_::import("json").attr("loads")(to_json(r.continuation, r.continuation_about));
        return d;
      },
      py::arg("data"), py::arg("model") = "", py::arg("kind") = "melody", py::arg("held_out") = false, py::arg("primer_bars") = 4,
      py::arg("bars") = 4, py::arg("temperature") = 1.0, py::arg("seed") = 0, py::arg("chord_guidance") = -1.0, py::arg("training_files") = false,
      "Next-event accuracy of a Melody/Drums RNN on a MIDI folder (held_out: only the files its trainer holds out; training_files: "
      "only those it trains on) and its "
      "continuations of each file's bars from its first note beside what they really play (notes per bar; in key; strong-beat chord tones)");
}

void bind_evaluate(py::module_& m) {
  m.def(
      "evaluate_musicvae",
      [](const std::string& model, const std::string& data, const std::string& kind, int bars, int refine, bool held_out, bool chords,
         double temperature, uint64_t seed, double gap_bars) {
        MusicVaeEvalOptions o;
        o.model = model;
        o.data = data;
        o.kind = parse_model_kind(kind);
        o.bars = bars;
        o.refine_steps = refine;
        o.held_out = held_out;
        o.chords = chords;
        o.temperature = temperature;
        o.seed = seed;
        o.gap_bars = gap_bars;
        MusicVaeEvalReport r;
        {
          py::gil_scoped_release nogil;
          r = evaluate_musicvae(o);
        }
        py::dict d;
        d["bars"] = r.bars;
        d["chain"] = r.chain;
        d["files"] = r.files;
        d["windows"] = r.windows;
        d["skipped"] = r.skipped;
        d["token_accuracy"] = r.token_accuracy;
        d["teacher_forced_accuracy"] = r.teacher_forced_accuracy;
        if (r.over_chords.files) d["over_chords"] = py::module_::import("json").attr("loads")(to_json(r.over_chords, r.over_chords_about));
        return d;
      },
      py::arg("model"), py::arg("data"), py::arg("kind") = "melody", py::arg("bars") = 0, py::arg("refine") = 0,
      py::arg("held_out") = false, py::arg("chords") = false, py::arg("temperature") = 0.5, py::arg("seed") = 0, py::arg("gap_bars") = 0.0,
      "Reconstruction accuracy of a MusicVAE on a folder of MIDI files (`timbrel eval melody`; gap_bars: melodies end at rests "
      "this long, as the trainer's); with chords (always for a "
      "chord-conditioned model), 'over_chords': one sample per window over its chords, scored beside it");
}

void bind_note_sets(py::module_& m) {
  m.def(
      "build_note_set",
      [](std::vector<std::string> soundfonts, const std::string& out, std::vector<int> programs, int min_pitch, int max_pitch,
         bool drums, int max_presets) {
        NoteSetOptions o;
        o.soundfonts = std::move(soundfonts);
        o.out_dir = out;
        o.programs = std::move(programs);
        o.min_pitch = min_pitch;
        o.max_pitch = max_pitch;
        o.drums = drums;
        o.max_presets = max_presets;
        NoteSetReport r;
        {
          py::gil_scoped_release nogil;
          r = build_note_set(o);
        }
        py::dict d;
        d["notes"] = r.notes;
        d["presets"] = r.presets;
        d["train"] = r.train;
        d["validation"] = r.validation;
        d["test"] = r.test;
        return d;
      },
      py::arg("soundfonts"), py::arg("out"), py::arg("programs") = std::vector<int>{}, py::arg("min_pitch") = 24,
      py::arg("max_pitch") = 84, py::arg("drums") = false, py::arg("max_presets") = 0,
      "Renders single notes of SoundFont presets into a note set (`timbrel dataset notes`)");
}

}  // namespace

void bind_training(py::module_& m) {
  bind_train_musicvae(m);
  bind_train_event_rnn(m);
  bind_evaluate(m);
  bind_note_sets(m);
}
