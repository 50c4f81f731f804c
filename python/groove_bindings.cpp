// Groove from Python: timbrel/groove.h (GrooVAE humanize and drumify, the encoding, groove
// transfer), training and evaluation.
#include <pybind11/functional.h>
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <optional>

#include "timbrel/bundled_models.h"
#include "timbrel/error.h"
#include "timbrel/evaluate.h"
#include "timbrel/groove.h"
#include "timbrel/music.h"
#include "timbrel/train.h"

namespace py = pybind11;
using namespace timbrel;

namespace {

NoteSequence sequence_of(const py::object& s) {
  if (py::isinstance<py::str>(s)) return read_midi(s.cast<std::string>());
  return s.cast<NoteSequence>();
}

GrooveOptions options(uint64_t seed, double temperature, double threshold) {
  GrooveOptions o;
  o.seed = seed, o.temperature = temperature, o.hit_threshold = threshold;
  return o;
}

py::array_t<float> steps_array(const std::vector<float>& v, int steps) {
  py::array_t<float> out({py::ssize_t(steps), py::ssize_t(GrooveSteps::kClasses)});
  std::copy(v.begin(), v.end(), out.mutable_data());
  return out;
}

void bind_model(py::module_& m) {
  py::class_<GrooveModel>(m, "GrooveModel", "A GrooVAE model: humanize (a quantized beat played) or drumify (taps -> a beat)")
      .def(py::init([](const std::string& folder, const std::string& task) {
             if (task != "humanize" && task != "drumify") throw Error("task", "must be humanize or drumify");
             return GrooveModel::load(folder.empty() ? bundled_model_path("groove-" + task) : folder);
           }),
           py::arg("folder") = "", py::arg("task") = "humanize", "Loads a model folder (default: the bundled groove-<task>)")
      .def_property_readonly("task", [](const GrooveModel& g) { return g.info().task; })
      .def("humanize", [](const GrooveModel& g, const py::object& beat, uint64_t seed, double temperature) {
             return humanize(g, sequence_of(beat), options(seed, temperature, 0.5));
           },
           py::arg("beat"), py::arg("seed") = 0, py::arg("temperature") = 1.0,
           "A MIDI path or NoteSequence -> the same drum notes with the model's microtiming and velocities")
      .def("drumify", [](const GrooveModel& g, const py::object& taps, uint64_t seed, double temperature, double threshold) {
             return drumify(g, sequence_of(taps), options(seed, temperature, threshold));
           },
           py::arg("taps"), py::arg("seed") = 0, py::arg("temperature") = 1.0, py::arg("threshold") = 0.5,
           "Taps (a MIDI path or NoteSequence, any keys) -> a drum beat in their rhythm");
}

void bind_functions(py::module_& m) {
  m.def("encode_groove", [](const py::object& seq) {
          const GrooveSteps g = encode_groove(sequence_of(seq));
          return py::dict(py::arg("qpm") = g.qpm, py::arg("hits") = steps_array(g.hit, g.steps), py::arg("velocities") = steps_array(g.velocity, g.steps),
                          py::arg("offsets") = steps_array(g.offset, g.steps));
        },
        py::arg("performance"),
        "GrooVAE's encoding: dict of qpm and float32 [steps, 9] hits, velocities (0..1) and offsets (in steps, -0.5..0.5) per 16th and drum class");
  m.def("transfer_groove", [](const py::object& beat, const py::object& performance) { return transfer_groove(sequence_of(beat), sequence_of(performance)); },
        py::arg("beat"), py::arg("performance"), "The beat's drum notes with the performance's timing and velocities per step of the bar");
  m.def(
      "train_groove",
      [](std::vector<std::string> data, const std::string& out, const std::string& task, int64_t steps, double minutes, const std::string& from_model,
         bool resume, int batch, int threads, uint64_t seed) {
        GrooveTrainOptions o;
        o.data_dirs = std::move(data), o.out_dir = out, o.task = task, o.max_steps = steps, o.minutes = minutes, o.from = from_model;
        o.resume = resume, o.batch = batch, o.threads = threads, o.seed = seed;
        GrooveTrainReport r;
        {
          py::gil_scoped_release nogil;
          r = train_groove(o);
        }
        return py::dict(py::arg("steps") = r.steps, py::arg("seconds") = r.seconds, py::arg("validation_loss") = r.validation_loss,
                        py::arg("train_windows") = r.train_windows, py::arg("validation_windows") = r.validation_windows);
      },
      py::arg("data"), py::arg("out"), py::arg("task") = "humanize", py::arg("steps") = 0, py::arg("minutes") = 0.0, py::arg("from_model") = "",
      py::arg("resume") = false, py::arg("batch") = 64, py::arg("threads") = 1, py::arg("seed") = 0,
      "Trains a GrooVAE on folders of drum performances (as timbrel train groove) -> report dict");
  m.def(
      "evaluate_groove",
      [](const std::string& data, const std::string& task, const std::string& model, uint64_t seed) {
        GrooveEvalOptions o;
        o.data = data, o.task = task, o.model = model, o.seed = seed;
        std::string json;
        {
          py::gil_scoped_release nogil;
          json = evaluate_groove(o);
        }
        return py::module_::import("json").attr("loads")(json);
      },
      py::arg("data"), py::arg("task") = "humanize", py::arg("model") = "", py::arg("seed") = 0,
      "As timbrel eval groove -> dict");
}

}  // namespace

void bind_groove(py::module_& m) {
  bind_model(m);
  bind_functions(m);
}
