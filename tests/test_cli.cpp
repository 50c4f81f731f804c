// The timbrel binary end to end: info, inspect, errors, help.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <sstream>

#include "test_util.h"
#include "timbrel/sound_file.h"

using namespace timbrel;
using ::testing::HasSubstr;
using nlohmann::json;

namespace {

const std::string kBin = TIMBREL_BINARY;
const std::string kMidi = std::string(TIMBREL_TEST_DATA_DIR) + "/midi/";

std::vector<std::string> lines(const std::string& text) {
  std::vector<std::string> out;
  std::stringstream s(text);
  std::string l;
  while (std::getline(s, l)) out.push_back(l);
  return out;
}

TEST(Cli, InfoJsonHasBuildOptions) {
  std::string out;
  ASSERT_EQ(test::run_command(kBin + " info --json", &out), 0);
  json j = json::parse(out);
  EXPECT_EQ(j["version"], "0.1.0");
  EXPECT_TRUE(j["build"]["cuda"]["compiled"].is_boolean());
  EXPECT_TRUE(j["build"]["cuda"]["devices"].is_array());
  EXPECT_FALSE(j["libtorch"]["version"].get<std::string>().empty());
  EXPECT_TRUE(j["audio"]["devices"].is_array());
  ASSERT_EQ(test::run_command(kBin + " info", &out), 0);
  EXPECT_THAT(out, HasSubstr("libtorch"));
}

TEST(Cli, InspectJsonOneLinePerFileInOrder) {
  std::string wav = test::temp_dir() + "/a.wav";
  Audio a;
  a.samples.assign(8000, 0.25f);
  write_sound_file(wav, a);
  std::string out;
  ASSERT_EQ(test::run_command(kBin + " inspect --json " + kMidi + "tempo_changes.mid " + wav + " " +
                                  kMidi + "running_status.mid", &out), 0);
  auto ls = lines(out);
  ASSERT_EQ(ls.size(), 3u);
  json m = json::parse(ls[0]), w = json::parse(ls[1]), d = json::parse(ls[2]);
  EXPECT_EQ(m["type"], "midi");
  EXPECT_EQ(m["format"], 1);
  EXPECT_EQ(m["tracks"], 3);
  EXPECT_EQ(m["notes"], 3);
  EXPECT_EQ(m["time_signature"], "3/4");
  EXPECT_EQ(m["tempo_changes"], 2);
  EXPECT_EQ(m["pitch_range"], json::array({48, 74}));
  EXPECT_EQ(m["drums"], false);
  EXPECT_NEAR(m["duration_seconds"].get<double>(), 2.0 + 4 * 0.666667 + 1160 / 480.0 * 0.4, 1e-4);
  EXPECT_EQ(w["type"], "audio");
  EXPECT_EQ(w["sample_rate"], 16000);
  EXPECT_EQ(w["channels"], 1);
  EXPECT_DOUBLE_EQ(w["seconds"].get<double>(), 0.5);
  EXPECT_NEAR(w["peak"].get<double>(), 0.25, 1e-4);
  EXPECT_EQ(d["drums"], true);
}

TEST(Cli, InspectBadFileReportsAndContinues) {
  std::string out;
  int rc = test::run_command(kBin + " inspect --json " + kMidi + "truncated_track.mid " + kMidi +
                                 "smpte.mid 2>" + test::temp_dir() + "/err.txt", &out);
  EXPECT_EQ(rc, 1);
  auto ls = lines(out);
  ASSERT_EQ(ls.size(), 1u);
  EXPECT_EQ(json::parse(ls[0])["ticks_per_second"], 1000);
  std::string err;
  test::run_command(kBin + " inspect " + kMidi + "truncated_track.mid", &err, true);
  EXPECT_THAT(err, HasSubstr("timbrel: " + kMidi + "truncated_track.mid: chunk 'MTrk' declares"));
  EXPECT_THAT(err, HasSubstr("(at byte 14)"));
}

TEST(Cli, HelpHasExamplesAndUnknownCommandFails) {
  std::string out;
  for (const char* cmd : {"--help", "info --help", "inspect --help"}) {
    ASSERT_EQ(test::run_command(kBin + " " + cmd, &out), 0) << cmd;
    EXPECT_THAT(out, HasSubstr("Example")) << cmd;
  }
  EXPECT_NE(test::run_command(kBin + " frobnicate", &out, true), 0);
  EXPECT_NE(test::run_command(kBin + " inspect", &out, true), 0);
}

}  // namespace

// Usage errors exit with 1 (CLI11's own codes are 100+), help with 0; a CPU run says nothing about
// GPUs.
TEST(Cli, UsageErrorsExitWithOneAndCpuRunsAreQuiet) {
  std::string out;
  EXPECT_EQ(test::run_command(kBin + " generate --bars 0 -o " + test::temp_dir() + "/x.wav", &out, true), 1);
  EXPECT_THAT(out, HasSubstr("--bars"));
  EXPECT_EQ(test::run_command(kBin + " render", &out, true), 1);
  EXPECT_EQ(test::run_command(kBin + " --no-such-flag", &out, true), 1);
  EXPECT_EQ(test::run_command(kBin + " render --help", &out, true), 0);
  EXPECT_EQ(test::run_command(kBin + " generate --bars 2 --device cpu --force -o " + test::temp_dir() + "/quiet.wav", &out, true), 0)
      << out;
  EXPECT_THAT(out, ::testing::Not(HasSubstr("GPU")));
}
