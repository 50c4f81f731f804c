// The stereo mix's own stages, per 10 s of 48 kHz audio: the room (reverb and chorus over the send
// buses, one core) and the EBU R128 measurement every render reports (measure_loudness: its true
// peak's blocks on a second core where there is one; read the wall-clock Time column). Peer in the
// same run: libebur128 measuring the same audio in one pass with its true peak
// (BM_LibEbur128OnePass), which measure_loudness matches bit for bit.
#include <benchmark/benchmark.h>
#include <ebur128.h>

#include <cmath>
#include <cstdint>
#include <vector>

#include "render/room.h"
#include "timbrel/loudness.h"
#include "timbrel/sound_file.h"

namespace {

constexpr int kRate = 48000;
constexpr size_t kFrames = 10 * kRate;

// Notes every quarter second: decaying tones with a noise onset, as a send bus carries them.
std::vector<float> send_bus(uint32_t seed) {
  std::vector<float> bus(kFrames);
  for (size_t i = 0; i < kFrames; ++i) {
    seed = seed * 1664525u + 1013904223u;
    const double t = double(i % (kRate / 4)) / kRate, note = double(i / (kRate / 4) % 7);
    const double tone = std::sin(2 * M_PI * 220 * std::pow(2.0, note / 12) * t) * std::exp(-t / 0.2);
    bus[i] = float(0.2 * tone + 0.05 * std::exp(-t / 0.005) * (double(seed >> 8) / double(1u << 24) - 0.5));
  }
  return bus;
}

timbrel::Audio mix() {
  timbrel::Audio a;
  a.sample_rate = kRate;
  a.channels = 2;
  const std::vector<float> left = send_bus(1), right = send_bus(2);
  for (size_t i = 0; i < kFrames; ++i) {
    a.samples.push_back(left[i]);
    a.samples.push_back(right[i]);
  }
  return a;
}

void BM_Room(benchmark::State& state) {
  const std::vector<float> reverb = send_bus(3), chorus = send_bus(4);
  std::vector<float> out(2 * kFrames);
  timbrel::Room room(kRate);
  for (auto _ : state) {
    room.process(reverb.data(), chorus.data(), out.data(), kFrames);
    benchmark::DoNotOptimize(out.data());
  }
}
BENCHMARK(BM_Room)->Unit(benchmark::kMillisecond);

void BM_MeasureLoudness(benchmark::State& state) {
  const timbrel::Audio a = mix();
  for (auto _ : state) benchmark::DoNotOptimize(timbrel::measure_loudness(a));
}
BENCHMARK(BM_MeasureLoudness)->Unit(benchmark::kMillisecond)->UseRealTime();

void BM_LibEbur128OnePass(benchmark::State& state) {
  const timbrel::Audio a = mix();
  for (auto _ : state) {
    ebur128_state* st = ebur128_init(2, kRate, EBUR128_MODE_I | EBUR128_MODE_LRA | EBUR128_MODE_TRUE_PEAK);
    ebur128_add_frames_float(st, a.samples.data(), a.frames());
    double lufs = 0, lra = 0, peak = 0;
    ebur128_loudness_global(st, &lufs);
    ebur128_loudness_range(st, &lra);
    ebur128_true_peak(st, 0, &peak);
    benchmark::DoNotOptimize(lufs + lra + peak);
    ebur128_destroy(&st);
  }
}
BENCHMARK(BM_LibEbur128OnePass)->Unit(benchmark::kMillisecond);

}  // namespace
