// Sharded batch rendering: shard parsing (i/n, Slurm arrays, Kubernetes indexed Jobs), and
// `render-batch`: two shards together write exactly the files one run writes, byte for byte; a
// rerun skips what is there; a bad file is reported in the summary and the shard goes on.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>

#include "test_util.h"
#include "timbrel/error.h"
#include "timbrel/music.h"
#include "timbrel/shard.h"

using namespace timbrel;
namespace fs = std::filesystem;

namespace {

std::function<const char*(const char*)> environment(std::map<std::string, std::string> vars) {
  auto shared = std::make_shared<std::map<std::string, std::string>>(std::move(vars));
  return [shared](const char* name) -> const char* {
    auto it = shared->find(name);
    return it == shared->end() ? nullptr : it->second.c_str();
  };
}

TEST(Shard, ParsesIndexOfCountAndTheSchedulersVariables) {
  const Shard s = parse_shard("2/5");
  EXPECT_EQ(s.index, 2);
  EXPECT_EQ(s.count, 5);
  EXPECT_THROW(parse_shard("5/5"), Error);
  EXPECT_THROW(parse_shard("1"), Error);
  EXPECT_THROW(parse_shard("a/3"), Error);
  // Slurm: --array=4-7 -> task 6 is shard 2 of 4.
  const Shard slurm = parse_shard("auto", 0, "shard", environment({{"SLURM_ARRAY_TASK_ID", "6"}, {"SLURM_ARRAY_TASK_MIN", "4"}, {"SLURM_ARRAY_TASK_MAX", "7"}}));
  EXPECT_EQ(slurm.index, 2);
  EXPECT_EQ(slurm.count, 4);
  const Shard counted = parse_shard("auto", 0, "shard", environment({{"SLURM_ARRAY_TASK_ID", "1"}, {"SLURM_ARRAY_TASK_COUNT", "3"}}));
  EXPECT_EQ(counted.count, 3);
  // Kubernetes: the completion index, with the count given.
  const Shard k8s = parse_shard("auto", 8, "shard", environment({{"JOB_COMPLETION_INDEX", "7"}}));
  EXPECT_EQ(k8s.index, 7);
  EXPECT_EQ(k8s.count, 8);
  EXPECT_THROW(parse_shard("auto", 0, "shard", environment({{"JOB_COMPLETION_INDEX", "7"}})), Error);
  EXPECT_EQ(parse_shard("auto", 0, "shard", environment({{"JOB_COMPLETION_INDEX", "1"}, {"TIMBREL_SHARD_COUNT", "2"}})).count, 2);
  EXPECT_THROW(parse_shard("auto", 0, "shard", environment({})), Error);
}

TEST(Shard, EveryKeyFallsInExactlyOneShardAndTheSplitIsEven) {
  const int n = 4;
  std::vector<int> sizes(n, 0);
  for (int k = 0; k < 1000; ++k) {
    const std::string key = "corpus/song_" + std::to_string(k) + ".mid";
    int owners = 0;
    for (int i = 0; i < n; ++i) owners += Shard{i, n}.contains(key) ? (++sizes[size_t(i)], 1) : 0;
    EXPECT_EQ(owners, 1) << key;
  }
  for (int size : sizes) EXPECT_NEAR(size, 250, 60);
  EXPECT_EQ(stable_hash("a"), 12638187200555641996ull);  // FNV-1a 64 of "a": the split never changes
}

std::string read_bytes(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  std::stringstream s;
  s << f.rdbuf();
  return s.str();
}

TEST(RenderBatch, ShardsTogetherEqualOneRunAndResume) {
  const std::string dir = test::temp_dir(), in = dir + "/midi", bin = TIMBREL_BINARY;
  fs::create_directories(in + "/sub");
  for (int k = 0; k < 6; ++k) {
    NoteSequence seq;
    Note n;
    n.pitch = 55 + 3 * k;
    n.end_time = 0.3;
    n.program = k % 2 ? 40 : 0;
    seq.add_note(n);
    write_midi(seq, in + (k % 3 == 0 ? "/sub/" : "/") + "song" + std::to_string(k) + ".mid");
  }
  { std::ofstream(in + "/broken.mid") << "not a MIDI file"; }
  std::string out;
  const std::string common = " --no-drums --device cpu";
  EXPECT_EQ(test::run_command(bin + " render-batch " + in + " -o " + dir + "/one" + common, &out, true), 1) << out;  // broken.mid failed
  for (int i = 0; i < 2; ++i)
    test::run_command(bin + " render-batch " + in + " -o " + dir + "/two --shard " + std::to_string(i) + "/2" + common, &out, true);
  size_t files = 0;
  for (const auto& e : fs::recursive_directory_iterator(dir + "/one")) {
    if (e.path().extension() != ".wav") continue;
    const std::string rel = fs::relative(e.path(), dir + "/one").string();
    ASSERT_TRUE(test::file_exists(dir + "/two/" + rel)) << rel;
    EXPECT_EQ(read_bytes(e.path().string()), read_bytes(dir + "/two/" + rel)) << rel;
    ++files;
  }
  EXPECT_EQ(files, 6u);
  EXPECT_TRUE(test::file_exists(dir + "/one/sub/song3.wav"));  // sub-folders kept
  const nlohmann::json one = nlohmann::json::parse(read_bytes(dir + "/one/render-batch-shard-0-of-1.json"));
  EXPECT_EQ(one["rendered"], 6);
  ASSERT_EQ(one["failed"].size(), 1u);
  EXPECT_EQ(one["failed"][0]["file"], "broken.mid");
  const nlohmann::json s0 = nlohmann::json::parse(read_bytes(dir + "/two/render-batch-shard-0-of-2.json")),
                       s1 = nlohmann::json::parse(read_bytes(dir + "/two/render-batch-shard-1-of-2.json"));
  EXPECT_EQ(s0["files_in_shard"].get<int>() + s1["files_in_shard"].get<int>(), 7);
  // A rerun renders nothing that exists.
  fs::remove(in + "/broken.mid");
  ASSERT_EQ(test::run_command(bin + " render-batch " + in + " -o " + dir + "/one" + common, &out, true), 0) << out;
  const nlohmann::json again = nlohmann::json::parse(read_bytes(dir + "/one/render-batch-shard-0-of-1.json"));
  EXPECT_EQ(again["rendered"], 0);
  EXPECT_EQ(again["skipped_existing"], 6);
  EXPECT_NE(test::run_command(bin + " render-batch " + in + " -o " + dir + "/x --shard 2/2", &out, true), 0);
  EXPECT_NE(out.find("--shard"), std::string::npos) << out;
}

}  // namespace
