// The streaming building blocks: the SPSC ring, streaming resampling, and the real-time
// callback's work (underruns, recording, stereo onto the device's channels, no allocation or locking).
#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <thread>

#include "audio/audio_output.h"
#include "audio/spsc_ring.h"
#include "audio/stream_resampler.h"
#include "timbrel/sound_file.h"

using namespace timbrel;

namespace timbrel::test {
extern std::atomic<long> g_callback_allocations, g_callback_locks;
}

TEST(SpscRing, CarriesAStreamBetweenThreadsInOrder) {
  SpscRing ring(1000);
  EXPECT_EQ(ring.capacity(), 1024u);
  constexpr size_t kTotal = 2000000;
  std::thread producer([&] {
    std::vector<float> block(77);
    for (size_t sent = 0; sent < kTotal;) {
      const size_t n = std::min(block.size(), kTotal - sent);
      for (size_t i = 0; i < n; ++i) block[i] = float((sent + i) % 100003);
      size_t at = 0;
      while (at < n) at += ring.write(block.data() + at, n - at);
      sent += n;
    }
  });
  std::vector<float> got(53);
  size_t received = 0, wrong = 0;
  while (received < kTotal) {
    const size_t n = ring.read(got.data(), got.size());
    for (size_t i = 0; i < n; ++i) wrong += got[i] != float((received + i) % 100003);
    received += n;
  }
  producer.join();
  EXPECT_EQ(wrong, 0u);
  EXPECT_EQ(ring.readable(), 0u);
}

TEST(SpscRing, WritesOnlyWhatFits) {
  SpscRing ring(8);
  std::vector<float> in(12, 1.0f), out(12);
  EXPECT_EQ(ring.write(in.data(), 12), 8u);
  EXPECT_EQ(ring.writable(), 0u);
  EXPECT_EQ(ring.read(out.data(), 3), 3u);
  EXPECT_EQ(ring.write(in.data(), 12), 3u);
  EXPECT_EQ(ring.read(out.data(), 12), 8u);
}

TEST(StreamResampler, BlockByBlockEqualsOneShot) {
  std::mt19937 rng(3);
  std::normal_distribution<float> g(0, 0.3f);
  Audio a;
  a.sample_rate = 16000;
  for (int i = 0; i < 40000; ++i) a.samples.push_back(0.5f * std::sin(0.05f * float(i)) + g(rng));
  const std::vector<float> whole = resample(a, 48000).samples;
  StreamResampler r(16000, 48000);
  std::vector<float> blocks;
  for (size_t at = 0; at < a.samples.size();) {
    const size_t n = std::min<size_t>(1 + rng() % 3000, a.samples.size() - at);
    r.process(a.samples.data() + at, n, blocks);
    at += n;
  }
  r.flush(blocks);
  ASSERT_GE(blocks.size(), whole.size());
  double err = 0, sig = 0;
  for (size_t i = 0; i < whole.size(); ++i) {
    err += std::pow(double(blocks[i]) - whole[i], 2);
    sig += double(whole[i]) * whole[i];
  }
  // The same filter either way: equal to float rounding (better than 100 dB).
  EXPECT_GT(10 * std::log10(sig / std::max(err, 1e-30)), 100.0);
}

TEST(OutputFill, PlaysStereoFramesAndCountsUnderrunsOnlyWhileProducing) {
  RingSource feed(32);
  OutputTap tap(32);
  const std::vector<float> in = {0.1f, -0.1f, 0.2f, -0.2f, 0.3f, -0.3f};  // 3 frames
  EXPECT_EQ(feed.write(in.data(), 3), 3u);
  std::vector<float> out(2 * 4, 9.0f);
  output_fill(feed, tap, out.data(), 4, 2);  // 3 frames there, 4 wanted: an underrun
  EXPECT_EQ(out, (std::vector<float>{0.1f, -0.1f, 0.2f, -0.2f, 0.3f, -0.3f, 0, 0}));
  EXPECT_EQ(feed.underruns.load(), 1u);
  EXPECT_EQ(tap.record.readable(), 8u);  // 4 stereo frames: the silence was sent too, so it is recorded
  EXPECT_FALSE(feed.drained.load());

  feed.write(in.data(), 2);
  feed.producer_done = true;
  output_fill(feed, tap, out.data(), 4, 2, true);  // the end: not an underrun, the tail is not recorded
  EXPECT_EQ(feed.underruns.load(), 1u);
  EXPECT_EQ(tap.host_underflows.load(), 1u);  // ... but the host said it ran short
  EXPECT_EQ(tap.record.readable(), 12u);
  EXPECT_TRUE(feed.drained.load());
  EXPECT_EQ(tap.frames_played.load(), 6u);
}

