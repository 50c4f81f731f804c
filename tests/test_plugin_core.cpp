// The DAW instrument's core (plugin/core/plugin_core.h) as a host drives it: block by block with
// sample-accurate MIDI, parameters and state changes while notes sound. Its audio thread is
// checked under the allocator/lock guard (realtime_guard.cpp).
#include <gtest/gtest.h>

#include <atomic>
#include <cmath>
#include <random>
#include <vector>

#include "plugin_phrase.h"

namespace timbrel::test {
extern std::atomic<long> g_callback_allocations, g_callback_locks;
}

namespace {

using timbrel::plugin::Core;
using timbrel::test::PluginEvent;
using timbrel::test::rms;
namespace plugin = timbrel::plugin;

std::vector<float> run(Core& core, const std::vector<PluginEvent>& events, uint32_t frames, uint32_t block) {
  return timbrel::test::run_core(core, events, frames, block);
}
std::vector<PluginEvent> phrase() { return timbrel::test::plugin_phrase(); }

}  // namespace

// The host's block size does not change a sample: events land on their frame whatever the split.
TEST(PluginCore, EveryBlockSizeRendersTheSameSamples) {
  const uint32_t frames = 60000;
  std::vector<std::vector<float>> outs;
  for (uint32_t block : {4096u, 64u, 1u}) {
    Core core(48000);
    outs.push_back(run(core, phrase(), frames, block));
  }
  EXPECT_GT(rms(outs[0], 0, frames), 1e-3);
  EXPECT_EQ(outs[0], outs[1]);
  EXPECT_EQ(outs[0], outs[2]);
  // A channel panned hard left: its note is at least 10 dB louder on the left (the room's
  // reverb reaches both sides).
  Core core(48000);
  const std::vector<float> panned = run(core, {{0, {0xB1, 10, 0}}, {0, {0x91, 67, 90}}}, 24000, 512);
  EXPECT_GT(rms(panned, 4800, 24000), 3.16 * rms(panned, 24000 + 4800, 48000));
}

// Parameters, program and engine changes, a model change and note storms in blocks of 1..4096
// frames: the audio thread never allocates or locks, and notes keep sounding through each change.
TEST(PluginCore, RunNeverAllocatesLocksOrFallsSilent) {
  Core core(48000);
  std::mt19937 rng(5);
  std::vector<float> left(4096), right(4096);
  timbrel::test::g_callback_allocations = 0;
  timbrel::test::g_callback_locks = 0;
  int silent_blocks_while_held = 0, blocks = 0;
  for (int round = 0; round < 4; ++round) {
    if (round == 1) core.set_parameter(plugin::kProgram, 40);     // re-render while notes hold
    if (round == 2) core.set_parameter(plugin::kEngine, 1);      // DDSP: a new synth is built
    if (round == 3) core.set_state(plugin::kStateModel, "gm-timbres");  // GANSynth model, by name
    // Played until the change is built and handed over (and at least 60 blocks).
    for (int b = 0, after = 0; (b < 60 || after < 10) && b < 20000; ++b, ++blocks) {
      after = core.settled() ? after + 1 : 0;
      const uint32_t n = std::uniform_int_distribution<uint32_t>(1, 4096)(rng);
      timbrel::AudioCallbackScope scope;
      core.set_parameter(plugin::kGainDb, float(b % 7) - 3);
      core.set_parameter(plugin::kAttack, 0.005f + 0.001f * float(b % 5));
      core.begin_block(left.data(), right.data(), n);
      for (int k = 0; k < 40; ++k) {  // a storm: more notes than voices, on and off
        const uint8_t on[3] = {uint8_t(0x90 | (k % 3)), uint8_t(48 + (k * 7 + b) % 36), uint8_t(k % 4 ? 100 : 0)};
        core.render_until(uint32_t(k) * n / 40);
        core.midi(on, 3);
      }
      core.end_block();
      silent_blocks_while_held += n >= 1024 && rms(left, 0, n) < 1e-5;
    }
    if (round == 2) EXPECT_EQ(core.engine_playing(), 1);
  }
  EXPECT_EQ(timbrel::test::g_callback_allocations.load(), 0);
  EXPECT_EQ(timbrel::test::g_callback_locks.load(), 0);
  EXPECT_EQ(silent_blocks_while_held, 0) << "of " << blocks;
  EXPECT_TRUE(core.wait_until_settled());
  EXPECT_EQ(core.last_error(), "");
}

