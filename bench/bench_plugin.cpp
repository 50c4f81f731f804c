// The DAW instrument's audio thread (plugin/core): CPU time per 64-frame block at 48 kHz with its
// voices held, against the block's duration (1.33 ms), and over 60 s of blocks the longest one.
// Also the longest block while a timbre change re-renders the cache with 16 notes held, and the
// blocks of the jalv xrun test's dense song (tests/plugin_phrase.h) at 64 and 128 frames.
#include <benchmark/benchmark.h>

#include <algorithm>
#include <chrono>
#include <ctime>
#include <vector>

#include "plugin/core/plugin_core.h"
#include "plugin_phrase.h"

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

// The dense song of the jalv test (60 s, five instruments, ~40 note-ons a second): each block's
// CPU time with its events, as the host's run() calls; the mean, the 99.9th percentile, the longest.
void BM_PluginDenseSong(benchmark::State& state) {
  const auto block = uint32_t(state.range(0));
  Core core(kRate);
  const std::vector<timbrel::test::PluginEvent> events = timbrel::test::sequence_events(timbrel::test::dense_song(60), kRate);
  std::vector<float> l(block), r(block);
  for (const auto& e : timbrel::test::program_changes(events)) core.midi(e.bytes.data(), uint32_t(e.bytes.size()));
  core.begin_block(l.data(), r.data(), block), core.end_block();
  if (!core.wait_until_settled(600)) state.SkipWithError(core.last_error().c_str());
  std::vector<double> cpu;
  for (auto _ : state) {
    size_t next = 0;
    for (uint32_t start = 0; start < uint32_t(62 * kRate); start += block) {
      const double c0 = thread_cpu_seconds();
      core.begin_block(l.data(), r.data(), block);
      for (; next < events.size() && events[next].frame < start + block; ++next) {
        core.render_until(events[next].frame > start ? events[next].frame - start : 0);
        core.midi(events[next].bytes.data(), uint32_t(events[next].bytes.size()));
      }
      core.end_block();
      cpu.push_back(thread_cpu_seconds() - c0);
    }
  }
  if (cpu.empty()) return;  // skipped
  std::sort(cpu.begin(), cpu.end());
  double sum = 0;
  for (double c : cpu) sum += c;
  const double deadline = block / kRate;
  state.counters["cpu_load_pct"] = 100 * sum / double(cpu.size()) / deadline;
  state.counters["p999_cpu_load_pct"] = 100 * cpu[size_t(0.999 * double(cpu.size() - 1))] / deadline;
  state.counters["max_cpu_load_pct"] = 100 * cpu.back() / deadline;
}
BENCHMARK(BM_PluginDenseSong)->Arg(64)->Arg(128)->Iterations(1)->Unit(benchmark::kSecond);

}  // namespace

BENCHMARK_MAIN();
