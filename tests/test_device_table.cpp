// The device table (issue 33, after ggml's test-backend-ops): every path that can run on a device,
// each with its CPU twin and a tolerance, run on every device present, printed as one table at the
// end. A cpu row checks the CPU twin itself (against an independent reference where one is cheap:
// the kernels' per-element bodies, a double-precision DFT, the exact oscillator phase; else
// against itself: thread counts, repeated runs); a cuda row compares the device path with its CPU
// twin and skips, on its own, without a CUDA build and a GPU (generator rows: a CUDA libtorch).
// DeviceTableCoverage scans kernels/ so that a new kernel or launcher fails until a row names it.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <regex>
#include <set>
#include <sstream>

#include "kernel_test_helpers.h"
#include "pghi_twin.h"
#include "spectral/gansynth_contract.h"
#include "spectral/normalize.h"
#include "spectral_scale_ops.h"
#include "test_util.h"
#include "timbrel/build_config.h"
#include "timbrel/device.h"
#include "timbrel/engine.h"
#include "timbrel/gansynth.h"
#include "timbrel/spectral.h"
#if TIMBREL_HAVE_CUDA
#include "cuda_check.h"
#include "ddsp_oscillators.h"
#include "griffin_lim.h"
#include "pghi.h"
#include "spectral_cuda.h"
#include "spectral_decode.h"
#include "spectral_scale.h"
#include "stft.h"
#endif

using namespace timbrel;

