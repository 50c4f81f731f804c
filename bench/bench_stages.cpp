// timbrel_bench_stages: each spectral stage on its own (Griffin-Lim iteration, PGHI; on a GPU the
// device-resident kernels against the measured copy bandwidth, the DDSP oscillator bank), beside
// the generator; one JSON object. It reaches below the public API (the stages are not API), so it
// lives here, not in the `timbrel` command (whose `bench` times the public paths).
#include <chrono>
#include <cmath>
#include <cstdio>
#include <functional>
#include <iostream>
#include <nlohmann/json.hpp>
#include <thread>

#include <CLI/CLI.hpp>

#include "bench_notes.h"
#include "spectral/gansynth_contract.h"
#include "spectral/gansynth_spectrogram.h"
#include "spectral/phase_reconstruction.h"
#include "timbrel/build_config.h"
#include "timbrel/engine.h"
#include "timbrel/error.h"
#include "timbrel/gansynth.h"
#include "timbrel/spectral.h"
#if TIMBREL_HAVE_CUDA
#include "cuda_info.h"
#include "ddsp_oscillators.h"
#include "spectral_cuda.h"
#endif

namespace timbrel {
namespace {

void print_error(const std::string& m) { std::fprintf(stderr, "timbrel_bench_stages: %s\n", m.c_str()); }

struct Options {
  std::string device = "cpu", precision = "fp32";
  int batch = 8, threads = 1;
  double seconds = 1.0;
  bool json = false;
};

// Seconds per call: repeats until `budget` seconds have passed (at least 3 calls), after a warm-up.
double time_per_call(const std::function<void()>& fn, double budget) {
  using clock = std::chrono::steady_clock;
  fn();
  int calls = 0;
  auto start = clock::now();
  double elapsed = 0;
  while (calls < 3 || elapsed < budget) {
    fn();
    ++calls;
    elapsed = std::chrono::duration<double>(clock::now() - start).count();
  }
  return elapsed / calls;
}

// The bundled timbre model's forward pass, where the engine placed it (the GPU when libtorch has
// CUDA and the engine chose the GPU).
void bench_generator(nlohmann::json& r, Engine& engine, int batch, double seconds, const std::string& precision) {
  std::string dir;
  try {
    dir = bundled_model_path("gm-timbres");
  } catch (const Error&) {
    return;  // no bundled model next to this build: the generator is not measured
  }
  const Gansynth& g = engine.timbre_model();
  std::vector<float> z;
  std::vector<int> pitches;
  for (int b = 0; b < batch; ++b) {
    const auto t = g.timbre("seed:" + std::to_string(b));
    z.insert(z.end(), t.begin(), t.end());
    pitches.push_back(48 + b % 24);
  }
  const double t = time_per_call([&] { g.generate(z, pitches); }, seconds);
  r["generator"] = {{"model", dir}, {"device", to_string(g.device())}, {"precision", precision}, {"parameters", g.info().parameters}};
  r["generator_ms_per_note"] = 1e3 * t / batch;
}

#if TIMBREL_HAVE_CUDA
// The GPU spectral stage, device-resident, per stage, against the measured copy bandwidth.
void bench_cuda(const Options& o, Engine& engine, const std::vector<float>& spec) {
  const size_t batch = size_t(o.batch);
  std::vector<float> specs(spec.size() * batch);
  for (size_t b = 0; b < batch; ++b) std::copy(spec.begin(), spec.end(), specs.begin() + long(b * spec.size()));
  kernels::CudaSpectral gpu(batch);
  const auto devices = kernels::cuda_devices();
  const double copy = kernels::copy_bandwidth_gb_s();
  InverseOptions inv;
  const kernels::StageTimes s = gpu.time_on_device(specs.data(), batch, inv, 20);
  // Bytes each stage reads + writes per note (float32): the one-pass decode reads the spectrogram
  // and writes the complex spectrum; C2R reads it and writes the frames; overlap-add reads the
  // frames and writes the audio.
  const double spec_b = double(kSpectrogramValues) * 4, complex_b = 128.0 * 1025 * 8, frames_b = 128.0 * 2048 * 4, audio_b = kNoteSamples * 4.0;
  const double decode_b = spec_b + complex_b, ifft_b = complex_b + frames_b, ola_b = frames_b + audio_b;
  const double total_ms = s.decode + s.inverse_fft + s.overlap_add;
  auto gbs = [&](double bytes, double ms) { return bytes * double(batch) / (ms * 1e-3) / 1e9; };
  nlohmann::json r = {{"device", "cuda:0 (" + (devices.empty() ? std::string("?") : devices.front().name) + ")"},
                      {"batch", o.batch},
                      {"copy_bandwidth_gb_s", copy},
                      {"spectral_to_audio_ms_per_note", total_ms / double(batch)},
                      {"spectral_notes_per_second", 1e3 * double(batch) / total_ms},
                      {"spectral_realtime_factor", 4.0 * 1e3 * double(batch) / total_ms},
                      {"stages",
                       {{"decode", {{"ms", s.decode}, {"gb_s", gbs(decode_b, s.decode)}, {"of_copy", gbs(decode_b, s.decode) / copy}}},
                        {"inverse_fft", {{"ms", s.inverse_fft}, {"gb_s", gbs(ifft_b, s.inverse_fft)}, {"of_copy", gbs(ifft_b, s.inverse_fft) / copy}}},
                        {"overlap_add", {{"ms", s.overlap_add}, {"gb_s", gbs(ola_b, s.overlap_add)}, {"of_copy", gbs(ola_b, s.overlap_add) / copy}}}}},
                      // The floor: the spectrogram read once and the audio written once.
                      {"floor_ms_per_note", (spec_b + audio_b) / (copy * 1e9) * 1e3}};
  std::vector<float> audio(batch * size_t(kNoteSamples));
  r["with_transfers_ms_per_note"] = 1e3 * time_per_call([&] { gpu.to_audio(specs.data(), batch, audio.data(), inv); }, o.seconds) / double(batch);
  inv.phase = PhaseMethod::IfFgla;
  inv.iterations = 8;
  const kernels::StageTimes f = gpu.time_on_device(specs.data(), batch, inv, 3);
  r["fgla_iteration_ms_per_note"] = f.polish / 8 / double(batch);
  // DDSP's oscillator bank: how many 60-harmonic voices the GPU plays in real time.
  r["ddsp_voices_real_time"] = kernels::oscillator_voices_real_time(16384);
  bench_generator(r, engine, std::min(o.batch, 64), o.seconds, o.precision);
  if (r.contains("generator_ms_per_note"))
    r["notes_per_second"] = 1e3 / (r["generator_ms_per_note"].get<double>() + r["spectral_to_audio_ms_per_note"].get<double>());
  if (o.json) {
    std::cout << r.dump() << std::endl;
    return;
  }
  std::printf("timbrel bench (%s, batch %d; copy bandwidth %.0f GB/s read+write)\n", r["device"].get<std::string>().c_str(), o.batch, copy);
  for (const char* stage : {"decode", "inverse_fft", "overlap_add"}) {
    const auto& st = r["stages"][stage];
    std::printf("  %-14s %8.3f ms  %7.0f GB/s  %4.0f%% of copy\n", stage, st["ms"].get<double>(), st["gb_s"].get<double>(),
                100 * st["of_copy"].get<double>());
  }
  std::printf("  spectrogram -> audio %.4f ms/note (%.0f notes/s; floor %.4f ms/note), with transfers %.4f ms/note\n",
              r["spectral_to_audio_ms_per_note"].get<double>(), r["spectral_notes_per_second"].get<double>(),
              r["floor_ms_per_note"].get<double>(), r["with_transfers_ms_per_note"].get<double>());
  std::printf("  FGLA iteration %.4f ms/note\n", r["fgla_iteration_ms_per_note"].get<double>());
  std::printf("  DDSP oscillator bank: %.0f voices of 60 harmonics in real time (16384 voices per launch)\n",
              r["ddsp_voices_real_time"].get<double>());
  if (r.contains("generator_ms_per_note"))
    std::printf("  generator (%s) %.2f ms/note; end to end %.0f notes/s\n", r["generator"]["device"].get<std::string>().c_str(),
                r["generator_ms_per_note"].get<double>(),
                r["notes_per_second"].get<double>());
}
#endif

void run(const Options& o) {
  if (o.batch < 1) throw Error("--batch", "must be at least 1");
  EngineOptions params;
  params.device = parse_device(o.device);
  params.precision = parse_precision(o.precision);
  params.log = [](const std::string& m) { print_error(m); };
  Engine engine(params);
  const std::string device = engine.compute_name();
  if (device != "cpu") {
#if TIMBREL_HAVE_CUDA
    bench_cuda(o, engine, audio_to_spectrogram(bench::swept_note(), SpectralScale::Mel));
#endif
    return;
  }
  const int threads = o.threads > 0 ? o.threads : int(std::max(1u, std::thread::hardware_concurrency()));
  auto note = bench::swept_note();
  auto spec = audio_to_spectrogram(note, SpectralScale::Mel);
  std::vector<float> specs(spec.size() * size_t(o.batch)), audio(size_t(kNoteSamples) * size_t(o.batch));
  for (int b = 0; b < o.batch; ++b) std::copy(spec.begin(), spec.end(), specs.begin() + long(b * spec.size()));

  nlohmann::json r = {{"device", "cpu"}, {"batch", o.batch}, {"threads", threads}};
  InverseOptions inv;  // mel, IF phase: the generator's path
  double t = time_per_call([&] { spectrograms_to_audio(specs.data(), size_t(o.batch), audio.data(), inv, threads); }, o.seconds);
  r["spectral_to_audio_ms_per_note"] = 1e3 * t / o.batch;
  r["spectral_to_audio_notes_per_s"] = o.batch / t;
  r["spectral_to_audio_realtime_factor"] = o.batch * 4.0 / t;
  t = time_per_call([&] { audio_to_spectrogram(note, SpectralScale::Mel); }, o.seconds);
  r["audio_to_spectrogram_ms_per_note"] = 1e3 * t;
  // Phase reconstruction stages on one note's exact linear magnitudes.
  std::vector<cfloat> stft(size_t(gansynth::kFrames) * gansynth::kStftBins);
  gansynth::audio_to_stft(note.data(), note.size(), stft.data());
  std::vector<float> mag(stft.size()), phase(stft.size());
  for (size_t i = 0; i < stft.size(); ++i) mag[i] = std::abs(stft[i]);
  const Stft& s = gansynth::stft_for(SpectralCompat::Exact);
  std::vector<float> signal(s.signal_length(gansynth::kFrames));
  t = time_per_call([&] { fast_griffin_lim(s, mag.data(), gansynth::kFrames, phase.data(), 8, 0.99f, signal.data()); }, o.seconds);
  r["griffin_lim_iteration_ms_per_note"] = 1e3 * t / 8;
  t = time_per_call([&] {
    pghi_phase(mag.data(), gansynth::kFrames, gansynth::kStftBins, 2048, 512, hann_pghi_gamma(2048), phase.data());
  }, o.seconds);
  r["pghi_ms_per_note"] = 1e3 * t;
  bench_generator(r, engine, o.batch, o.seconds, o.precision);
  if (r.contains("generator_ms_per_note"))
    r["notes_per_second"] = 1e3 / (r["generator_ms_per_note"].get<double>() + r["spectral_to_audio_ms_per_note"].get<double>());

  if (o.json) {
    std::cout << r.dump() << std::endl;
    return;
  }
  std::printf("timbrel bench (cpu, %d thread%s, batch %d)\n", threads, threads == 1 ? "" : "s", o.batch);
  std::printf("  %-34s %8.3f ms/note  %9.1f notes/s  %7.0fx real time\n", "spectrogram -> audio (mel, IF)",
              r["spectral_to_audio_ms_per_note"].get<double>(), r["spectral_to_audio_notes_per_s"].get<double>(),
              r["spectral_to_audio_realtime_factor"].get<double>());
  std::printf("  %-34s %8.3f ms/note\n", "audio -> spectrogram (mel)", r["audio_to_spectrogram_ms_per_note"].get<double>());
  std::printf("  %-34s %8.3f ms/note\n", "Griffin-Lim / FGLA iteration", r["griffin_lim_iteration_ms_per_note"].get<double>());
  std::printf("  %-34s %8.3f ms/note\n", "PGHI", r["pghi_ms_per_note"].get<double>());
  if (r.contains("generator_ms_per_note"))
    std::printf("  %-34s %8.3f ms/note  (end to end %.1f notes/s)\n", "generator (bundled gm-timbres)", r["generator_ms_per_note"].get<double>(),
                r["notes_per_second"].get<double>());
}

}  // namespace
}  // namespace timbrel

