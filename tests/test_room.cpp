// The room (src/render/room.h) against FluidSynth 2.3's default room through libfluidsynth: decay
// time (Schroeder T30), wet level per CC91, chorus level per CC93; and its real-time promises:
// exact zeros for zero sends and after the tail, bit-identical output, any sample rate.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <map>
#include <vector>

#include "fluid_note.h"
#include "render/room.h"
#include "timbrel/error.h"

using namespace timbrel;

namespace {

constexpr int kRate = 48000;
constexpr float kFluidCentrePan = 0.706552f;  // FluidSynth's sin-table gain of a centred voice

using test::kFluidR3;
using test::Stereo;
using Note = test::FluidNote;

Stereo fluid_render(const Note& note, const char* effect, int cc, double seconds) { return test::fluid_note(note, effect, cc, seconds, kRate); }

Stereo minus(const Stereo& a, const Stereo& b) {
  Stereo d = a;
  for (size_t i = 0; i < d.left.size(); ++i) {
    d.left[i] -= b.left[i];
    d.right[i] -= b.right[i];
  }
  return d;
}

double energy(const Stereo& s) {
  double e = 0;
  for (size_t i = 0; i < s.left.size(); ++i) e += double(s.left[i]) * s.left[i] + double(s.right[i]) * s.right[i];
  return e;
}

// The voice's own (unpanned) signal of a centred mono note: what the mixer puts on a send bus.
std::vector<float> mono_of(const Stereo& dry) {
  std::vector<float> m(dry.left.size());
  for (size_t i = 0; i < m.size(); ++i) m[i] = 0.5f * (dry.left[i] + dry.right[i]) / kFluidCentrePan;
  return m;
}

Stereo room_return(Room& room, const std::vector<float>* reverb, const std::vector<float>* chorus, size_t frames) {
  std::vector<float> out(2 * frames, 0.0f);
  room.process(reverb ? reverb->data() : nullptr, chorus ? chorus->data() : nullptr, out.data(), frames);
  Stereo s{std::vector<float>(frames), std::vector<float>(frames)};
  for (size_t i = 0; i < frames; ++i) {
    s.left[i] = out[2 * i];
    s.right[i] = out[2 * i + 1];
  }
  return s;
}

std::vector<float> scaled(const std::vector<float>& x, float gain) {
  std::vector<float> y(x);
  for (float& v : y) v *= gain;
  return y;
}

// Schroeder backward integration of a stereo response, T30: the -5..-35 dB slope fitted by least
// squares and extended to 60 dB.
double t30_seconds(const Stereo& s, int rate) {
  std::vector<double> edc(s.left.size());
  double acc = 0;
  for (size_t i = edc.size(); i-- > 0;) {
    acc += double(s.left[i]) * s.left[i] + double(s.right[i]) * s.right[i];
    edc[i] = acc;
  }
  double sx = 0, sy = 0, sxx = 0, sxy = 0, n = 0;
  for (size_t i = 0; i < edc.size(); ++i) {
    const double db = 10 * std::log10(edc[i] / edc[0] + 1e-300);
    if (db > -5) continue;
    if (db < -35) break;
    const double t = double(i) / rate;
    sx += t, sy += db, sxx += t * t, sxy += t * db, n += 1;
  }
  return -60 / ((n * sxy - sx * sy) / (n * sxx - sx * sx));
}

double db(double ratio) { return 10 * std::log10(ratio); }

std::vector<float> impulse(size_t n) {
  std::vector<float> x(n, 0.0f);
  x[0] = 1.0f;
  return x;
}

bool all_zero(const std::vector<float>& v, size_t from = 0) {
  return std::all_of(v.begin() + std::ptrdiff_t(from), v.end(), [](float x) { return x == 0.0f; });
}

class RoomFluidSynth : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!std::filesystem::exists(kFluidR3)) GTEST_SKIP() << "no " << kFluidR3 << " (apt install fluid-soundfont-gm)";
  }
};

const Note kClick{128, 0, 33};  // FluidR3's metronome click: 10 ms, mono, broadband

}  // namespace

