// CudaSpectral: device buffers, constant tables and the order of launches for each phase method.
#include "spectral_cuda.h"

#include <cuda_runtime.h>

#include <algorithm>
#include <map>
#include <vector>

#include "cuda_check.h"
#include "griffin_lim.h"
#include "pghi.h"
#include "spectral/gansynth_contract.h"
#include "spectral/gansynth_spectrogram.h"
#include "spectral/mel.h"
#include "spectral/phase_reconstruction.h"
#include "spectral/pghi_ops.h"
#include "spectral_decode.h"
#include "stft.h"

namespace timbrel::kernels {
namespace {

constexpr int kFrames = gansynth::kFrames, kN = gansynth::kFftSize, kHop = gansynth::kHop;
constexpr size_t kSpecValues = size_t(kFrames) * gansynth::kBins * 2;
constexpr size_t kCoefficients = size_t(kFrames) * kStftBins;  // per note
constexpr size_t kSignal = size_t(kFrames - 1) * kHop + kN;     // padded signal per note

// A device array freed with its owner.
template <typename T>
class DeviceArray {
 public:
  DeviceArray() = default;
  explicit DeviceArray(size_t n) { resize(n); }
  ~DeviceArray() { cudaFree(p_); }
  DeviceArray(const DeviceArray&) = delete;
  DeviceArray& operator=(const DeviceArray&) = delete;
  void resize(size_t n) {
    if (n <= n_) return;
    cudaFree(p_);
    p_ = nullptr;
    n_ = 0;
    TIMBREL_CUDA_CHECK(cudaMalloc(&p_, n * sizeof(T)));
    n_ = n;
  }
  void upload(const std::vector<T>& v) {
    resize(v.size());
    TIMBREL_CUDA_CHECK(cudaMemcpy(p_, v.data(), v.size() * sizeof(T), cudaMemcpyHostToDevice));
  }
  T* get() const { return p_; }

 private:
  T* p_ = nullptr;
  size_t n_ = 0;
};

class Event {
 public:
  Event() { TIMBREL_CUDA_CHECK(cudaEventCreate(&e_)); }
  ~Event() { cudaEventDestroy(e_); }
  void record(cudaStream_t s) { TIMBREL_CUDA_CHECK(cudaEventRecord(e_, s)); }
  double ms_since(const Event& start) const {
    float ms = 0;
    TIMBREL_CUDA_CHECK(cudaEventSynchronize(e_));
    TIMBREL_CUDA_CHECK(cudaEventElapsedTime(&ms, start.e_, e_));
    return ms;
  }

 private:
  cudaEvent_t e_ = nullptr;
};

}  // namespace

bool cuda_available(std::string* why) {
  int count = 0;
  const cudaError_t err = cudaGetDeviceCount(&count);
  if (err != cudaSuccess || count == 0) {
    if (why) *why = err != cudaSuccess ? cudaGetErrorString(err) : "no CUDA device";
    cudaGetLastError();  // clear the sticky error of a failed probe
    return false;
  }
  return true;
}

struct CudaSpectral::Impl {
  size_t max_notes;
  cudaStream_t stream = nullptr;
  std::map<size_t, std::unique_ptr<FftPlans>> plans;  // by notes per launch
  DeviceArray<int> m2l_start, m2l_index;
  DeviceArray<float> m2l_weight, analysis, synthesis_exact, synthesis_js;
  DeviceArray<float> specs, power, phase, spectrum, frames, audio, magnitude, polar_phase, t, t_prev, signal;
  DeviceArray<pghi::Cell> pghi_cells;  // PGHI's scratch: only allocated when PGHI runs on the device
  DeviceArray<uint64_t> pghi_heap, pghi_seeds;
  DeviceArray<PghiNotePeak> pghi_peaks;
  StageTimes times;
  PghiPlacement pghi_placement = PghiPlacement::Host;
  bool one_pass = true;  // every linear bin within kMaxContributors mel terms
  Event e0, e1, e2, e3, e4, e5;

