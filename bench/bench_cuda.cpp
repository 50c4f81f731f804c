// The CUDA spectral stage (CudaSpectral), device-resident, with the GPU's time from CUDA events
// (manual timing): spectrogram -> audio by phase method and batch. items_per_second = notes per
// second; bytes_per_second counts what each note's stages read and write. Reports an error per
// benchmark when no GPU is usable.
#include <benchmark/benchmark.h>

#include <cmath>
#include <memory>
#include <string>
#include <vector>

#include "bench_notes.h"
#include "cuda_info.h"
#include "spectral_cuda.h"
#include "timbrel/spectral.h"

using namespace timbrel;

namespace {

std::vector<float> spectrograms(size_t batch) {
  const auto one = audio_to_spectrogram(bench::harmonic_note(), SpectralScale::Mel);
  std::vector<float> out;
  for (size_t b = 0; b < batch; ++b) out.insert(out.end(), one.begin(), one.end());
  return out;
}

// False (the benchmark marked skipped) without a usable GPU.
bool have_gpu(benchmark::State& state) {
  std::string why;
  if (kernels::cuda_available(&why)) return true;
  state.SkipWithError(("no GPU: " + why).c_str());
  return false;
}

void run(benchmark::State& state, PhaseMethod phase) {
  if (!have_gpu(state)) return;
  const size_t batch = size_t(state.range(0));
  const auto specs = spectrograms(batch);
  kernels::CudaSpectral gpu(batch);
  InverseOptions o;
  o.phase = phase;
  o.iterations = 8;
  for (auto _ : state) {
    const kernels::StageTimes t = gpu.time_on_device(specs.data(), batch, o, 1);
    state.SetIterationTime((t.decode + t.inverse_fft + t.overlap_add + t.polish) * 1e-3);
  }
  state.SetItemsProcessed(int64_t(state.iterations()) * int64_t(batch));
  // IF path: decode 2.1 MB + C2R 2.1 MB + overlap-add 1.3 MB read + written per note.
  if (phase == PhaseMethod::If) state.SetBytesProcessed(int64_t(state.iterations()) * int64_t(batch) * int64_t(5.5e6));
}

// PGHI (the generated notes' default phase) with its integration on the device (range 1 = 1: one
// thread a note) or on the host (0: pghi_phase a note at a time, the default), wall time with
// transfers: from which batch, if any, the device placement should become the default.
void BM_CudaPghi(benchmark::State& state) {
  if (!have_gpu(state)) return;
  const size_t batch = size_t(state.range(0));
  const auto specs = spectrograms(batch);
  kernels::CudaSpectral gpu(batch);
  gpu.set_pghi_placement(state.range(1) ? kernels::PghiPlacement::Device : kernels::PghiPlacement::Host);
  InverseOptions o;
  o.phase = PhaseMethod::Pghi;
  std::vector<float> audio(batch * size_t(kNoteSamples));
  for (auto _ : state) gpu.to_audio(specs.data(), batch, audio.data(), o);
  state.SetItemsProcessed(int64_t(state.iterations()) * int64_t(batch));
  state.SetLabel(state.range(1) ? "PGHI on the device" : "PGHI on the host");
}

void BM_CudaSpectrogramToAudio(benchmark::State& state) { run(state, PhaseMethod::If); }
void BM_CudaIfPlus8Fgla(benchmark::State& state) { run(state, PhaseMethod::IfFgla); }

}  // namespace

BENCHMARK(BM_CudaSpectrogramToAudio)->Arg(1)->Arg(64)->Arg(256)->Arg(1024)->UseManualTime()->Unit(benchmark::kMillisecond);
BENCHMARK(BM_CudaPghi)->ArgsProduct({{16, 64, 256}, {0, 1}})->UseRealTime()->Unit(benchmark::kMillisecond);
BENCHMARK(BM_CudaIfPlus8Fgla)->Arg(1)->Arg(64)->Arg(256)->UseManualTime()->Unit(benchmark::kMillisecond);

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  std::string why;
  if (kernels::cuda_available(&why)) {
    const double copy = kernels::copy_bandwidth_gb_s();
    benchmark::AddCustomContext("copy_bandwidth_gb_s", std::to_string(copy));
  }
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