TEST(RoomSends, DefaultsAndCcMappingAreFluidSynths) {
  fluid_settings_t* settings = new_fluid_settings();
  fluid_synth_t* synth = new_fluid_synth(settings);
  int reverb = -1, chorus = -1;
  fluid_synth_get_cc(synth, 0, 91, &reverb);
  fluid_synth_get_cc(synth, 0, 93, &chorus);
  double room_size = 0, width = 0, level = 0, chorus_level = 0;
  fluid_settings_getnum_default(settings, "synth.reverb.room-size", &room_size);
  fluid_settings_getnum_default(settings, "synth.reverb.width", &width);
  fluid_settings_getnum_default(settings, "synth.reverb.level", &level);
  fluid_settings_getnum_default(settings, "synth.chorus.level", &chorus_level);
  delete_fluid_synth(synth);
  delete_fluid_settings(settings);
  EXPECT_EQ(reverb, kDefaultReverbCc);
  EXPECT_EQ(chorus, kDefaultChorusCc);
  const RoomOptions o;
  EXPECT_NEAR(o.room_size, room_size, 1e-6);  // FluidSynth keeps floats
  EXPECT_NEAR(o.width, width, 1e-6);
  EXPECT_NEAR(o.level, level, 1e-6);
  EXPECT_NEAR(o.chorus_level, chorus_level, 1e-6);
  EXPECT_EQ(reverb_send_for_cc(0), 0.0f);
  EXPECT_FLOAT_EQ(reverb_send_for_cc(127), 0.2f * 127 / 128);  // FluidSynth's modulator range is 128 (fluid_mod.c)
  EXPECT_FLOAT_EQ(chorus_send_for_cc(40), 0.2f * 40 / 128);
  EXPECT_FLOAT_EQ(reverb_send_for_cc(300), 0.2f * 127 / 128);
}

TEST_F(RoomFluidSynth, ReverbDecayTimeMatchesFluidSynth) {
  const double seconds = 4;
  const Stereo dry = fluid_render(kClick, "", 127, seconds);
  const double fluid = t30_seconds(minus(fluid_render(kClick, "reverb", 127, seconds), dry), kRate);
  Room room(kRate);
  const std::vector<float> send = scaled(mono_of(dry), reverb_send_for_cc(127));
  const double ours = t30_seconds(room_return(room, &send, nullptr, send.size()), kRate);
  std::printf("T30: FluidSynth %.3f s, ours %.3f s\n", fluid, ours);
  EXPECT_NEAR(fluid, 0.96, 0.1) << "FluidSynth's default room changed";
  EXPECT_GT(ours / fluid, 0.85);
  EXPECT_LT(ours / fluid, 1.15);
}

// FluidSynth's return is linear in the send: render(CC) - render(CC 0) is the return of the CC's
// part of the send alone (FluidR3's presets add their own part), i.e. of reverb_send_for_cc(CC).
TEST_F(RoomFluidSynth, ReverbWetLevelMatchesFluidSynthPerCc91) {
  const double seconds = 4;
  for (const Note& note : {kClick, Note{128, 0, 75}}) {  // click, claves
    const Stereo dry = fluid_render(note, "", 0, seconds);
    const Stereo base = fluid_render(note, "reverb", 0, seconds);
    const std::vector<float> mono = mono_of(dry);
    double fluid_db[2], ours_db[2];
    const int ccs[2] = {40, 127};
    for (int k = 0; k < 2; ++k) {
      const double fluid = energy(minus(fluid_render(note, "reverb", ccs[k], seconds), base)) / energy(dry);
      Room room(kRate);
      const std::vector<float> send = scaled(mono, reverb_send_for_cc(ccs[k]));
      const double ours = energy(room_return(room, &send, nullptr, send.size())) / energy(dry);
      fluid_db[k] = db(fluid);
      ours_db[k] = db(ours);
      std::printf("key %d CC91 %d: wet/dry FluidSynth %.2f dB, ours %.2f dB\n", note.key, ccs[k], fluid_db[k], ours_db[k]);
      EXPECT_NEAR(ours_db[k], fluid_db[k], 2.0) << "key " << note.key << " CC91 " << ccs[k];
    }
    // The CC maps linearly, as FluidSynth's default modulator does: 20 log10(127 / 40) dB apart.
    EXPECT_NEAR(fluid_db[1] - fluid_db[0], 20 * std::log10(127.0 / 40), 0.1);
    EXPECT_NEAR(ours_db[1] - ours_db[0], 20 * std::log10(127.0 / 40), 0.1);
  }
}

TEST_F(RoomFluidSynth, ChorusLevelMatchesFluidSynthPerCc93) {
  const Note ukulele{8, 24, 60};  // a centred mono voice, no chorus send of its own
  const double seconds = 2;
  const Stereo dry = fluid_render(ukulele, "", 127, seconds);
  const double fluid = energy(minus(fluid_render(ukulele, "chorus", 127, seconds), dry)) / energy(dry);
  Room room(kRate);
  const std::vector<float> send = scaled(mono_of(dry), chorus_send_for_cc(127));
  const double ours = energy(room_return(room, nullptr, &send, send.size())) / energy(dry);
  std::printf("chorus CC93 127: wet/dry FluidSynth %.2f dB, ours %.2f dB\n", db(fluid), db(ours));
  EXPECT_NEAR(db(ours), db(fluid), 2.0);
}