// A source of known frames: frame i is (i + 1, -(i + 1) / 2).
struct CountingSource final : RealtimeSource {
  size_t render(float* stereo, size_t frames) noexcept override {
    for (size_t i = 0; i < frames; ++i, ++next) stereo[2 * i] = float(next + 1), stereo[2 * i + 1] = -float(next + 1) / 2;
    return frames;
  }
  size_t next = 0;
};

TEST(StereoOutput, MapsTheTwoChannelsOntoMonoStereoAndWiderDevices) {
  for (int channels : {1, 2, 4}) {
    CountingSource source;
    OutputTap tap(4096);
    const size_t frames = 1500;  // more than the mono path's chunk
    std::vector<float> out(frames * size_t(channels), 9.0f);
    output_fill(source, tap, out.data(), frames, channels);
    size_t wrong = 0;
    for (size_t i = 0; i < frames; ++i) {
      const float left = float(i + 1), right = -float(i + 1) / 2;
      const float* f = out.data() + i * size_t(channels);
      if (channels == 1) wrong += f[0] != 0.5f * (left + right);
      else wrong += f[0] != left || f[1] != right;
      for (int c = 2; c < channels; ++c) wrong += f[c] != 0.0f;
    }
    EXPECT_EQ(wrong, 0u) << channels << " channels";
    // Whatever the device, the tap records the stereo frames.
    std::vector<float> rec(2 * frames);
    ASSERT_EQ(tap.record.read(rec.data(), rec.size()), rec.size());
    EXPECT_EQ(rec[2 * 1499], 1500.0f);
    EXPECT_EQ(rec[2 * 1499 + 1], -750.0f);
    EXPECT_EQ(tap.frames_played.load(), frames);
  }
}

TEST(StereoOutput, TheRingMovesWholeFramesOnly) {
  RingSource feed(4);  // 8 samples
  const std::vector<float> in = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10};
  EXPECT_EQ(feed.write(in.data(), 5), 4u);  // what fits, in frames
  std::vector<float> out(4);
  EXPECT_EQ(feed.render(out.data(), 1), 1u);
  EXPECT_EQ(feed.ring.write(in.data(), 1), 1u);  // half a frame written by hand: not played yet
  EXPECT_EQ(feed.render(out.data(), 2), 2u);   // 3 whole frames there, 2 asked
  EXPECT_EQ(out, (std::vector<float>{3, 4, 5, 6}));
  EXPECT_EQ(feed.readable_frames(), 1u);
  EXPECT_EQ(feed.ring.readable(), 3u);
  EXPECT_EQ(feed.render(out.data(), 2), 2u);
  EXPECT_EQ(out, (std::vector<float>{7, 8, 0, 0}));  // an underrun; the half frame stays behind
  EXPECT_EQ(feed.underruns.load(), 1u);
  EXPECT_EQ(feed.ring.readable(), 1u);
}

TEST(OutputFill, NeverAllocatesOrLocks) {
  // realtime_guard.cpp counts malloc/free/new/delete and mutex locks made in real-time code.
  RingSource feed(1 << 14);
  OutputTap tap(1 << 14);
  std::vector<float> in(2 * 1000, 0.25f), out(4 * 512);
  test::g_callback_allocations = 0;
  test::g_callback_locks = 0;
  for (int i = 0; i < 60; ++i) {
    if (i % 3 == 0) feed.write(in.data(), 1000);  // less than 3 x 512: some calls run dry
    if (i == 50) feed.producer_done = true;
    output_fill(feed, tap, out.data(), 512, 1 + i % 4);  // mono, stereo and wider devices
  }
  EXPECT_GT(feed.underruns.load(), 0u);  // the underrun path ran too
  EXPECT_EQ(test::g_callback_allocations.load(), 0);
  EXPECT_EQ(test::g_callback_locks.load(), 0);
  EXPECT_FALSE(in_audio_callback());
}

TEST(OutputFill, TheGuardSeesAnAllocationInRealTimeCode) {
  test::g_callback_allocations = 0;
  {
    AudioCallbackScope realtime;
    volatile auto* p = new std::vector<float>(100);
    delete p;
  }
  EXPECT_GE(test::g_callback_allocations.load(), 2);  // new + delete (twice each: vector + buffer)
}
