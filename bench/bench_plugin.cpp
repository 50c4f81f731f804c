// The DAW instrument's audio thread (plugin/core): CPU time per 64-frame block at 48 kHz with its
// voices held, against the block's duration (1.33 ms), and over 60 s of blocks the longest one.
// Also the longest block while a timbre change re-renders the cache with 16 notes held.
#include <benchmark/benchmark.h>

#include <algorithm>
#include <chrono>
#include <ctime>
#include <vector>

#include "plugin/core/plugin_core.h"

namespace {

using timbrel::plugin::Core;
namespace plugin = timbrel::plugin;
constexpr double kRate = 48000;
constexpr uint32_t kBlock = 64;

void hold_notes(Core& core, int voices, std::vector<float>& l, std::vector<float>& r) {
  core.begin_block(l.data(), r.data(), kBlock);
  for (int v = 0; v < voices; ++v) {
    const uint8_t on[3] = {uint8_t(0x90 | (v % 4)), uint8_t(36 + (v * 5) % 48), 100};
    core.midi(on, 3);
  }
  const uint8_t pedal[3] = {0xB0, 64, 127};
  core.midi(pedal, 3);
  core.end_block();
}

// Per block: the audio thread's own CPU time (its work) and the wall time (work plus whatever
// preempted it: on a loaded machine without real-time priority, the scheduler's share).
struct BlockTimes {
  double mean_cpu_s = 0, max_cpu_s = 0, max_wall_s = 0;
};

double thread_cpu_seconds() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return double(ts.tv_sec) + 1e-9 * double(ts.tv_nsec);
}

BlockTimes time_blocks(Core& core, size_t blocks, std::vector<float>& l, std::vector<float>& r) {
  BlockTimes t;
  for (size_t b = 0; b < blocks; ++b) {
    const auto t0 = std::chrono::steady_clock::now();
    const double c0 = thread_cpu_seconds();
    core.begin_block(l.data(), r.data(), kBlock);
    core.end_block();
    const double cpu = thread_cpu_seconds() - c0;
    t.mean_cpu_s += cpu / double(blocks);
    t.max_cpu_s = std::max(t.max_cpu_s, cpu);
    t.max_wall_s = std::max(t.max_wall_s, std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
  }
  return t;
}

void report(benchmark::State& state, const BlockTimes& t) {
  const double deadline = kBlock / kRate;
  state.counters["cpu_load_pct"] = 100 * t.mean_cpu_s / deadline;
  state.counters["max_cpu_load_pct"] = 100 * t.max_cpu_s / deadline;
  state.counters["max_wall_ms"] = 1e3 * t.max_wall_s;
}

// Args: engine (0 GANSynth, 1 DDSP), voices held. 60 s of 64-frame blocks per iteration.
void BM_PluginBlocks(benchmark::State& state) {
  Core core(kRate);
  core.set_parameter(plugin::kEngine, float(state.range(0)));
  if (!core.wait_until_settled()) state.SkipWithError(core.last_error().c_str());
  std::vector<float> l(kBlock), r(kBlock);
  for (int i = 0; i < 4; ++i) core.begin_block(l.data(), r.data(), kBlock), core.end_block();  // takes the built synth
  hold_notes(core, int(state.range(1)), l, r);
  BlockTimes t;
  for (auto _ : state) t = time_blocks(core, size_t(60 * kRate / kBlock), l, r);
  report(state, t);
}
BENCHMARK(BM_PluginBlocks)->Args({0, 32})->Args({1, 16})->Iterations(1)->Unit(benchmark::kSecond);

// A program change while 16 notes hold: the worker re-renders the cache; the audio thread's blocks
// (played back to back, as fast as they go) meanwhile.
void BM_PluginBlocksDuringTimbreChange(benchmark::State& state) {
  Core core(kRate);
  std::vector<float> l(kBlock), r(kBlock);
  hold_notes(core, 16, l, r);
  BlockTimes t;
  for (auto _ : state) {
    core.set_parameter(plugin::kProgram, 40);
    t = time_blocks(core, size_t(10 * kRate / kBlock), l, r);
    state.PauseTiming();
    core.wait_until_settled();
    state.ResumeTiming();
  }
  report(state, t);
}
BENCHMARK(BM_PluginBlocksDuringTimbreChange)->Iterations(1)->Unit(benchmark::kSecond);

}  // namespace

BENCHMARK_MAIN();
