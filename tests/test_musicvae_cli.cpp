// timbrel sample / interpolate / eval / convert end to end, on tiny random models written here
// and (when ../shared is present) the official decoder-only checkpoint.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "nn/musicvae_model.h"
#include "test_util.h"
#include "timbrel/music.h"
#include "train/musicvae_data.h"
#include "train/musicvae_eval.h"
#include "util/npy.h"

using namespace timbrel;
using ::testing::HasSubstr;

namespace {

const std::string kBin = TIMBREL_BINARY;

std::string tiny_model(const std::string& kind) {
  std::string dir = test::temp_dir() + "/" + kind;
  if (test::file_exists(dir + "/model.json")) return dir;
  torch::manual_seed(11);
  nn::MusicVaeConfig c = kind == "drums" ? nn::MusicVaeConfig::drums_small() : nn::MusicVaeConfig::melody_small();
  c.z_size = 8;
  c.encoder = {16};
  c.decoder = {16};
  nn::wrap_musicvae(nn::MusicVaeNet(c), "test").save(dir);
  return dir;
}

std::string official() {
  std::string s = test::shared_dir();
  std::string d = s + "/models-ext/musicvae_mel_2bar_small/dljs";
  return !s.empty() && test::file_exists(d + "/manifest.json") ? d : "";
}

TEST(MusicVaeCli, SampleWritesNMelodiesOnOneTrack) {
  std::string dir = test::temp_dir(), out;
  std::string model = tiny_model("melody");
  ASSERT_EQ(test::run_command(kBin + " sample --model " + model + " -n 3 --seed 4 -o " + dir + "/s.mid", &out, true), 0) << out;
  auto seq = read_midi(dir + "/s.mid");
  ASSERT_FALSE(seq.notes.empty());
  for (const auto& n : seq.notes) {
    EXPECT_GE(n.pitch, 21);
    EXPECT_LE(n.pitch, 108);
    EXPECT_FALSE(n.is_drum);
    EXPECT_LE(n.end_time, 3 * 4.0 + 1e-6);  // 3 x 2 bars at 120 qpm
  }
  // Same seed, same file; --split writes one file per melody.
  ASSERT_EQ(test::run_command(kBin + " sample --model " + model + " -n 3 --seed 4 -o " + dir + "/t.mid", &out), 0);
  EXPECT_EQ(test::read_text(dir + "/s.mid"), test::read_text(dir + "/t.mid"));
  ASSERT_EQ(test::run_command(kBin + " sample --model " + model + " -n 2 --split -o " + dir + "/p.mid", &out), 0);
  EXPECT_TRUE(test::file_exists(dir + "/p_0.mid"));
  EXPECT_TRUE(test::file_exists(dir + "/p_1.mid"));
}

TEST(MusicVaeCli, SampleFromZFileSetsN) {
  std::string dir = test::temp_dir(), out;
  std::string model = tiny_model("melody");
  NpyArray z;
  z.shape = {4, 8};
  z.data.assign(32, 0.5f);
  write_npy(dir + "/z.npy", z);
  ASSERT_EQ(test::run_command(kBin + " sample --model " + model + " --temperature 0 --z-file " + dir + "/z.npy --split -o " + dir + "/z.mid", &out, true), 0) << out;
  EXPECT_TRUE(test::file_exists(dir + "/z_3.mid"));
  EXPECT_FALSE(test::file_exists(dir + "/z_4.mid"));
  // Four equal z at temperature 0: four equal melodies.
  EXPECT_EQ(test::read_text(dir + "/z_0.mid"), test::read_text(dir + "/z_3.mid"));
  z.shape = {4, 7};
  z.data.assign(28, 0.f);
  write_npy(dir + "/bad.npy", z);
  EXPECT_EQ(test::run_command(kBin + " sample --model " + model + " --z-file " + dir + "/bad.npy -o " + dir + "/b.mid", &out, true), 1);
  EXPECT_THAT(out, HasSubstr("timbrel: " + dir + "/bad.npy: expected shape [8] or [N, 8]"));
  EXPECT_FALSE(test::file_exists(dir + "/b.mid"));
}

TEST(MusicVaeCli, DrumsGoToChannel10) {
  std::string dir = test::temp_dir(), out;
  ASSERT_EQ(test::run_command(kBin + " sample --model " + tiny_model("drums") + " -n 4 --temperature 1 -o " + dir + "/d.mid", &out, true), 0) << out;
  auto seq = read_midi(dir + "/d.mid");
  ASSERT_FALSE(seq.notes.empty());
  for (const auto& n : seq.notes) {
    EXPECT_TRUE(n.is_drum);
    EXPECT_EQ(n.channel, 9);
    EXPECT_GE(drum_class_of_pitch(n.pitch), 0);
  }
}

TEST(MusicVaeCli, InterpolateWritesKWindowsAndEvalReports) {
  std::string dir = test::temp_dir(), out;
  std::string model = tiny_model("melody");
  std::vector<int> a(32, kMelodyNoEvent), b(32, kMelodyNoEvent);
  for (int i = 0; i < 8; ++i) a[size_t(i * 4)] = 60 + i, b[size_t(i * 4)] = 72 - i;
  write_midi(melody_to_sequence(a), dir + "/a.mid");
  write_midi(melody_to_sequence(b), dir + "/b.mid");
  ASSERT_EQ(test::run_command(kBin + " interpolate " + dir + "/a.mid " + dir + "/b.mid --steps 4 --model " + model + " -o " + dir + "/i.mid", &out, true), 0) << out;
  auto seq = read_midi(dir + "/i.mid");
  ASSERT_FALSE(seq.notes.empty());
  EXPECT_LE(seq.notes.back().end_time, 4 * 4.0 + 1e-6);
  ASSERT_EQ(test::run_command(kBin + " interpolate " + dir + "/a.mid " + dir + "/b.mid --steps 3 --refine 10 --model " + model + " -o " + dir + "/r.mid", &out, true), 0) << out;
  EXPECT_FALSE(read_midi(dir + "/r.mid").notes.empty());
  EXPECT_EQ(test::run_command(kBin + " interpolate " + dir + "/a.mid " + dir + "/b.mid --refine -1 --model " + model + " -o " + dir + "/n.mid", &out, true), 1);
  EXPECT_THAT(out, HasSubstr("--refine"));
  EXPECT_EQ(test::run_command(kBin + " interpolate " + dir + "/a.mid " + dir + "/b.mid --bar 7 --model " + model + " -o " + dir + "/j.mid", &out, true), 1);
  EXPECT_THAT(out, HasSubstr("timbrel: --bar: 7 is past the last window"));

  std::filesystem::create_directories(dir + "/data");
  std::filesystem::copy_file(dir + "/a.mid", dir + "/data/a.mid");
  {
    std::string junk = dir + "/data/junk.mid";
    FILE* f = fopen(junk.c_str(), "w");
    fputs("junk", f);
    fclose(f);
  }
  EXPECT_EQ(test::run_command(kBin + " eval melody --model " + model + " --data " + dir + "/data --json 2>/dev/null", &out), 1);
  auto j = nlohmann::json::parse(out);
  EXPECT_EQ(j["windows"], 1);  // 2 bars: the window at bar 1 would run past the melody
  EXPECT_EQ(j["skipped_files"], 1);
  EXPECT_EQ(j["bars"], 2);
  EXPECT_FALSE(j["chain"].get<bool>());
  EXPECT_EQ(j["refine_steps"], 0);
  EXPECT_EQ(test::run_command(kBin + " eval melody --model " + model + " --data " + dir + "/data --refine 20 --json 2>/dev/null", &out), 1);
  auto refined = nlohmann::json::parse(out);
  EXPECT_EQ(refined["refine_steps"], 20);  // EvalScoresAsTheLibrary checks what refining gains
  // --held-out: info.csv's validation split only (b.mid trains, a.mid validates).
  std::filesystem::create_directories(dir + "/split");
  std::filesystem::copy_file(dir + "/a.mid", dir + "/split/a.mid");
  std::filesystem::copy_file(dir + "/b.mid", dir + "/split/b.mid");
  std::ofstream(dir + "/split/info.csv") << "midi_filename,split\nb.mid,train\na.mid,validation\n";
  ASSERT_EQ(test::run_command(kBin + " eval melody --model " + model + " --data " + dir + "/split --held-out --json", &out), 0) << out;
  auto held = nlohmann::json::parse(out);
  EXPECT_TRUE(held["held_out"].get<bool>());
  EXPECT_EQ(held["files"], 1);
  EXPECT_EQ(held["windows"], j["windows"]);  // a.mid's, as above
  ASSERT_EQ(test::run_command(kBin + " eval melody --model " + model + " --data " + dir + "/split --json", &out), 0) << out;
  EXPECT_EQ(nlohmann::json::parse(out)["files"], 2);
  EXPECT_EQ(test::run_command(kBin + " eval melody --model " + model + " --data " + dir + "/data --bars 3", &out, true), 1);
  EXPECT_THAT(out, HasSubstr("--bars: 3: " + model + " reads 2-bar windows (or a multiple of them, as a chain)"));
  EXPECT_EQ(test::run_command(kBin + " eval drums --model " + model + " --data " + dir + "/data", &out, true), 1);
  EXPECT_THAT(out, HasSubstr("is a melody model, not drums"));
}

// The tiny random model above reconstructs nothing (accuracy 0); the shipped 2-bar model gets
// part of this leaping tune right (here 0.25 greedy, 0.5 teacher-forced), so a swapped or constant
// field shows. The CLI reports what the library measures.
TEST(MusicVaeCli, EvalScoresAsTheLibrary) {
  const std::string dir = test::temp_dir() + "/leaps", model = std::string(TIMBREL_SOURCE_DIR) + "/models/melody-2bar";
  std::filesystem::create_directories(dir);
  std::vector<int> events(32, kMelodyNoEvent);
  const int onsets[][2] = {{0, 60},  {1, 83},  {4, 49},  {5, 71},  {7, 58},  {8, 80},  {9, 50},  {12, 77}, {13, 52},
                           {15, 82}, {16, 48}, {17, 66}, {20, 81}, {21, 55}, {23, 73}, {24, 62}, {27, 79}, {28, 51}};
  for (const auto& o : onsets) events[size_t(o[0])] = o[1];
  write_midi(melody_to_sequence(events), dir + "/leaps.mid");
  std::string out;
  ASSERT_EQ(test::run_command(kBin + " eval melody --model " + model + " --data " + dir + " --json", &out), 0) << out;
  const auto j = nlohmann::json::parse(out);
  const auto truth = train::reconstruction_accuracy(MusicVae::load(model), train::load_all("melody", dir).validation.windows);
  ASSERT_EQ(truth.windows, 1u);
  EXPECT_DOUBLE_EQ(j["token_accuracy"].get<double>(), truth.greedy);
  EXPECT_DOUBLE_EQ(j["teacher_forced_accuracy"].get<double>(), truth.teacher_forced);
  EXPECT_GT(truth.greedy, 0.0);
  EXPECT_LT(truth.greedy, truth.teacher_forced);  // its own mistakes fed back cost more steps
  // Latents refined 20 steps reconstruct more of it (0.3125 here).
  ASSERT_EQ(test::run_command(kBin + " eval melody --model " + model + " --data " + dir + " --refine 20 --json", &out), 0) << out;
  EXPECT_GT(nlohmann::json::parse(out)["token_accuracy"].get<double>(), truth.greedy);
}

TEST(MusicVaeCli, OfficialCheckpointSamplesConvertsButCannotEncode) {
  std::string off = official();
  if (off.empty()) GTEST_SKIP() << "../shared/models-ext/musicvae_mel_2bar_small/dljs absent";
  std::string dir = test::temp_dir(), out;
  ASSERT_EQ(test::run_command(kBin + " sample --model " + off + " -n 2 -o " + dir + "/o.mid", &out, true), 0) << out;
  EXPECT_FALSE(read_midi(dir + "/o.mid").notes.empty());
  ASSERT_EQ(test::run_command(kBin + " convert " + off + " -o " + dir + "/conv --float16", &out, true), 0) << out;
  auto card = nlohmann::json::parse(test::read_text(dir + "/conv/model.json"));
  EXPECT_EQ(card["missing_encoder_tensors"].size(), 2u);
  // Converted (float16) decodes the same argmax melody as the original for a fixed z.
  NpyArray z;
  z.shape = {256};
  for (int i = 0; i < 256; ++i) z.data.push_back(float((i * 37) % 17 - 8) / 8.0f);
  write_npy(dir + "/z.npy", z);
  ASSERT_EQ(test::run_command(kBin + " sample --model " + off + " -t 0 --z-file " + dir + "/z.npy -o " + dir + "/x.mid", &out), 0);
  ASSERT_EQ(test::run_command(kBin + " sample --model " + dir + "/conv -t 0 --z-file " + dir + "/z.npy -o " + dir + "/y.mid", &out), 0);
  EXPECT_EQ(test::read_text(dir + "/x.mid"), test::read_text(dir + "/y.mid"));
  std::vector<int> a(32, kMelodyNoEvent);
  a[0] = 60;
  write_midi(melody_to_sequence(a), dir + "/a.mid");
  EXPECT_EQ(test::run_command(kBin + " interpolate " + dir + "/a.mid " + dir + "/a.mid --model " + off + " -o " + dir + "/i.mid", &out, true), 1);
  EXPECT_THAT(out, HasSubstr("cannot encode: the weights lack the encoder tensors encoder.layer_0.fw.kernel"));
  EXPECT_FALSE(test::file_exists(dir + "/i.mid"));
}

}  // namespace