namespace {

// One side of a row: what was measured and the bound it must meet.
struct Measure {
  std::string metric;      // "NMSE", "max |err|", "SNR dB", ...
  double value = 0;
  double tolerance = 0;
  bool at_least = false;   // SNR: the value must reach the tolerance (else: stay within it)
  bool pass() const { return at_least ? value >= tolerance : value <= tolerance; }  // NaN fails
};
using Check = std::function<Measure()>;

enum class Needs { Kernels, CudaTorch };  // what a cuda row needs besides a GPU

struct Row {
  std::string id;                   // test-name part: letters, digits, underscores
  std::string path;                 // in words, for the table
  std::vector<std::string> covers;  // "file:entry point" of kernels/ this row checks
  Check cpu, cuda;                  // CPU twin's own check; device path against the CPU twin
  Needs needs = Needs::Kernels;
};

// ---- The table, printed once every row has run (with or without a filter).

struct Result {
  std::string path, device, status;
  Measure m;
};
std::vector<Result>& results() {
  static std::vector<Result> r;
  return r;
}

std::string format_value(const Measure& m) {
  char b[32];
  std::snprintf(b, sizeof b, m.metric == "SNR dB" ? "%.1f" : "%.3g", m.value);
  return b;
}

class TablePrinter : public ::testing::Environment {
 public:
  void TearDown() override {
    if (results().empty()) return;
    std::printf("\nDevice table: every device path beside its CPU twin\n%-46s %-6s %-10s %10s %11s  %s\n", "path", "device", "metric",
                "value", "tolerance", "result");
    std::map<std::string, int> skipped;
    for (const Result& r : results()) {
      const bool ran = r.status != "skipped";
      const std::string tol = r.m.metric.empty() ? "" : (r.m.at_least ? ">= " : "<= ") + format_value(Measure{r.m.metric, r.m.tolerance});
      std::printf("%-46s %-6s %-10s %10s %11s  %s\n", r.path.c_str(), r.device.c_str(), r.m.metric.c_str(),
                  ran ? format_value(r.m).c_str() : "-", tol.c_str(), ran ? r.status.c_str() : "SKIPPED");
      if (!ran) ++skipped[r.device];
    }
    for (const auto& [device, n] : skipped)
      std::printf("%d %s row(s) SKIPPED (reasons in the test output): only the cpu rows were checked for them\n", n, device.c_str());
  }
};
[[maybe_unused]] ::testing::Environment* const table_printer = ::testing::AddGlobalTestEnvironment(new TablePrinter);

// ---- Shared inputs: small and seeded, so that the cpu rows take seconds.

const std::vector<float>& spectrogram(unsigned i) {  // a real note's mel spectrogram
  static std::map<unsigned, std::vector<float>> cache;
  auto it = cache.find(i);
  if (it == cache.end()) it = cache.emplace(i, test::test_spectrogram(i, SpectralScale::Mel)).first;
  return it->second;
}
std::vector<float> spectrograms(size_t n) {
  std::vector<float> all;
  for (size_t i = 0; i < n; ++i) all.insert(all.end(), spectrogram(unsigned(i)).begin(), spectrogram(unsigned(i)).end());
  return all;
}

double max_abs_diff(const std::vector<float>& a, const std::vector<float>& b) {
  double m = a.size() == b.size() ? 0.0 : INFINITY;
  for (size_t i = 0; i < std::min(a.size(), b.size()); ++i) m = std::max(m, double(std::fabs(a[i] - b[i])));
  return m;
}
double mean_abs_diff(const std::vector<float>& a, const std::vector<float>& b) {
  if (a.size() != b.size() || a.empty()) return INFINITY;
  double s = 0;
  for (size_t i = 0; i < a.size(); ++i) s += std::fabs(a[i] - b[i]);
  return s / double(a.size());
}
double snr(const std::vector<float>& got, const std::vector<float>& want) {
  return got.size() == want.size() ? test::snr_db(got.data(), want.data(), want.size()) : -INFINITY;
}

std::vector<cfloat> random_spectrum(int frames, unsigned seed) {  // DC and Nyquist real, as C2R reads them
  std::mt19937 rng(seed);
  std::normal_distribution<float> g(0, 1);
  std::vector<cfloat> spec(size_t(frames) * 1025);
  for (size_t i = 0; i < spec.size(); ++i) spec[i] = {g(rng), i % 1025 == 0 || i % 1025 == 1024 ? 0.0f : g(rng)};
  return spec;
}
std::vector<float> random_signal(size_t n, unsigned seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> g(0, 1);
  std::vector<float> v(n);
  for (float& x : v) x = g(rng);
  return v;
}

// The generator of the generator rows: tiny widths, N(0, 0.5) weights.
GansynthConfig tiny_config() { return GansynthConfig{8, 24, 61, {16, 16, 16, 16, 8, 8, 8}}; }
Gansynth tiny_generator() { return Gansynth::random(tiny_config(), 4, 0.5); }
const std::vector<int> kPitches = {48, 72};
std::vector<float> two_latents(const Gansynth& g) {
  std::vector<float> z = g.timbre("seed:1"), b = g.timbre("seed:2");
  z.insert(z.end(), b.begin(), b.end());
  return z;
}
std::vector<float> generate_on(Device device, Precision precision) {
  Gansynth g = tiny_generator();
  g.set_device(device);
  g.set_precision(precision);
  return g.generate(two_latents(g), kPitches);
}

// The Engine rows' timbre model: the tiny generator saved as a model folder.
const std::string& model_dir() {
  static const std::string dir = [] {
    const std::string d = test::temp_dir() + "/tiny-gansynth";
    tiny_generator().save(d);
    return d;
  }();
  return dir;
}
EngineOptions engine_options(Device device, int threads = 2) {
  EngineOptions o;
  o.timbre_model = model_dir();
  o.device = device;
  o.threads = threads;
  return o;
}
NoteOptions note_options() {
  NoteOptions n;
  n.pitch = 60;
  n.timbre = "seed:3";
  n.velocity = 100;
  return n;
}
NoteSequence three_notes() {
  NoteSequence s;
  for (int i = 0; i < 3; ++i) {
    Note n;
    n.pitch = 55 + 5 * i;
    n.start_time = 0.4 * i;
    n.end_time = n.start_time + 0.6;
    n.velocity = 90;
    s.add_note(n);
  }
  return s;
}


// ---- cpu rows: the CPU twins checked on their own.
namespace cpu {

// The (de)normalisation bodies over a real spectrogram and clipped extremes, against src/spectral.
Measure scale(bool normalize) {
  std::vector<float> v = spectrogram(0);
  v.insert(v.end(), {-1.0f, 1.0f, 0.0f, 0.5f});
  if (normalize) {
    denormalize_spectrogram(v.data(), v.size());
    v.insert(v.end(), {-1000.0f, 1000.0f, -30.0f, 40.0f});  // beyond the clip
  }
  std::vector<float> want = v;
  normalize ? normalize_spectrogram(want.data(), want.size()) : denormalize_spectrogram(want.data(), want.size());
  double worst = 0;
  for (size_t i = 0; i < v.size(); ++i) {
    const float got = normalize ? kernels::normalize_element(v[i], i) : kernels::denormalize_element(v[i], i);
    worst = std::max(worst, std::fabs(double(got) - want[i]) / (normalize ? 1.0 : 1.0 + std::fabs(want[i])));
  }
  return {normalize ? "max |err|" : "max relerr", worst, 0};
}

enum class Decode { TwoPass, Fused, Polar };

// The decode bodies against the CPU path, both scales and compat modes.
Measure decode(Decode form) {
  double worst = 0;
  for (SpectralScale scale : {SpectralScale::Mel, SpectralScale::Linear})
    for (SpectralCompat compat : {SpectralCompat::Exact, SpectralCompat::MagentaJs}) {
      const std::vector<float> spec = test::test_spectrogram(3, scale);
      if (form == Decode::Polar) {
        std::vector<float> mag, phase, want_mag(size_t(kSpectrogramFrames) * 1025), want_phase(want_mag.size());
        test::decode_polar_with_bodies(spec, scale, compat, mag, phase);
        gansynth::decode_polar(spec.data(), kSpectrogramFrames, want_mag.data(), want_phase.data(), scale, compat);
        worst = std::max({worst, test::nmse(mag, want_mag), test::nmse(phase, want_phase)});
        continue;
      }
      const auto got = form == Decode::Fused ? test::decode_fused_with_body(spec, scale, compat) : test::decode_with_bodies(spec, scale, compat);
      worst = std::max(worst, test::nmse(got, test::decode_reference(spec, scale, compat)));
    }
  return {"NMSE", worst, 0};
}

Measure istft() {
  return {"NMSE", std::max(test::overlap_add_body_nmse(SpectralCompat::Exact), test::overlap_add_body_nmse(SpectralCompat::MagentaJs)), 1e-12};
}

// Analysis framed by the kernel body, transformed by an independent double-precision DFT, against
// FFTW's Stft::analyze.
Measure stft() {
  const int frames = 6, n = 2048, hop = 512;
  const Stft& s = gansynth::stft_for(SpectralCompat::Exact);
  const std::vector<float> signal = random_signal(s.signal_length(frames), 5);
  std::vector<cfloat> want(size_t(frames) * 1025), got(want.size());
  s.analyze(signal.data(), frames, want.data());
  std::vector<double> cosine(n), sine(n), x(n);
  for (int i = 0; i < n; ++i) cosine[size_t(i)] = std::cos(2 * M_PI * i / n), sine[size_t(i)] = std::sin(2 * M_PI * i / n);
  for (int t = 0; t < frames; ++t) {
    for (int i = 0; i < n; ++i) x[size_t(i)] = kernels::frame_sample(signal.data(), s.analysis_window().data(), hop, t, i);
    for (int k = 0; k < 1025; ++k) {
      double re = 0, im = 0;
      for (int j = 0; j < n; ++j) {
        const size_t r = size_t(k) * size_t(j) % size_t(n);
        re += x[size_t(j)] * cosine[r];
        im -= x[size_t(j)] * sine[r];
      }
      got[size_t(t) * 1025 + size_t(k)] = {float(re), float(im)};
    }
  }
  return {"NMSE", test::nmse(got, want), 1e-12};
}

Measure griffin_lim() { return {"NMSE", std::max(test::griffin_lim_body_nmse(0.0f), test::griffin_lim_body_nmse(0.99f)), 0}; }

// Decoded magnitudes of three notes, [note][frames][1025], for the PGHI rows.
std::vector<float> pghi_magnitudes() {
  std::vector<float> all;
  for (unsigned seed = 0; seed < 3; ++seed) {
    std::vector<float> magnitude, phase;
    test::decode_polar_with_bodies(test::test_spectrogram(seed, SpectralScale::Mel), SpectralScale::Mel, SpectralCompat::Exact, magnitude, phase);
    all.insert(all.end(), magnitude.begin(), magnitude.end());
  }
  return all;
}

// The GPU path's PGHI run on the CPU (pghi_twin.h) against pghi_phase: bit for bit.
Measure pghi() {
  const std::vector<float> all = pghi_magnitudes();
  const size_t n = all.size() / 3;
  double differing = 0;
  for (size_t note = 0; note < 3; ++note)
    differing += double(test::pghi_device_algorithm_differences(std::vector<float>(all.begin() + long(note * n), all.begin() + long((note + 1) * n)),
                                                                kSpectrogramFrames, 1025, gansynth::kFftSize, gansynth::kHop, kPghiTolerance));
  return {"phases not bit-equal", differing, 0};
}

// The IF stage: the decode bodies, then the CPU synthesis, against spectrograms_to_audio.
Measure stage_if() {
  double worst = 0;
  for (SpectralCompat compat : {SpectralCompat::Exact, SpectralCompat::MagentaJs}) {
    InverseOptions o;
    o.compat = compat;
    std::vector<float> want(kNoteSamples), got(kNoteSamples);
    spectrograms_to_audio(spectrogram(0).data(), 1, want.data(), o, 1);
    const std::vector<cfloat> spec = test::decode_with_bodies(spectrogram(0), SpectralScale::Mel, compat);
    gansynth::stft_to_audio(spec.data(), kSpectrogramFrames, got.data(), got.size(), compat);
    worst = std::max(worst, test::nmse(got, want));
  }
  return {"NMSE", worst, 0};
}

// The iterative and PGHI stages against themselves: one thread and two give the same audio.
Measure stage_threads(const std::vector<PhaseMethod>& methods) {
  const std::vector<float> specs = spectrograms(2);
  double worst = 0;
  for (PhaseMethod method : methods) {
    InverseOptions o;
    o.phase = method;
    o.iterations = 8;
    std::vector<float> one(2 * size_t(kNoteSamples)), two(one.size());
    spectrograms_to_audio(specs.data(), 2, one.data(), o, 1);
    spectrograms_to_audio(specs.data(), 2, two.data(), o, 2);
    worst = std::max(worst, max_abs_diff(one, two));
  }
  return {"max |err|", worst, 0};
}

// The host twin of the device-resident stage: generate_audio on the CPU equals generate + the CPU
// spectral stage.
Measure device_memory() {
  const Gansynth g = tiny_generator();
  const std::vector<float> z = two_latents(g), spec = g.generate(z, kPitches);
  std::vector<float> got(2 * size_t(kNoteSamples)), want(got.size());
  g.generate_audio(z, kPitches, generated_note_inverse(), got.data());
  spectrograms_to_audio(spec.data(), 2, want.data(), generated_note_inverse());
  return {"max |err|", max_abs_diff(got, want), 0};
}

// The bank's per-sample body against the phase summed exactly in double.
Measure oscillators() {
  const test::OscillatorControls c(3, 200, 1);
  const std::vector<float> bank = test::bank_output(c, 64);
  double worst = INFINITY;
  for (int v = 0; v < c.voices; ++v) {
    const std::vector<double> exact = test::exact_voice(c, v);
    const std::vector<float> want(exact.begin(), exact.end());
    worst = std::min(worst, test::snr_db(bank.data() + size_t(v) * want.size(), want.data(), want.size()));
  }
  return {"SNR dB", worst, 70, true};
}

// fp32 twice (deterministic); tf32 is fp32 off NVIDIA GPUs; bf16 within its 8 bits of mantissa
// (outputs within +-1 move ~1e-2 on average through 14 layers) and not equal to fp32.
Measure generator(Precision precision) {
  const std::vector<float> fp32 = generate_on(Device::Cpu, Precision::Fp32), got = generate_on(Device::Cpu, precision);
  if (precision != Precision::Bf16) return {"max |err|", max_abs_diff(got, fp32), 0};
  EXPECT_GT(max_abs_diff(got, fp32), 0.0) << "bf16 left the arithmetic unchanged";
  return {"mean |err|", mean_abs_diff(got, fp32), 0.03};
}

// The Engine's note is the generator's note through the CPU spectral stage, times velocity / 127.
Measure engine_note() {
  Engine engine(engine_options(Device::Cpu));
  const NoteOptions n = note_options();
  const std::vector<float> got = engine.note(n);
  const Gansynth g = Gansynth::load(model_dir());
  std::vector<float> want = spectrogram_to_audio(g.generate(g.timbre(n.timbre), {n.pitch}), n.inverse);
  for (float& s : want) s *= float(n.velocity) / 127.0f;
  return {"max |err|", max_abs_diff(got, want), 0};
}

// The Engine's render with one spectral thread and with two.
Measure engine_render() {
  const std::vector<float> one = Engine(engine_options(Device::Cpu, 1)).render(three_notes()).samples;
  const std::vector<float> two = Engine(engine_options(Device::Cpu, 2)).render(three_notes()).samples;
  EXPECT_GT(one.size(), size_t(kNoteSampleRate));
  return {"max |err|", max_abs_diff(one, two), 0};
}

}  // namespace cpu

// ---- cuda rows: each device path against its CPU twin.
namespace gpu {

#if TIMBREL_HAVE_CUDA
// A device copy of a host vector (or n zeros), freed with its owner.
template <typename T>
class Buffer {
 public:
  explicit Buffer(size_t n) : n_(n) {
    TIMBREL_CUDA_CHECK(cudaMalloc(&p_, n * sizeof(T)));
    TIMBREL_CUDA_CHECK(cudaMemset(p_, 0, n * sizeof(T)));
  }
  explicit Buffer(const std::vector<T>& v) : Buffer(v.size()) {
    TIMBREL_CUDA_CHECK(cudaMemcpy(p_, v.data(), n_ * sizeof(T), cudaMemcpyHostToDevice));
  }
  ~Buffer() { cudaFree(p_); }
  Buffer(const Buffer&) = delete;
  Buffer& operator=(const Buffer&) = delete;
  T* get() const { return p_; }
  std::vector<T> download() const {  // after the work on every stream
    std::vector<T> v(n_);
    TIMBREL_CUDA_CHECK(cudaDeviceSynchronize());
    TIMBREL_CUDA_CHECK(cudaMemcpy(v.data(), p_, n_ * sizeof(T), cudaMemcpyDeviceToHost));
    return v;
  }