TEST(RoomSilence, ZeroSendsGiveExactZeros) {
  Room room(kRate);
  const size_t n = kRate;
  std::vector<float> zeros(n, 0.0f), out(2 * n, 0.0f);
  room.process(zeros.data(), zeros.data(), out.data(), n);
  room.process(nullptr, nullptr, out.data(), n);
  EXPECT_TRUE(all_zero(out));
  // A signal on one bus with a zero send on the other: the other effect adds nothing.
  const std::vector<float> x = impulse(n);
  Room reverb_only(kRate), chorus_only(kRate);
  const Stereo a = room_return(reverb_only, &x, &zeros, n);
  const Stereo b = room_return(chorus_only, &zeros, &x, n);
  Room reverb_ref(kRate), chorus_ref(kRate);
  EXPECT_EQ(a.left, room_return(reverb_ref, &x, nullptr, n).left);
  EXPECT_EQ(b.right, room_return(chorus_ref, nullptr, &x, n).right);
  EXPECT_GT(energy(a), 0);
  EXPECT_GT(energy(b), 0);
}

TEST(RoomSilence, TailEndsInExactZeros) {
  for (float amplitude : {1.0f, 1e-3f}) {
    Room room(kRate);
    const size_t tail = size_t(room.tail_seconds() * kRate), n = tail + 2 * size_t(kRate);
    // One second of full-scale noise (the worst the lines store), then silence.
    std::vector<float> x(n, 0.0f);
    uint32_t seed = 1;
    for (size_t i = 0; i < size_t(kRate); ++i) {
      seed = seed * 1664525u + 1013904223u;
      x[i] = amplitude * (float(seed >> 8) / 8388608.0f - 1.0f);
    }
    std::vector<float> out(2 * n, 0.0f);
    room.process(x.data(), x.data(), out.data(), n);
    EXPECT_NE(out[2 * (kRate + kRate / 2)], 0.0f) << "the tail rings on after the send stops";
    EXPECT_TRUE(all_zero(out, 2 * (size_t(kRate) + tail))) << "amplitude " << amplitude;
    EXPECT_LT(room.tail_seconds(), 5.0);
    // No subnormal value anywhere in the decay.
    for (float v : out) ASSERT_TRUE(v == 0.0f || std::fabs(v) >= 1.17549435e-38f);
  }
}

TEST(RoomDeterminism, SameInputSameBitsWhateverTheBlocks) {
  const size_t n = 3 * kRate;
  std::vector<float> x(n, 0.0f), y(n, 0.0f);
  uint32_t seed = 7;
  for (size_t i = 0; i < n / 3; ++i) {
    seed = seed * 1664525u + 1013904223u;
    x[i] = float(seed >> 8) / 16777216.0f - 0.5f;
    y[i] = 0.5f * x[i];
  }
  Room a(kRate), b(kRate);
  std::vector<float> out_a(2 * n, 0.0f), out_b(2 * n, 0.0f);
  a.process(x.data(), y.data(), out_a.data(), n);
  for (size_t i = 0; i < n; i += 331) {
    const size_t m = std::min<size_t>(331, n - i);
    b.process(x.data() + i, y.data() + i, out_b.data() + 2 * i, m);
  }
  EXPECT_EQ(out_a, out_b);
  a.reset();
  std::vector<float> again(2 * n, 0.0f);
  a.process(x.data(), y.data(), again.data(), n);
  EXPECT_EQ(out_a, again) << "reset() returns to the constructed state";
}

// Noise bursts of half a second around a silence longer than the room's tail (it falls asleep
// and wakes again), on the reverb and chorus buses.
struct RoomInput {
  std::vector<float> reverb, chorus;
  size_t burst = 0, gap = 0;
};
RoomInput bursts_around_silence(int rate) {
  RoomInput in;
  in.burst = size_t(rate) / 2;
  in.gap = size_t(std::ceil((Room(rate).tail_seconds() + 0.5) * rate));
  const size_t n = 2 * in.burst + in.gap;
  in.reverb.assign(n, 0.0f);
  in.chorus.assign(n, 0.0f);
  uint32_t seed = 11;
  for (size_t i = 0; i < n; ++i) {
    if (i >= in.burst && i < in.burst + in.gap) continue;
    seed = seed * 1664525u + 1013904223u;
    in.reverb[i] = float(seed >> 8) / 16777216.0f - 0.5f;
    in.chorus[i] = 0.3f * in.reverb[i];
  }
  return in;
}