  explicit Impl(size_t n) : max_notes(n) {
    if (n == 0) throw Error("cuda", "max_notes must be positive");
    // A blocking stream: it waits for work on the legacy default stream, where libtorch's kernels
    // run, so a generator's output on the device is complete before these kernels read it.
    TIMBREL_CUDA_CHECK(cudaStreamCreateWithFlags(&stream, cudaStreamDefault));
    const SparseColumns& m2l = gansynth_mel_to_linear();
    for (int c = 0; c < m2l.outputs; ++c) one_pass = one_pass && m2l.start[size_t(c) + 1] - m2l.start[size_t(c)] <= kMaxContributors;
    m2l_start.upload(m2l.start);
    m2l_index.upload(m2l.index);
    m2l_weight.upload(m2l.weight);
    analysis.upload(gansynth::stft_for(SpectralCompat::Exact).analysis_window());
    synthesis_exact.upload(gansynth::stft_for(SpectralCompat::Exact).synthesis_scaled());
    synthesis_js.upload(gansynth::stft_for(SpectralCompat::MagentaJs).synthesis_scaled());
    spectrum.resize(n * kCoefficients * 2);
    frames.resize(n * kFrames * size_t(kN));
  }
  ~Impl() {
    if (stream) cudaStreamDestroy(stream);
  }
  const FftPlans& fft(size_t notes) {
    auto& p = plans[notes];
    if (!p) p = std::make_unique<FftPlans>(kN, notes * kFrames, stream);
    return *p;
  }
  // Pass 1 of the two-pass decode (its buffers only exist when that form runs).
  void cumulate(const float* in, size_t notes) {
    power.resize(max_notes * kFrames * gansynth::kBins);
    phase.resize(max_notes * kFrames * gansynth::kBins);
    launch_cumulate(in, notes, kFrames, power.get(), phase.get(), stream);
  }
  SparseView m2l() const { return {m2l_start.get(), m2l_index.get(), m2l_weight.get()}; }

  // spectrum (C2R input) -> audio rows: samples [first, first + samples) of each padded signal.
  void synthesize(size_t notes, const float* window, size_t first, size_t samples, float* out) {
    fft(notes).inverse(spectrum.get(), frames.get());
    launch_overlap_add(frames.get(), window, notes, kFrames, kN, kHop, first, samples, out, stream);
  }

  void run(const float* in, size_t notes, float* out, const InverseOptions& o) {
    const bool mel = o.scale == SpectralScale::Mel;
    const float eps = o.compat == SpectralCompat::Exact ? float(gansynth::kLogEpsilon) : 0.0f;
    const float* window = o.compat == SpectralCompat::Exact ? synthesis_exact.get() : synthesis_js.get();
    e0.record(stream);
    if (o.phase == PhaseMethod::If) {
      if (one_pass) {
        launch_decode_fused(in, notes, kFrames, mel, m2l(), eps, spectrum.get(), stream);
      } else {
        cumulate(in, notes);
        launch_decode_complex(power.get(), phase.get(), notes, kFrames, mel, m2l(), eps, spectrum.get(), stream);
      }
      e1.record(stream);
      fft(notes).inverse(spectrum.get(), frames.get());
      e2.record(stream);
      launch_overlap_add(frames.get(), window, notes, kFrames, kN, kHop, gansynth::kFrontPadding, kNoteSamples, out, stream);
      e3.record(stream);
      times.decode = e1.ms_since(e0);
      times.inverse_fft = e2.ms_since(e1);
      times.overlap_add = e3.ms_since(e2);
      times.polish = 0;
      return;
    }
    cumulate(in, notes);
    const size_t count = notes * kCoefficients;
    magnitude.resize(max_notes * kCoefficients);
    polar_phase.resize(max_notes * kCoefficients);
    launch_decode_polar(power.get(), phase.get(), notes, kFrames, mel, m2l(), eps, magnitude.get(), polar_phase.get(), stream);
    e1.record(stream);
    if (o.phase == PhaseMethod::Pghi || o.phase == PhaseMethod::PghiFgla) {
      pghi_placement == PghiPlacement::Device ? pghi_on_device(notes) : pghi_on_host(notes);
    } else if (o.phase != PhaseMethod::If && o.phase != PhaseMethod::IfFgla) random_phase_on_host(notes, o);
    launch_polar(magnitude.get(), polar_phase.get(), count, kStftBins, spectrum.get(), stream);
    const bool iterate = o.phase == PhaseMethod::GriffinLim || o.phase == PhaseMethod::Fgla || o.phase == PhaseMethod::IfFgla ||
                         o.phase == PhaseMethod::PghiFgla;
    e2.record(stream);
    if (iterate) {
      if (o.iterations < 0) throw Error("iterations", "must be 0 or more");
      t.resize(max_notes * kCoefficients * 2);
      t_prev.resize(max_notes * kCoefficients * 2);
      signal.resize(max_notes * kSignal);
      const float momentum = o.phase == PhaseMethod::GriffinLim ? 0.0f : o.momentum;
      for (int it = 0; it < o.iterations; ++it) {
        synthesize(notes, window, 0, kSignal, signal.get());
        launch_framing(signal.get(), kSignal, analysis.get(), notes, kFrames, kN, kHop, frames.get(), stream);
        fft(notes).forward(frames.get(), t.get());
        launch_project(t.get(), t_prev.get(), magnitude.get(), momentum, it == 0, count, kStftBins, spectrum.get(), stream);
      }
    }
    e3.record(stream);
    synthesize(notes, window, gansynth::kFrontPadding, kNoteSamples, out);
    e4.record(stream);
    times.decode = e1.ms_since(e0);
    times.polish = e3.ms_since(e2);
    times.inverse_fft = 0;
    times.overlap_add = e4.ms_since(e3);
  }

