// Data-parallel training over c10d (Gloo on 127.0.0.1): two ranks launched by
// tools/launch-local.sh train to the same weights (within 1e-5) as one rank with the same global
// batch, for the timbre, DDSP and GrooVAE trainers; a rank that dies makes the other fail with an error
// within the timeout instead of hanging; the launch variables are checked.
#include <gtest/gtest.h>

#include <chrono>
#include <cmath>
#include <filesystem>
#include <map>

#include "nn/safetensors.h"
#include "test_util.h"
#include "timbrel/error.h"
#include "timbrel/music.h"
#include "train/data_parallel.h"
#include "train/note_dataset.h"

using namespace timbrel;

namespace {

const std::string kSoundFont = "/usr/share/sounds/sf2/TimGM6mb.sf2";
const std::string kLaunch = std::string(TIMBREL_SOURCE_DIR) + "/tools/launch-local.sh";

const std::string& note_set() {
  static std::string dir;
  if (dir.empty()) {
    dir = test::temp_dir() + "/dp-notes";
    NoteSetOptions o;
    o.soundfonts = {kSoundFont};
    o.out_dir = dir;
    o.programs = {0, 73};
    o.min_pitch = 60;
    o.max_pitch = 65;
    o.test_fraction = 0;
    o.validation_every = 4;
    train::build_note_set(o);
  }
  return dir;
}

// Share of the weights of two weight files that differ by more than 1e-4 of the largest |a|.
double diverged_weights(const std::string& a, const std::string& b) {
  const nn::TensorMap x = nn::read_safetensors(a).tensors, y = nn::read_safetensors(b).tensors;
  double peak = 0, count = 0, total = 0;
  for (const auto& [name, t] : x) peak = std::max(peak, t.abs().max().item<double>());
  for (const auto& [name, t] : x) {
    count += ((t - y.at(name)).abs() > 1e-4 * peak).sum().item<double>();
    total += double(t.numel());
  }
  return count / total;
}

// Mean |a - b| over every weight of two weight files.
double mean_weight_difference(const std::string& a, const std::string& b) {
  const nn::TensorMap x = nn::read_safetensors(a).tensors, y = nn::read_safetensors(b).tensors;
  double sum = 0, total = 0;
  for (const auto& [name, t] : x) {
    sum += (t - y.at(name)).abs().sum().item<double>();
    total += double(t.numel());
  }
  return sum / total;
}

class DataParallelTraining : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!test::file_exists(kSoundFont)) GTEST_SKIP() << "no " << kSoundFont;
  }
  // Trains with `ranks` ranks; returns the command's status.
  int train(const std::string& trainer, const std::string& out, int ranks, std::string* log, int batch = 4) {
    const std::string args = (trainer == "timbre" ? " --channels 16,16,12,12,8,8,4 --latent 16"
                                                  : " --channels 16 --layers 2 --embedding 4 --crop 0.3") +
                             std::string(" --batch ") + std::to_string(batch);
    const std::string cmd = std::string(TIMBREL_BINARY) + " train " + trainer + " --data " + note_set() + " --out " + out +
                            " --steps 3 --threads 1 --checkpoint-every 100 --validate-every 100" + args;
    if (ranks == 1) return test::run_command(cmd, log, true);
    return test::run_command("cd " + test::temp_dir() + " && TIMBREL_DIST_TIMEOUT=60 " + kLaunch + " " + std::to_string(ranks) + " -- " + cmd, log, true);
  }
};

// "loss A -> B" of the trainer's summary line: the mean loss of the run's steps.
double mean_loss(const std::string& log) {
  const size_t at = log.find("; loss ");
  return at == std::string::npos ? NAN : std::stod(log.substr(log.find("-> ", at) + 3));
}

TEST_F(DataParallelTraining, TwoRanksEqualOneRankWithTheSameGlobalBatch) {
  for (const std::string trainer : {"timbre", "ddsp"}) {
    const std::string dir = test::temp_dir() + "/" + trainer;
    std::string one, two;
    ASSERT_EQ(train(trainer, dir + "/one", 1, &one), 0) << one;
    ASSERT_EQ(train(trainer, dir + "/two", 2, &two), 0) << two;
    const double a = mean_loss(one), b = mean_loss(two);
    const double diverged = diverged_weights(dir + "/one/weights.safetensors", dir + "/two/weights.safetensors");
    std::printf("%s, 3 steps: mean loss 1 rank %.6g, 2 ranks %.6g; %.3f%% of the weights differ by > 1e-4 of the largest\n",
                trainer.c_str(), a, b, 100 * diverged);
    EXPECT_NEAR(a, b, 1e-5 * std::fabs(a)) << one << "\n---\n" << two;
    // Weights: the sums run in another order; Adam's first steps scale each gradient to about +-lr,
    // so where a gradient is near zero its rounding moves that weight by up to lr. How often depends
    // on the CPU's kernels: 0.07% of the timbre model's weights on an AMD EPYC with AVX-512, none on
    // an Intel Xeon, 10% of the DDSP model's on an AVX2-only EPYC. So the weights are held beside a
    // rank training alone on half the batch (no averaging), in the same run: measured there 7x
    // further from the one-rank weights than the two ranks' (DDSP, mean |difference|).
    std::string alone_log;
    ASSERT_EQ(train(trainer, dir + "/alone", 1, &alone_log, 2), 0) << alone_log;
    const double apart = mean_weight_difference(dir + "/one/weights.safetensors", dir + "/two/weights.safetensors");
    const double alone = mean_weight_difference(dir + "/one/weights.safetensors", dir + "/alone/weights.safetensors");
    std::printf("%s: mean |weight difference| from 1 rank: 2 ranks %.3g, a rank alone on half the batch %.3g\n", trainer.c_str(),
                apart, alone);
    EXPECT_LT(apart, alone / 3) << trainer;
    EXPECT_LT(diverged, 0.2) << trainer;
  }
}