int main(int argc, char** argv) {
  using namespace timbrel;
  auto o = std::make_shared<Options>();
  CLI::App app{"Per-stage throughput of the spectral stage and the generator (ms per note, notes/s)", "timbrel_bench_stages"};
  auto* cmd = &app;
  cmd->add_option("--device", o->device, "cpu | cuda (GPU spectral kernels, device-resident, against the copy bandwidth) | auto")
      ->check(CLI::IsMember({"auto", "cpu", "cuda"}))->capture_default_str();
  cmd->add_option("--batch", o->batch, "Notes per call for the batched stages")->capture_default_str();
  cmd->add_option("--precision", o->precision, "Generator arithmetic: fp32 | tf32 | bf16")
      ->capture_default_str()->check(CLI::IsMember({"fp32", "tf32", "bf16"}));
  cmd->add_option("--threads", o->threads, "CPU threads (0: all cores)")->capture_default_str();
  cmd->add_option("--seconds", o->seconds, "Minimum timing per stage")->capture_default_str()->check(CLI::Range(0.01, 600.0));
  cmd->add_flag("--json", o->json, "Print one JSON object");
  cmd->footer("Examples:\n  build/bench/timbrel_bench_stages --json\n  build/bench/timbrel_bench_stages --device cuda --batch 256 --json");
  CLI11_PARSE(app, argc, argv);
  try {
    run(*o);
  } catch (const Error& e) {
    print_error(e.what());
    return 1;
  }
  return 0;
}