  // PGHI phases of the decoded magnitudes, on the device (the CPU path's order and arithmetic).
  void pghi_on_device(size_t notes) {
    pghi_cells.resize(notes * size_t(kFrames + 2) * size_t(kStftBins + 2));  // ~6.4 MB a note; grows only
    pghi_heap.resize(notes * kCoefficients);
    pghi_seeds.resize(notes * kCoefficients);
    pghi_peaks.resize(notes);
    const PghiDeviceScratch scratch{pghi_cells.get(), pghi_heap.get(), pghi_seeds.get(), pghi_peaks.get()};
    launch_pghi(magnitude.get(), notes, kFrames, kStftBins, kN, kHop, hann_pghi_gamma(kN), kPghiTolerance, scratch, polar_phase.get(), stream);
  }

  // The same phases from the CPU path's pghi_phase, a note at a time.
  void pghi_on_host(size_t notes) {
    std::vector<float> mag(kCoefficients), ph(kCoefficients);
    for (size_t i = 0; i < notes; ++i) {
      TIMBREL_CUDA_CHECK(cudaMemcpyAsync(mag.data(), magnitude.get() + i * kCoefficients, kCoefficients * sizeof(float), cudaMemcpyDeviceToHost,
                                         stream));
      TIMBREL_CUDA_CHECK(cudaStreamSynchronize(stream));
      pghi_phase(mag.data(), kFrames, kStftBins, kN, kHop, hann_pghi_gamma(kN), ph.data());
      TIMBREL_CUDA_CHECK(cudaMemcpyAsync(polar_phase.get() + i * kCoefficients, ph.data(), kCoefficients * sizeof(float), cudaMemcpyHostToDevice,
                                         stream));
      TIMBREL_CUDA_CHECK(cudaStreamSynchronize(stream));  // ph is reused
    }
  }

