// timbrel bench: throughput of the public paths per note (spectrogram -> audio by each phase
// method, audio -> spectrogram, the generator, end to end) on the Engine's device, in one run.
// The stages one by one (a Griffin-Lim iteration, the GPU kernels against the copy bandwidth) are
// below the API: bench/timbrel_bench_stages times them.
#include <chrono>
#include <cmath>
#include <cstdio>
#include <functional>
#include <iostream>
#include <nlohmann/json.hpp>
#include <thread>

#include "command.h"
#include "timbrel/engine.h"
#include "timbrel/error.h"
#include "timbrel/spectral.h"

namespace timbrel::cli {
namespace {

struct Flags {
  std::string device = "cpu", precision = "fp32";
  int batch = 8, threads = 1;
  double seconds = 1.0;
  bool json = false;
};

// A harmonic note with a decay whose pitch wobbles: sin(2 pi f(t) h t) with f(t) at 5 Hz, which the
// phase's t f'(t) term turns into a sweep of up to +-30% by 2 s. A broad spectrum to invert.
std::vector<float> test_note() {
  std::vector<float> x(kNoteSamples);
  for (size_t i = 0; i < x.size(); ++i) {
    double t = double(i) / kNoteSampleRate, f = 220.0 * (1 + 0.005 * std::sin(2 * M_PI * 5 * t)), s = 0;
    for (int h = 1; h <= 12; ++h) s += std::sin(2 * M_PI * f * h * t) / h;
    x[i] = float(0.3 * s * std::exp(-t));
  }
  return x;
}

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

// The bundled timbre model's forward pass, where the engine placed it.
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

// Spectrograms -> audio through the Engine (its device), ms per note, for one phase method.
double inverse_ms(Engine& engine, const std::vector<float>& specs, int batch, PhaseMethod phase, int iterations, double seconds) {
  InverseOptions inv;
  inv.phase = phase;
  inv.iterations = iterations;
  return 1e3 * time_per_call([&] { engine.spectrograms_to_audio(specs, inv); }, seconds) / batch;
}

nlohmann::json measure(const Flags& o, Engine& engine) {
  const std::vector<float> note = test_note(), spec = audio_to_spectrogram(note, SpectralScale::Mel);
  std::vector<float> specs(spec.size() * size_t(o.batch));
  for (int b = 0; b < o.batch; ++b) std::copy(spec.begin(), spec.end(), specs.begin() + long(b * spec.size()));
  nlohmann::json r = {{"device", engine.compute_name()}, {"batch", o.batch}, {"threads", o.threads}};
  const double if_ms = inverse_ms(engine, specs, o.batch, PhaseMethod::If, 32, o.seconds);
  r["spectral_to_audio_ms_per_note"] = if_ms;
  r["spectral_to_audio_notes_per_s"] = 1e3 / if_ms;
  r["spectral_to_audio_realtime_factor"] = 4.0 * 1e3 / if_ms;
  r["pghi_ms_per_note"] = inverse_ms(engine, specs, o.batch, PhaseMethod::Pghi, 32, o.seconds);
  r["griffin_lim_8_ms_per_note"] = inverse_ms(engine, specs, o.batch, PhaseMethod::GriffinLim, 8, o.seconds);
  r["audio_to_spectrogram_ms_per_note"] = 1e3 * time_per_call([&] { audio_to_spectrogram(note, SpectralScale::Mel); }, o.seconds);
  bench_generator(r, engine, o.batch, o.seconds, o.precision);
  if (r.contains("generator_ms_per_note")) {
    r["notes_per_second"] = 1e3 / (r["generator_ms_per_note"].get<double>() + if_ms);
    r["notes_per_second_pghi"] = 1e3 / (r["generator_ms_per_note"].get<double>() + r["pghi_ms_per_note"].get<double>());
  }
  return r;
}

void print_text(const nlohmann::json& r) {
  std::printf("timbrel bench (%s, %d thread%s, batch %d)\n", r["device"].get<std::string>().c_str(), r["threads"].get<int>(),
              r["threads"].get<int>() == 1 ? "" : "s", r["batch"].get<int>());
  std::printf("  %-34s %8.3f ms/note  %9.1f notes/s  %7.0fx real time\n", "spectrogram -> audio (mel, IF)",
              r["spectral_to_audio_ms_per_note"].get<double>(), r["spectral_to_audio_notes_per_s"].get<double>(),
              r["spectral_to_audio_realtime_factor"].get<double>());
  std::printf("  %-34s %8.3f ms/note\n", "spectrogram -> audio (PGHI)", r["pghi_ms_per_note"].get<double>());
  std::printf("  %-34s %8.3f ms/note\n", "spectrogram -> audio (Griffin-Lim x8)", r["griffin_lim_8_ms_per_note"].get<double>());
  std::printf("  %-34s %8.3f ms/note\n", "audio -> spectrogram (mel)", r["audio_to_spectrogram_ms_per_note"].get<double>());
  if (r.contains("generator_ms_per_note"))
    std::printf("  %-34s %8.3f ms/note  (end to end %.1f notes/s with IF, %.1f with PGHI)\n", "generator (bundled gm-timbres)",
                r["generator_ms_per_note"].get<double>(), r["notes_per_second"].get<double>(), r["notes_per_second_pghi"].get<double>());
}

void run(Flags o) {
  if (o.batch < 1) throw Error("--batch", "must be at least 1");
  if (o.threads <= 0) o.threads = int(std::max(1u, std::thread::hardware_concurrency()));
  EngineOptions params;
  params.device = parse_device(o.device, "--device");
  params.precision = parse_precision(o.precision, "--precision");
  params.threads = o.threads;
  params.log = [](const std::string& m) { print_error(m); };
  Engine engine(params);
  if (params.device == Device::Cuda && engine.compute_name() == "cpu")
    throw Error("--device cuda", "no GPU answered (see `timbrel info`)");
  const nlohmann::json r = measure(o, engine);
  if (o.json) std::cout << r.dump() << std::endl;
  else print_text(r);
}

}  // namespace

void add_bench(CLI::App& app, Status&) {
  auto o = std::make_shared<Flags>();
  auto* cmd = app.add_subcommand("bench", "Measure throughput of the public paths per note (ms per note, notes/s)");
  cmd->add_option("--device", o->device, "cpu | cuda | auto: where the Engine runs the spectral stage and the generator")
      ->check(CLI::IsMember({"auto", "cpu", "cuda"}))->capture_default_str();
  cmd->add_option("--batch", o->batch, "Notes per call")->capture_default_str();
  cmd->add_option("--precision", o->precision, "Generator arithmetic: fp32 | tf32 | bf16")
      ->capture_default_str()->check(CLI::IsMember({"fp32", "tf32", "bf16"}));
  cmd->add_option("--threads", o->threads, "CPU threads (0: all cores)")->capture_default_str();
  cmd->add_option("--seconds", o->seconds, "Minimum timing per path")->capture_default_str()->check(CLI::Range(0.01, 600.0));
  cmd->add_flag("--json", o->json, "Print one JSON object");
  cmd->footer("Examples:\n  timbrel bench\n  timbrel bench --batch 64 --threads 0 --json\n  timbrel bench --device cuda --batch 256 --json\n"
              "Stage by stage (a Griffin-Lim iteration, PGHI alone, the GPU kernels against the copy bandwidth):\n"
              "  build/bench/timbrel_bench_stages --json");
  cmd->callback([o] { run(*o); });
}

}  // namespace timbrel::cli