// `train groove` too: a folder of small drum performances, 3 steps of a small model, 1 rank or 2.
TEST(DataParallelGroove, TwoRanksEqualOneRankWithTheSameGlobalBatch) {
  const std::string dir = test::temp_dir() + "/dp-groove", data = dir + "/beats";
  std::filesystem::create_directories(data);
  for (int take = 0; take < 8; ++take) {
    NoteSequence beat;
    beat.tempos = {{0.0, 120.0}};
    for (int step = 0; step < 64; ++step)
      for (int pitch : {36, 38, 42})
        if ((pitch == 42 && step % 2 == 0) || (pitch == 36 && step % 8 == 0) || (pitch == 38 && step % 8 == 4 + take % 2)) {
          Note n;
          n.pitch = pitch, n.is_drum = true, n.velocity = 40 + (step * 7 + take * 13) % 80;
          n.start_time = 0.125 * step + 0.01 * ((step + take) % 5);
          n.end_time = n.start_time + 0.1;
          beat.notes.push_back(n);
        }
    write_midi(beat, data + "/take" + std::to_string(take) + ".mid");
  }
  auto train = [&](const std::string& out, int ranks, std::string* log) {
    const std::string cmd = std::string(TIMBREL_BINARY) + " train groove --data " + data + " --out " + out +
                            " --steps 3 --threads 1 --batch 4 --z-size 8 --checkpoint-every 100";
    if (ranks == 1) return test::run_command(cmd, log, true);
    return test::run_command("cd " + dir + " && TIMBREL_DIST_TIMEOUT=60 " + kLaunch + " 2 -- " + cmd, log, true);
  };
  std::string one, two;
  ASSERT_EQ(train(dir + "/one", 1, &one), 0) << one;
  ASSERT_EQ(train(dir + "/two", 2, &two), 0) << two;
  const double a = mean_loss(one), b = mean_loss(two);
  const double diverged = diverged_weights(dir + "/one/weights.safetensors", dir + "/two/weights.safetensors");
  std::printf("groove, 3 steps: mean loss 1 rank %.6g, 2 ranks %.6g; %.3f%% of the weights differ by > 1e-4 of the largest\n", a, b,
              100 * diverged);
  EXPECT_NEAR(a, b, 1e-5 * std::fabs(a)) << one << "\n---\n" << two;
  EXPECT_LT(diverged, 0.01);
}

TEST_F(DataParallelTraining, ADeadRankEndsTheJobWithAnErrorNotAHang) {
  const std::string out = test::temp_dir() + "/dead";
  // Rank 1 never arrives: rank 0 gives up at the rendezvous within the timeout.
  std::string log;
  const auto t0 = std::chrono::steady_clock::now();
  const int rc = test::run_command("RANK=0 WORLD_SIZE=2 MASTER_ADDR=127.0.0.1 MASTER_PORT=29613 TIMBREL_DIST_TIMEOUT=5 " +
                                       std::string(TIMBREL_BINARY) + " train timbre --data " + note_set() + " --out " + out +
                                       " --steps 100 --threads 1 --channels 16,16,12,12,8,8,4 --latent 16 --batch 4",
                                   &log, true);
  const double waited = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  EXPECT_NE(rc, 0);
  EXPECT_NE(log.find("rank 0 of 2"), std::string::npos) << log;
  EXPECT_LT(waited, 40);
  // Rank 1 killed mid-run: rank 0 stops with an error naming the collective.
  const std::string cmd = std::string(TIMBREL_BINARY) + " train timbre --data " + note_set() + " --out " + out +
                          "2 --steps 100000 --threads 1 --channels 16,16,12,12,8,8,4 --latent 16 --batch 4";
  const auto t1 = std::chrono::steady_clock::now();
  const int rc2 = test::run_command("export MASTER_ADDR=127.0.0.1 MASTER_PORT=29614 WORLD_SIZE=2 TIMBREL_DIST_TIMEOUT=20; "
                                    "RANK=1 " + cmd + " >/dev/null 2>&1 & victim=$!; "
                                    "(sleep 12; kill -9 $victim) & RANK=0 " + cmd,
                                    &log, true);
  const double lasted = std::chrono::duration<double>(std::chrono::steady_clock::now() - t1).count();
  EXPECT_NE(rc2, 0);
  EXPECT_NE(log.find("a rank stopped or timed out"), std::string::npos) << log;
  EXPECT_LT(lasted, 12 + 20 + 20);
}

TEST(DistributedEnv, ReadsTorchrunsVariables) {
  std::map<std::string, std::string> vars{{"RANK", "3"}, {"WORLD_SIZE", "4"}, {"LOCAL_RANK", "1"}, {"MASTER_ADDR", "node7"}, {"MASTER_PORT", "29400"}};
  auto env = [&](const char* n) -> const char* { return vars.count(n) ? vars[n].c_str() : nullptr; };
  const train::DistributedEnv e = train::distributed_env(env);
  EXPECT_EQ(e.rank, 3);
  EXPECT_EQ(e.world_size, 4);
  EXPECT_EQ(e.local_rank, 1);
  EXPECT_EQ(e.master_addr, "node7");
  EXPECT_EQ(e.master_port, 29400);
  vars["RANK"] = "4";
  EXPECT_THROW(train::distributed_env(env), Error);
  vars = {{"WORLD_SIZE", "2"}, {"RANK", "0"}};
  EXPECT_THROW(train::distributed_env(env), Error);  // no MASTER_ADDR
  vars.clear();
  EXPECT_FALSE(train::distributed_env(env).active());
}

}  // namespace