 private:
  T* p_ = nullptr;
  size_t n_;
};

// launch_pghi over three notes against pghi_phase, note by note: the same visiting order, so only
// the device's log (within an ulp of glibc's) can move a phase, by far less than a float's ulp at pi.
Measure pghi() {
  const std::vector<float> all = cpu::pghi_magnitudes();
  const int frames = kSpectrogramFrames, bins = 1025;
  const size_t n = size_t(frames) * bins;
  const Buffer<float> magnitude(all);
  Buffer<pghi::Cell> cells(3 * size_t(frames + 2) * size_t(bins + 2));
  Buffer<uint64_t> heap(3 * n), seeds(3 * n);
  Buffer<kernels::PghiNotePeak> peaks(3);
  Buffer<float> phase(3 * n);
  kernels::launch_pghi(magnitude.get(), 3, frames, bins, gansynth::kFftSize, gansynth::kHop, hann_pghi_gamma(gansynth::kFftSize), kPghiTolerance,
                       {cells.get(), heap.get(), seeds.get(), peaks.get()}, phase.get(), nullptr);
  const std::vector<float> got = phase.download();
  double worst = 0;
  for (size_t note = 0; note < 3; ++note) {
    std::vector<float> want(n);
    pghi_phase(all.data() + note * n, frames, bins, gansynth::kFftSize, gansynth::kHop, hann_pghi_gamma(gansynth::kFftSize), want.data());
    for (size_t i = 0; i < n; ++i) worst = std::max(worst, std::abs(std::remainder(double(got[note * n + i]) - want[i], 2 * M_PI)));
  }
  return {"max |err| rad", worst, 1e-5};
}

std::vector<float> floats_of(const std::vector<cfloat>& c) {
  const float* p = reinterpret_cast<const float*>(c.data());
  return std::vector<float>(p, p + 2 * c.size());
}

// Exact arithmetic is shared with the CPU (no FMA contraction, the same fast_math), so the
// deterministic kernels may differ only where the compilers' libm calls do.
Measure scale(bool normalize) {
  std::vector<float> v = spectrograms(3);
  if (normalize) denormalize_spectrogram(v.data(), v.size());
  std::vector<float> want = v;
  normalize ? normalize_spectrogram(want.data(), want.size()) : denormalize_spectrogram(want.data(), want.size());
  normalize ? kernels::normalize_spectrogram_via_gpu(v.data(), v.size()) : kernels::denormalize_spectrogram_via_gpu(v.data(), v.size());
  double worst = 0;
  for (size_t i = 0; i < v.size(); ++i) worst = std::max(worst, std::fabs(double(v[i]) - want[i]) / (normalize ? 1.0 : 1.0 + std::fabs(want[i])));
  return {normalize ? "max |err|" : "max relerr", worst, normalize ? 1e-6 : 1e-4};
}

// One note through the decode launches (both scales and compat modes) against the CPU path.
Measure decode(cpu::Decode form) {
  const SparseColumns& m2l = gansynth_mel_to_linear();
  const Buffer<int> start(m2l.start), index(m2l.index);
  const Buffer<float> weight(m2l.weight);
  const kernels::SparseView view{start.get(), index.get(), weight.get()};
  const int frames = kSpectrogramFrames;
  const size_t coefficients = size_t(frames) * 1025;
  double worst = 0;
  for (SpectralScale scale : {SpectralScale::Mel, SpectralScale::Linear})
    for (SpectralCompat compat : {SpectralCompat::Exact, SpectralCompat::MagentaJs}) {
      const std::vector<float> spec = test::test_spectrogram(3, scale);
      const bool mel = scale == SpectralScale::Mel;
      const float eps = test::decode_epsilon(compat);
      const Buffer<float> in(spec);
      Buffer<float> power(size_t(frames) * 1024), phase(size_t(frames) * 1024), out(2 * coefficients);
      std::vector<float> want(2 * coefficients);
      if (form == cpu::Decode::Fused) {
        kernels::launch_decode_fused(in.get(), 1, frames, mel, view, eps, out.get(), nullptr);
      } else {
        kernels::launch_cumulate(in.get(), 1, frames, power.get(), phase.get(), nullptr);
        if (form == cpu::Decode::TwoPass) kernels::launch_decode_complex(power.get(), phase.get(), 1, frames, mel, view, eps, out.get(), nullptr);
        else kernels::launch_decode_polar(power.get(), phase.get(), 1, frames, mel, view, eps, out.get(), out.get() + coefficients, nullptr);
      }
      if (form == cpu::Decode::Polar) gansynth::decode_polar(spec.data(), frames, want.data(), want.data() + coefficients, scale, compat);
      else want = floats_of(test::decode_reference(spec, scale, compat));
      worst = std::max(worst, test::nmse(out.download(), want));
    }
  return {"NMSE", worst, 1e-12};
}

// cuFFT C2R + the overlap-add launch against Stft::synthesize (both synthesis windows).
Measure istft() {
  const int frames = 12, n = 2048, hop = 512;
  const std::vector<cfloat> spec = random_spectrum(frames, 9);
  double worst = 0;
  for (SpectralCompat compat : {SpectralCompat::Exact, SpectralCompat::MagentaJs}) {
    const Stft& s = gansynth::stft_for(compat);
    std::vector<float> want(s.signal_length(frames));
    s.synthesize(spec.data(), frames, want.data());
    Buffer<float> coefficients(floats_of(spec)), raw(size_t(frames) * n), audio(want.size());
    const Buffer<float> window(s.synthesis_scaled());
    kernels::FftPlans plans(n, size_t(frames), nullptr);
    plans.inverse(coefficients.get(), raw.get());
    kernels::launch_overlap_add(raw.get(), window.get(), 1, frames, n, hop, 0, want.size(), audio.get(), nullptr);
    worst = std::max(worst, test::nmse(audio.download(), want));
  }
  return {"NMSE", worst, 1e-10};
}

// The framing launch + cuFFT R2C against Stft::analyze.
Measure stft() {
  const int frames = 12, n = 2048, hop = 512;
  const Stft& s = gansynth::stft_for(SpectralCompat::Exact);
  const std::vector<float> signal = random_signal(s.signal_length(frames), 5);
  std::vector<cfloat> want(size_t(frames) * 1025);
  s.analyze(signal.data(), frames, want.data());
  const Buffer<float> in(signal), window(s.analysis_window());
  Buffer<float> framed(size_t(frames) * n), spectrum(2 * want.size());
  kernels::launch_framing(in.get(), signal.size(), window.get(), 1, frames, n, hop, framed.get(), nullptr);
  kernels::FftPlans plans(n, size_t(frames), nullptr);
  plans.forward(framed.get(), spectrum.get());
  return {"NMSE", test::nmse(spectrum.download(), floats_of(want)), 1e-10};
}

// The polar and projection launches against polar_to_stft and the projection body.
Measure griffin_lim() {
  const int frames = 16;
  const size_t count = size_t(frames) * 1025;
  std::vector<float> mag = random_signal(count, 2), phase(count), t = random_signal(2 * count, 3), t_prev = random_signal(2 * count, 4);
  for (float& m : mag) m = std::fabs(m);
  random_phase(phase.data(), count, 11);
  std::vector<cfloat> polar(count);
  gansynth::polar_to_stft(mag.data(), phase.data(), frames, polar.data());
  for (size_t i = 0; i < count; i += 1025) polar[i].imag(0.0f), polar[i + 1024].imag(0.0f);
  std::vector<float> projected(2 * count), prev = t_prev;
  for (size_t i = 0; i < count; ++i)
    kernels::project_coefficient(&t[2 * i], &prev[2 * i], mag[i], 0.99f, false, i % 1025 == 0 || i % 1025 == 1024, &projected[2 * i]);

  const Buffer<float> d_mag(mag), d_phase(phase), d_t(t);
  Buffer<float> d_prev(t_prev), d_polar(2 * count), d_projected(2 * count);
  kernels::launch_polar(d_mag.get(), d_phase.get(), count, 1025, d_polar.get(), nullptr);
  kernels::launch_project(d_t.get(), d_prev.get(), d_mag.get(), 0.99f, false, count, 1025, d_projected.get(), nullptr);
  const double worst = std::max({test::nmse(d_polar.download(), floats_of(polar)), test::nmse(d_projected.download(), projected),
                                 test::nmse(d_prev.download(), prev)});
  return {"NMSE", worst, 1e-12};
}

// CudaSpectral::to_audio (host memory, 3 notes in launches of 2) against spectrograms_to_audio.
Measure stage(const std::vector<PhaseMethod>& methods, double tolerance) {
  const std::vector<float> specs = spectrograms(3);
  kernels::CudaSpectral cuda(2);
  double worst = 0;
  for (PhaseMethod method : methods)
    for (SpectralCompat compat : {SpectralCompat::Exact, SpectralCompat::MagentaJs}) {
      InverseOptions o;
      o.phase = method;
      o.compat = compat;
      o.iterations = 8;
      std::vector<float> want(3 * size_t(kNoteSamples)), got(want.size());
      spectrograms_to_audio(specs.data(), 3, want.data(), o);
      cuda.to_audio(specs.data(), 3, got.data(), o);
      worst = std::max(worst, test::nmse(got, want));
    }
  return {"NMSE", worst, tolerance};
}

// Spectrograms already in device memory (as the generator leaves them): to_audio_from_device
// (host audio) and to_audio_device (device audio), PGHI, against the CPU stage.
Measure device_memory() {
  const std::vector<float> specs = spectrograms(3);
  const InverseOptions o = generated_note_inverse();
  std::vector<float> want(3 * size_t(kNoteSamples)), got(want.size());
  spectrograms_to_audio(specs.data(), 3, want.data(), o);
  const Buffer<float> in(specs);
  kernels::CudaSpectral cuda(2);
  cuda.to_audio_from_device(in.get(), 3, got.data(), o);
  Buffer<float> out(2 * size_t(kNoteSamples));
  cuda.to_audio_device(in.get(), 2, out.get(), o);
  cuda.synchronize();
  const std::vector<float> two = out.download(), want_two(want.begin(), want.begin() + long(two.size()));
  return {"NMSE", std::max(test::nmse(got, want), test::nmse(two, want_two)), 1e-10};
}

// The oscillator kernel (64 voices, blocks of 50 frames) against the CPU bank: sinpif vs
// std::sin, one float ulp of phase apart at the 60th harmonic.
Measure oscillators() {
  const test::OscillatorControls c(64, 120, 3);
  const std::vector<float> want = test::bank_output(c, 50), got = test::bank_output(c, 50, kernels::render_oscillator_block_via_gpu);
  return {"max |err|", max_abs_diff(got, want), 2e-4};
}
#endif  // TIMBREL_HAVE_CUDA

// The generator on the GPU against the CPU at fp32: cuDNN's fp32 sums in another order (max);
// TF32's 10-bit mantissa (mean, ~8x below bf16's); bf16 as on the CPU.
Measure generator(Precision precision) {
  const std::vector<float> want = generate_on(Device::Cpu, Precision::Fp32), got = generate_on(Device::Cuda, precision);
  if (precision == Precision::Fp32) return {"max |err|", max_abs_diff(got, want), 1e-3};
  return {"mean |err|", mean_abs_diff(got, want), precision == Precision::Tf32 ? 5e-3 : 0.03};
}

// The Engine on Device::Cuda against the Engine on the CPU: a note, and a sequence end to end.
Measure engine_note() {
  const std::vector<float> want = Engine(engine_options(Device::Cpu)).note(note_options());
  return {"SNR dB", snr(Engine(engine_options(Device::Cuda)).note(note_options()), want), 30, true};
}
Measure engine_render() {
  const std::vector<float> want = Engine(engine_options(Device::Cpu)).render(three_notes()).samples;
  return {"SNR dB", snr(Engine(engine_options(Device::Cuda)).render(three_notes()).samples, want), 30, true};
}

}  // namespace gpu

// ---- The table. A path that runs on a device gets a row here; DeviceTableCoverage fails while an
// entry point of kernels/ is named by none.

#if TIMBREL_HAVE_CUDA
#define TIMBREL_GPU_CHECK(f) Check(f)
#else
#define TIMBREL_GPU_CHECK(f) Check()  // never called: without the kernels the cuda rows skip
#endif

void add_kernel_rows(std::vector<Row>& rows) {
  using cpu::Decode;
  rows.push_back({"scale_normalize", "spectral scale: normalise",
                  {"spectral_scale.cu:scale_kernel", "spectral_scale.h:normalize_spectrogram_device", "spectral_scale.h:normalize_spectrogram_via_gpu"},
                  [] { return cpu::scale(true); }, TIMBREL_GPU_CHECK([] { return gpu::scale(true); })});
  rows.push_back({"scale_denormalize", "spectral scale: denormalise",
                  {"spectral_scale.h:denormalize_spectrogram_device", "spectral_scale.h:denormalize_spectrogram_via_gpu"},
                  [] { return cpu::scale(false); }, TIMBREL_GPU_CHECK([] { return gpu::scale(false); })});
  rows.push_back({"decode_two_pass", "spectral decode: cumulate + decode to C2R",
                  {"spectral_decode.cu:cumulate_kernel", "spectral_decode.cu:decode_kernel", "spectral_decode.h:launch_cumulate",
                   "spectral_decode.h:launch_decode_complex"},
                  [] { return cpu::decode(Decode::TwoPass); }, TIMBREL_GPU_CHECK([] { return gpu::decode(Decode::TwoPass); })});
  rows.push_back({"decode_fused", "spectral decode: one pass (IF path)",
                  {"spectral_decode.cu:decode_fused_kernel", "spectral_decode.h:launch_decode_fused"},
                  [] { return cpu::decode(Decode::Fused); }, TIMBREL_GPU_CHECK([] { return gpu::decode(Decode::Fused); })});
  rows.push_back({"decode_polar", "spectral decode: to magnitude + phase", {"spectral_decode.h:launch_decode_polar"},
                  [] { return cpu::decode(Decode::Polar); }, TIMBREL_GPU_CHECK([] { return gpu::decode(Decode::Polar); })});
  rows.push_back({"istft", "iSTFT: C2R + overlap-add",
                  {"stft.cu:overlap_add_kernel", "stft.h:launch_overlap_add", "stft.h:inverse"}, cpu::istft, TIMBREL_GPU_CHECK(gpu::istft)});
  rows.push_back({"stft", "STFT: framing + R2C", {"stft.cu:framing_kernel", "stft.h:launch_framing", "stft.h:forward"}, cpu::stft,
                  TIMBREL_GPU_CHECK(gpu::stft)});
  rows.push_back({"griffin_lim", "Griffin-Lim/FGLA: polar + projection",
                  {"griffin_lim.cu:polar_kernel", "griffin_lim.cu:project_kernel", "griffin_lim.h:launch_polar", "griffin_lim.h:launch_project"},
                  cpu::griffin_lim, TIMBREL_GPU_CHECK(gpu::griffin_lim)});
  rows.push_back({"ddsp_oscillators", "DDSP oscillator bank",
                  {"ddsp_oscillators.cu:oscillator_kernel", "ddsp_oscillators.h:oscillator_block_device",
                   "ddsp_oscillators.h:render_oscillator_block_via_gpu"},
                  cpu::oscillators, TIMBREL_GPU_CHECK(gpu::oscillators)});
}

void add_stage_rows(std::vector<Row>& rows) {
  using P = PhaseMethod;
  rows.push_back({"stage_if", "spectral stage, IF phase (to_audio)", {"spectral_cuda.h:to_audio"}, cpu::stage_if,
                  TIMBREL_GPU_CHECK([] { return gpu::stage({P::If}, 1e-10); })});
  const std::vector<P> iterative = {P::GriffinLim, P::Fgla, P::IfFgla}, pghi = {P::Pghi, P::PghiFgla};
  rows.push_back({"stage_griffin_lim", "spectral stage, GL / FGLA / IF+FGLA x8", {}, [=] { return cpu::stage_threads(iterative); },
                  TIMBREL_GPU_CHECK([=] { return gpu::stage(iterative, 1e-8); })});
  rows.push_back({"pghi", "PGHI phase, 3 notes per launch", {"pghi.cu:peak_kernel", "pghi.cu:cells_kernel", "pghi.cu:integrate_kernel",
                  "pghi.cu:phase_kernel", "pghi.h:launch_pghi"}, cpu::pghi, TIMBREL_GPU_CHECK(gpu::pghi)});
  rows.push_back({"stage_pghi", "spectral stage, PGHI / PGHI+FGLA x8", {}, [=] { return cpu::stage_threads(pghi); },
                  TIMBREL_GPU_CHECK([=] { return gpu::stage(pghi, 1e-8); })});
  rows.push_back({"stage_device_memory", "spectral stage from device memory (PGHI)",
                  {"spectral_cuda.h:to_audio_from_device", "spectral_cuda.h:to_audio_device"}, cpu::device_memory,
                  TIMBREL_GPU_CHECK(gpu::device_memory)});
}

void add_model_rows(std::vector<Row>& rows) {
  for (Precision p : {Precision::Fp32, Precision::Tf32, Precision::Bf16})
    rows.push_back({"generator_" + to_string(p), "GANSynth generator, " + to_string(p), {}, [p] { return cpu::generator(p); },
                    [p] { return gpu::generator(p); }, Needs::CudaTorch});
  rows.push_back({"engine_note", "Engine end to end: note", {}, cpu::engine_note, gpu::engine_note});
  rows.push_back({"engine_render", "Engine end to end: render (3 notes)", {}, cpu::engine_render, gpu::engine_render});
}

const std::vector<Row>& rows() {
  static const std::vector<Row> all = [] {
    std::vector<Row> r;
    add_kernel_rows(r);
    add_stage_rows(r);
    add_model_rows(r);
    return r;
  }();
  return all;
}

// Why a cuda row cannot run here ("" when it can).
std::string cuda_missing(Needs needs) {
  if (needs == Needs::CudaTorch)
    return Gansynth::cuda_available() ? "" : "this libtorch has no CUDA or sees no GPU (Gansynth::cuda_available)";
#if TIMBREL_HAVE_CUDA
  std::string why;
  return kernels::cuda_available(&why) ? "" : "no GPU: " + why;
#else
  return "built without CUDA (TIMBREL_CUDA=OFF or no nvcc)";
#endif
}

class DeviceTable : public ::testing::TestWithParam<std::tuple<size_t, std::string>> {};

TEST_P(DeviceTable, AgreesWithTheCpuTwin) {
  const Row& row = rows()[std::get<0>(GetParam())];
  const std::string device = std::get<1>(GetParam());
  if (device == "cuda") {
    const std::string missing = cuda_missing(row.needs);
    if (!missing.empty()) {
      results().push_back({row.path, device, "skipped", {}});
      GTEST_SKIP() << "cuda row of '" << row.path << "' skipped: " << missing;
    }
  }
  const Measure m = device == "cuda" ? row.cuda() : row.cpu();
  results().push_back({row.path, device, m.pass() ? "pass" : "FAIL", m});
  EXPECT_TRUE(m.pass()) << row.path << " on " << device << ": " << m.metric << " " << m.value << (m.at_least ? " < " : " > ")
                        << m.tolerance;
}

INSTANTIATE_TEST_SUITE_P(Paths, DeviceTable, ::testing::Combine(::testing::Range(size_t(0), rows().size()), ::testing::Values("cpu", "cuda")),
                         [](const ::testing::TestParamInfo<DeviceTable::ParamType>& info) {
                           return rows()[std::get<0>(info.param)].id + "_" + std::get<1>(info.param);
                         });

}  // namespace