// A project from another machine names a model this one lacks: the error says which, and the
// synth playing keeps playing. The state reads back as the host saved it.
TEST(PluginCore, MissingModelIsNamedAndTheOldOnePlaysOn) {
  Core core(44100);
  core.set_state(plugin::kStateModel, "/nonexistent/my-timbres");
  EXPECT_TRUE(core.wait_until_settled());
  EXPECT_NE(core.last_error().find("/nonexistent/my-timbres"), std::string::npos) << core.last_error();
  EXPECT_EQ(core.state(plugin::kStateModel), "/nonexistent/my-timbres");
  const std::vector<float> out = run(core, {{0, {0x90, 62, 100}}}, 22050, 256);
  EXPECT_GT(rms(out, 0, 22050), 1e-3);
  core.set_parameter(plugin::kGainDb, 1000);
  EXPECT_EQ(core.parameter(plugin::kGainDb), plugin::parameter_infos()[plugin::kGainDb].max);
  core.set_parameter(plugin::kProgram, 40.4f);
  EXPECT_EQ(core.parameter(plugin::kProgram), 40.0f);
}

// A saved state (parameters and strings) restored into a fresh instance plays the same samples.
TEST(PluginCore, RestoredStatePlaysBitForBit) {
  Core a(48000);
  a.set_parameter(plugin::kProgram, 24);
  a.set_parameter(plugin::kRelease, 0.8f);
  a.set_parameter(plugin::kGainDb, -4);
  ASSERT_TRUE(a.wait_until_settled());
  Core b(48000, a.state(plugin::kStateModel), a.state(plugin::kStateDdspModel));
  for (uint32_t i = 0; i < plugin::kParameterCount; ++i) b.set_parameter(i, a.parameter(i));
  ASSERT_TRUE(b.wait_until_settled());
  // The first block takes the re-rendered cache; the phrase starts after it.
  std::vector<PluginEvent> events = phrase();
  for (PluginEvent& e : events) e.frame += 256;
  const std::vector<float> ra = run(a, events, 60000, 256), rb = run(b, events, 60000, 256);
  EXPECT_GT(rms(ra, 0, 60000), 1e-3);
  EXPECT_EQ(ra, rb);
}

// Channel 10 plays the drum kit: a hit rings out past its short note (a one-shot, as GM drums),
// at 48 kHz with the kit's band above 8 kHz; a program change there picks another kit.
TEST(PluginCore, ChannelTenPlaysTheDrumKit) {
  Core core(48000);
  const std::vector<PluginEvent> hat = {{0, {0x99, 42, 100}}, {240, {0x89, 42, 0}}};
  const std::vector<float> standard = run(core, hat, 24000, 256);
  EXPECT_GT(rms(standard, 2400, 9600), 1e-3) << "the hit stopped at its note-off";
  // The second difference weighs the highs (x1 at 8 kHz, x9 at 16 kHz, x0.07 at 4 kHz): FluidR3's
  // closed hat has 62% of its energy above 8 kHz; the hit without its band measured 0.2 here, 4.3 with it.
  double high = 0, all = 0;
  for (size_t i = 2; i < 9600; ++i)
    high += std::pow(standard[i] - 2 * standard[i - 1] + standard[i - 2], 2), all += std::pow(standard[i], 2);
  EXPECT_GT(high / all, 2.0) << "a closed hat without its highs";
  const uint8_t kit[2] = {0xC9, 25};  // TR-808
  core.midi(kit, 2);
  EXPECT_EQ(core.parameter(plugin::kDrumKit), 25.0f);
  ASSERT_TRUE(core.wait_until_settled());
  run(core, {}, 512, 256);  // the block that takes the new kit's cache
  const std::vector<float> tr808 = run(core, hat, 24000, 256);
  double diff = 0;
  for (size_t i = 0; i < 24000; ++i) diff += std::pow(tr808[i] - standard[i], 2);
  EXPECT_GT(diff, 0.1 * all) << "the kit did not change";
}
