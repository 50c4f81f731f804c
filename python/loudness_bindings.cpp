// EBU R128 loudness from Python: timbrel/loudness.h over NumPy arrays, 1-D (mono) or
// [frames, channels].
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>

#include <algorithm>
#include <vector>

#include "timbrel/error.h"
#include "timbrel/loudness.h"

namespace py = pybind11;
using namespace timbrel;

namespace {

using FloatArray = py::array_t<float, py::array::c_style | py::array::forcecast>;

Audio audio_of(const FloatArray& samples, int sample_rate) {
  if (samples.ndim() != 1 && samples.ndim() != 2)
    throw Error("samples", "expected a 1-D array (mono) or a 2-D array [frames, channels]");
  Audio a;
  a.sample_rate = sample_rate;
  a.channels = samples.ndim() == 1 ? 1 : int(samples.shape(1));
  a.samples.assign(samples.data(), samples.data() + samples.size());
  return a;
}

py::dict info_dict(const LoudnessInfo& m) {
  py::dict d;
  d["integrated_lufs"] = m.integrated_lufs;
  d["true_peak_dbtp"] = m.true_peak_dbtp;
  d["sample_peak_dbfs"] = m.sample_peak_dbfs;
  d["loudness_range_lu"] = m.loudness_range_lu;
  return d;
}

}  // namespace

void bind_loudness(py::module_& m) {
  m.def(
      "measure_loudness",
      [](const FloatArray& samples, int sample_rate) {
        Audio a = audio_of(samples, sample_rate);
        LoudnessInfo info;
        {
          py::gil_scoped_release nogil;
          info = measure_loudness(a);
        }
        return info_dict(info);
      },
      py::arg("samples"), py::arg("sample_rate"),
      "EBU R128 integrated loudness (LUFS, -inf for silence), true peak (dBTP), sample peak (dBFS) and loudness "
      "range (LU) of a 1-D (mono) or [frames, channels] float array, as a dict");
  m.def(
      "normalize_loudness",
      [](const FloatArray& samples, int sample_rate, double lufs, double true_peak) {
        Audio a = audio_of(samples, sample_rate);
        {
          py::gil_scoped_release nogil;
          normalize_loudness(a, LoudnessTarget{lufs, true_peak});
        }
        std::vector<py::ssize_t> shape(samples.shape(), samples.shape() + samples.ndim());
        FloatArray out(shape);
        std::copy(a.samples.begin(), a.samples.end(), out.mutable_data());
        return out;
      },
      py::arg("samples"), py::arg("sample_rate"), py::arg("lufs") = -16.0, py::arg("true_peak") = -1.0,
      "A copy of the audio at `lufs` integrated loudness with its true peak at or under `true_peak` dBTP "
      "(a look-ahead true-peak limiter where the gain alone would exceed it); same shape as `samples`");
}