// ---- Coverage: every device entry point in the source tree is named by a row.
namespace {

namespace fs = std::filesystem;

std::string without_comments(const std::string& path) {
  std::ifstream in(path);
  std::string line, out;
  while (std::getline(in, line)) out += line.substr(0, line.find("//")) + "\n";
  return out;
}

// "file:name" of every __global__ kernel in a .cu file and of every launcher declared in a kernels/
// header (a declaration ending in ';' that takes a float* : data in or out on the device).
std::set<std::string> device_entry_points(const fs::path& kernels) {
  static const std::regex global(R"(__global__\s+void\s+(\w+)\s*\()");
  static const std::regex declaration(R"((\w+)\s*\(([^()]*)\)\s*(const\s*)?;)");
  static const std::regex float_pointer(R"(float\s*\*\s*\w+)");
  std::set<std::string> found;
  for (const auto& entry : fs::directory_iterator(kernels)) {
    const std::string file = entry.path().filename().string(), ext = entry.path().extension().string(),
                      text = without_comments(entry.path().string());
    if (ext == ".cu" || ext == ".cuh")
      for (std::sregex_iterator it(text.begin(), text.end(), global), end; it != end; ++it) found.insert(file + ":" + (*it)[1].str());
    if (ext == ".h")
      for (std::sregex_iterator it(text.begin(), text.end(), declaration), end; it != end; ++it)
        if (std::regex_search((*it)[2].str(), float_pointer)) found.insert(file + ":" + (*it)[1].str());
  }
  return found;
}

// Entry points that are not device paths of their own, with the reason.
const std::map<std::string, std::string>& not_paths() {
  static const std::map<std::string, std::string> m = {
      {"spectral_cuda.h:time_on_device", "a benchmark timer over to_audio_device's launches: returns times, no audio"}};
  return m;
}

TEST(DeviceTableCoverage, EveryKernelAndLauncherHasARow) {
  const fs::path root = TIMBREL_SOURCE_DIR;
  const std::set<std::string> found = device_entry_points(root / "kernels");
  std::set<std::string> named;
  for (const Row& r : rows()) named.insert(r.covers.begin(), r.covers.end());
  std::printf("%zu device entry points in kernels/, %zu named by the table's %zu rows\n", found.size(), named.size(), rows().size());
  // The scan itself must work: a broken pattern would otherwise pass everything.
  EXPECT_TRUE(found.count("spectral_decode.cu:decode_fused_kernel")) << "the scan of " << root / "kernels" << " missed a kernel";
  EXPECT_TRUE(found.count("griffin_lim.h:launch_project")) << "the scan missed a launcher declared over two lines";
  for (const std::string& e : found)
    EXPECT_TRUE(named.count(e) || not_paths().count(e)) << e << " runs on a device but no row of tests/test_device_table.cpp names it";
  for (const std::string& n : named) EXPECT_TRUE(found.count(n)) << "a row names " << n << ", which kernels/ no longer has";
  for (const auto& [e, why] : not_paths()) EXPECT_TRUE(found.count(e)) << "the exemption of " << e << " is stale";
  // CUDA code lives in kernels/ only: a kernel elsewhere would escape the scan.
  for (const char* dir : {"src", "bench", "python"})
    if (fs::exists(root / dir)) {
      for (const auto& entry : fs::recursive_directory_iterator(root / dir))
        EXPECT_NE(entry.path().extension(), ".cu") << entry.path() << ": CUDA sources belong in kernels/";
    }
}

}  // namespace