// FNV-1a over the samples' bits.
uint64_t fnv1a(const std::vector<float>& v) {
  uint64_t h = 1469598103934665603ull;
  for (float f : v) {
    uint32_t bits;
    std::memcpy(&bits, &f, sizeof bits);
    for (int k = 0; k < 4; ++k) h = (h ^ ((bits >> (8 * k)) & 0xffu)) * 1099511628211ull;
  }
  return h;
}

// process() works in blocks, stage by stage. Its output must equal the frame-by-frame room it
// replaced (2942cf7) bit for bit, digests recorded from that code on this input, through the room
// falling asleep in the silence and waking again. At 8 and 16 kHz the chorus reads back fewer
// frames than a block holds. One frame per call gives the same bits as whole buffers.
TEST(RoomDeterminism, BlocksEqualTheFrameByFrameRoom) {
  const std::map<int, uint64_t> frame_by_frame = {
      {8000, 0xb949ba0eaf65df74ull}, {16000, 0x69df8f5c1cfcac11ull}, {44100, 0x4816b57edc9bb1bcull}, {48000, 0x2e41a108e0001083ull}};
  for (const auto& [rate, digest] : frame_by_frame) {
    const RoomInput in = bursts_around_silence(rate);
    const size_t n = in.reverb.size();
    Room a(rate), b(rate);
    std::vector<float> out_a(2 * n, 0.0f), out_b(2 * n, 0.0f);
    a.process(in.reverb.data(), in.chorus.data(), out_a.data(), n);
    EXPECT_EQ(fnv1a(out_a), digest) << rate << " Hz";
    for (size_t i = 0; i < n; ++i) b.process(in.reverb.data() + i, in.chorus.data() + i, out_b.data() + 2 * i, 1);
    EXPECT_EQ(out_a, out_b) << rate << " Hz";
    // Asleep before the second burst (exact zeros), awake in it.
    const size_t wake = in.burst + in.gap;
    EXPECT_TRUE(std::all_of(out_a.begin() + long(2 * (wake - size_t(rate) / 10)), out_a.begin() + long(2 * wake),
                            [](float v) { return v == 0.0f; }))
        << rate << " Hz";
    EXPECT_TRUE(std::any_of(out_a.begin() + long(2 * wake), out_a.begin() + long(2 * (wake + size_t(rate) / 10)),
                            [](float v) { return v != 0.0f; }))
        << rate << " Hz: awake again";
  }
}

TEST(RoomSampleRates, SameRoomAtEveryRate) {
  double t30_48 = 0, level_48 = 0;
  for (int rate : {48000, 16000, 44100, 96000, 192000}) {
    Room room(rate);
    // A 500 Hz burst of 0.1 s: the same sound at every rate.
    const size_t n = size_t(3 * rate);
    std::vector<float> burst(n, 0.0f);
    for (size_t i = 0; i < size_t(rate / 10); ++i) burst[i] = float(std::sin(2 * M_PI * 500 * double(i) / rate));
    const Stereo wet = room_return(room, &burst, nullptr, n);
    const std::vector<float> x = impulse(n);
    Room for_impulse(rate);
    const double t30 = t30_seconds(room_return(for_impulse, &x, nullptr, n), rate);
    double dry = 0;
    for (float v : burst) dry += double(v) * v;
    const double level = db(energy(wet) / dry);
    if (rate == 48000) {
      t30_48 = t30, level_48 = level;
      EXPECT_NEAR(t30, room.reverb_t60_seconds(), 0.15 * room.reverb_t60_seconds());
    }
    EXPECT_NEAR(t30, t30_48, 0.08 * t30_48) << rate << " Hz";
    EXPECT_NEAR(level, level_48, 1.5) << rate << " Hz";
  }
}

TEST(RoomOptions, OutOfRangeNamesTheParameter) {
  RoomOptions o;
  o.room_size = 1.5;
  try {
    Room room(kRate, o);
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_EQ(e.subject(), "RoomOptions.room_size");
  }
  o = RoomOptions{};
  o.chorus_voices = 2.5;
  EXPECT_THROW(Room(kRate, o), Error);
  EXPECT_THROW(Room(4000), Error);
  o = RoomOptions{};
  o.room_size = 0.9;  // a longer room rings longer
  EXPECT_GT(Room(kRate, o).reverb_t60_seconds(), 3 * Room(kRate).reverb_t60_seconds());
}