  // Random initial phases (Griffin-Lim, FGLA) come from the CPU path's own function.
  void random_phase_on_host(size_t notes, const InverseOptions& o) {
    std::vector<float> ph(kCoefficients);
    random_phase(ph.data(), kCoefficients, o.seed);  // the same seed for every note, as the CPU path
    for (size_t i = 0; i < notes; ++i)
      TIMBREL_CUDA_CHECK(cudaMemcpyAsync(polar_phase.get() + i * kCoefficients, ph.data(), kCoefficients * sizeof(float),
                                         cudaMemcpyHostToDevice, stream));
    TIMBREL_CUDA_CHECK(cudaStreamSynchronize(stream));  // ph is freed on return
  }
};

CudaSpectral::CudaSpectral(size_t max_notes) : impl_(std::make_unique<Impl>(max_notes)) {}
CudaSpectral::~CudaSpectral() = default;
void* CudaSpectral::stream() const { return impl_->stream; }
size_t CudaSpectral::max_notes() const { return impl_->max_notes; }
const StageTimes& CudaSpectral::times() const { return impl_->times; }
void CudaSpectral::set_pghi_placement(PghiPlacement placement) { impl_->pghi_placement = placement; }
void CudaSpectral::synchronize() const { TIMBREL_CUDA_CHECK(cudaStreamSynchronize(impl_->stream)); }

void CudaSpectral::to_audio_device(const float* spectrograms, size_t count, float* audio, const InverseOptions& o) {
  if (count > impl_->max_notes) throw Error("cuda spectral", "batch of " + std::to_string(count) + " exceeds max_notes");
  impl_->run(spectrograms, count, audio, o);
}

void CudaSpectral::to_audio_from_device(const float* device_spectrograms, size_t count, float* audio, const InverseOptions& o) {
  Impl& d = *impl_;
  d.audio.resize(d.max_notes * size_t(kNoteSamples));
  for (size_t first = 0; first < count; first += d.max_notes) {
    const size_t n = std::min(d.max_notes, count - first);
    d.run(device_spectrograms + first * kSpecValues, n, d.audio.get(), o);
    TIMBREL_CUDA_CHECK(cudaMemcpyAsync(audio + first * size_t(kNoteSamples), d.audio.get(), n * size_t(kNoteSamples) * sizeof(float),
                                       cudaMemcpyDeviceToHost, d.stream));
    synchronize();
  }
}

StageTimes CudaSpectral::time_on_device(const float* spectrograms, size_t count, const InverseOptions& o, int repeats) {
  Impl& d = *impl_;
  if (count > d.max_notes) throw Error("cuda spectral", "batch of " + std::to_string(count) + " exceeds max_notes");
  d.specs.resize(d.max_notes * kSpecValues);
  d.audio.resize(d.max_notes * size_t(kNoteSamples));
  TIMBREL_CUDA_CHECK(cudaMemcpy(d.specs.get(), spectrograms, count * kSpecValues * sizeof(float), cudaMemcpyHostToDevice));
  d.run(d.specs.get(), count, d.audio.get(), o);  // warm-up (plans, first launches)
  StageTimes sum;
  for (int i = 0; i < repeats; ++i) {
    d.run(d.specs.get(), count, d.audio.get(), o);
    sum.decode += d.times.decode / repeats;
    sum.inverse_fft += d.times.inverse_fft / repeats;
    sum.overlap_add += d.times.overlap_add / repeats;
    sum.polish += d.times.polish / repeats;
  }
  synchronize();
  return sum;
}

void CudaSpectral::to_audio(const float* spectrograms, size_t count, float* audio, const InverseOptions& o) {
  Impl& d = *impl_;
  d.specs.resize(d.max_notes * kSpecValues);
  d.audio.resize(d.max_notes * size_t(kNoteSamples));
  double transfer = 0;
  StageTimes total;
  for (size_t first = 0; first < count; first += d.max_notes) {
    const size_t n = std::min(d.max_notes, count - first);
    Event a, b, c, e;
    a.record(d.stream);
    TIMBREL_CUDA_CHECK(cudaMemcpyAsync(d.specs.get(), spectrograms + first * kSpecValues, n * kSpecValues * sizeof(float),
                                       cudaMemcpyHostToDevice, d.stream));
    b.record(d.stream);
    d.run(d.specs.get(), n, d.audio.get(), o);
    c.record(d.stream);
    TIMBREL_CUDA_CHECK(cudaMemcpyAsync(audio + first * size_t(kNoteSamples), d.audio.get(), n * size_t(kNoteSamples) * sizeof(float),
                                       cudaMemcpyDeviceToHost, d.stream));
    e.record(d.stream);
    transfer += b.ms_since(a) + e.ms_since(c);
    total.decode += d.times.decode;
    total.inverse_fft += d.times.inverse_fft;
    total.overlap_add += d.times.overlap_add;
    total.polish += d.times.polish;
  }
  synchronize();
  total.transfer = transfer;
  d.times = total;
}

}  // namespace timbrel::kernels
