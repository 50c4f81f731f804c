// One DDSP voice on one CPU core, end to end: 10 s of f0 and loudness curves -> the decoder's
// controls -> harmonic + filtered-noise audio. The counter real_time_x is seconds of audio per
// second (the goal: >= 100x). The shipped models/ddsp-gm (96 channels x 8 layers) beside
// Magenta's violin (128 x 16, windowed over 5 s as magenta.js runs it) in the same run; the
// violin is skipped without ../shared/models-ext.
#include <benchmark/benchmark.h>

#include <cmath>
#include <filesystem>

// torch comes through the precompiled header
#include "timbrel/ddsp.h"

namespace {

using namespace timbrel;

constexpr double kSeconds = 10;

void run_voice(benchmark::State& state, const std::string& path) {
  if (!std::filesystem::exists(path + "/model.json")) return state.SkipWithError(("no " + path).c_str());
  torch::set_num_threads(1);
  const Ddsp model = Ddsp::load(path);
  const size_t frames = size_t(kSeconds * model.info().sample_rate / model.info().hop);
  std::vector<float> f0(frames), loudness(frames);
  for (size_t k = 0; k < frames; ++k) {  // a phrase: notes of 0.5 s stepping over an octave, each decaying
    const double t = double(k) / 250.0;
    f0[k] = float(220.0 * std::pow(2.0, double(int(t * 2) % 12) / 12.0));
    loudness[k] = float(model.info().max_loudness_db - 20.0 * std::fmod(t, 0.5));
  }
  const std::vector<float> instrument = model.info().presets.empty() ? std::vector<float>{} : model.instrument("program:40");
  for (auto _ : state) benchmark::DoNotOptimize(model.render(f0, loudness, true, 0, instrument));
  state.counters["real_time_x"] = benchmark::Counter(kSeconds * double(state.iterations()), benchmark::Counter::kIsRate);
}

void BM_DdspVoiceShipped(benchmark::State& state) { run_voice(state, std::string(TIMBREL_SOURCE_DIR) + "/models/ddsp-gm"); }
BENCHMARK(BM_DdspVoiceShipped)->Unit(benchmark::kMillisecond)->UseRealTime();

void BM_DdspVoiceMagentaViolin(benchmark::State& state) {
  run_voice(state, std::string(TIMBREL_SOURCE_DIR) + "/../shared/models-ext/ddsp/violin");
}
BENCHMARK(BM_DdspVoiceMagentaViolin)->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace
