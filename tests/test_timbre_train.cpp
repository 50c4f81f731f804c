// Timbre training: the trainable graph equals the inference network (a separate implementation
// that fuses upsampling into sub-pixel convs), and `train timbre` on a tiny SoundFont note set
// learns, checkpoints, resumes and writes a model every GANSynth command loads.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <nlohmann/json.hpp>

#include "nn/gansynth_net.h"
#include "test_util.h"
#include "timbrel/error.h"
#include "timbrel/gansynth.h"
#include "timbrel/spectral.h"
#include "train/note_dataset.h"
#include "train/timbre_generator.h"
#include "train/timbre_trainer.h"
#include "train/training_loop.h"

using namespace timbrel;
using ::testing::HasSubstr;

namespace {

const std::string kSoundFont = "/usr/share/sounds/sf2/TimGM6mb.sf2";

GansynthConfig small_config(int time_depth_blocks, bool pitch_template) {
  GansynthConfig c;
  c.latent_size = 16;
  c.channels = {16, 16, 12, 12, 8, 8, 4};
  c.time_depth_blocks = time_depth_blocks;
  c.pitch_template = pitch_template;
  return c;
}

// A note set of two TimGM6mb presets at a few pitches, made once.
const std::string& tiny_note_set() {
  static std::string dir;
  if (dir.empty()) {
    dir = test::temp_dir() + "/tiny-notes";
    NoteSetOptions o;
    o.soundfonts = {kSoundFont};
    o.out_dir = dir;
    o.programs = {0, 73};  // piano, flute
    o.min_pitch = 58;
    o.max_pitch = 66;
    o.test_fraction = 0;
    o.validation_every = 4;
    train::build_note_set(o);
  }
  return dir;
}

}  // namespace

class TrainableParity : public ::testing::TestWithParam<std::pair<int, bool>> {};

TEST_P(TrainableParity, TrainingGraphEqualsInferenceNetwork) {
  const auto [k, with_template] = GetParam();
  GansynthConfig c = small_config(k, with_template);
  train::TrainableGansynth trainable(c, 7);
  nn::TensorMap raw = trainable.raw();
  // Non-zero biases and template, so that every term is exercised.
  torch::manual_seed(3);
  for (auto& [name, t] : raw)
    if (name.find(".bias") != std::string::npos || name == "pitch_template") t = torch::randn(t.sizes()) * 0.3;
  train::TrainableGansynth reloaded(c, raw, "test");
  nn::GansynthNet net(c, raw, "test");
  torch::Tensor z = torch::randn({3, c.latent_size});
  torch::Tensor pitch = torch::tensor({0, 30, 60}, torch::kLong);
  torch::NoGradGuard no_grad;
  torch::Tensor a = reloaded.forward(z, pitch), b = net.forward(z, pitch);
  ASSERT_EQ(a.sizes().vec(), (std::vector<int64_t>{3, kSpectrogramFrames, kSpectrogramBins, 2}));
  ASSERT_EQ(b.sizes().vec(), a.sizes().vec());
  // The GPU's plain-torch-ops path of the inference network, run here on the CPU.
  nn::GansynthNet generic(c, raw, "test");
  generic.set_generic_ops(true);
  // Same bounds as below: rounding differs in the 8-channel pixel norms, which amplify it.
  const torch::Tensor g = generic.forward(z, pitch);
  EXPECT_LT((g - b).abs().max().item<double>(), 1e-3);
  EXPECT_LT((g - b).abs().mean().item<double>(), 5e-6);
  const double worst = (a - b).abs().max().item<double>(), mean = (a - b).abs().mean().item<double>();
  std::printf("trainable vs inference: max |diff| %.3g, mean %.3g\n", worst, mean);
  // float32 summation orders differ (the fused form adds 3x3 taps before multiplying); pixel
  // norms over 4 channels amplify that at the rare pixels whose activations are all near zero.
  EXPECT_LT(mean, 5e-6);
  EXPECT_LT(worst, 1e-3);
  EXPECT_GT(a.std().item<double>(), 0.01);  // not a constant output
}

INSTANTIATE_TEST_SUITE_P(Configs, TrainableParity,
                         ::testing::Values(std::make_pair(0, false), std::make_pair(2, true), std::make_pair(3, false)));

// The linear term: zero on the truth; a uniform +6 dB (x2 magnitude) error is exactly 1, whatever
// the note's level; the same error on the loudest bin costs far more than on the quietest.
TEST(TimbreLoss, SpectralConvergenceWeighsLinearMagnitudes) {
  torch::manual_seed(3);
  const train::LossWeights lin{1.0, 0, 1.0, 0};
  torch::Tensor target = torch::rand({2, 128, 1024, 2}) * 1.6 - 0.9;
  EXPECT_NEAR(train::reconstruction_loss(target, target, lin).linear, 0.0, 1e-6);
  torch::Tensor doubled = target.clone();
  doubled.select(3, 0).add_(std::log(2.0) * 0.0661371661726);  // x2 in magnitude, normalised
  EXPECT_NEAR(train::reconstruction_loss(doubled, target, lin).linear, 1.0, 1e-4);
  torch::Tensor quiet = target - 0.5;  // every note 7.6 nepers quieter: the ratio is unchanged
  torch::Tensor quiet_doubled = doubled - 0.5;
  EXPECT_NEAR(train::reconstruction_loss(quiet_doubled, quiet, lin).linear, 1.0, 1e-4);
  auto flat = [](int64_t frame, int64_t bin) {
    torch::Tensor t = torch::full({1, 128, 1024, 2}, -0.5);
    t[0][frame][bin][0] = 0.9;
    return t;
  };
  torch::Tensor truth = flat(10, 100);
  torch::Tensor wrong_peak = truth.clone(), wrong_floor = truth.clone();
  wrong_peak[0][10][100][0] = 0.8;
  wrong_floor[0][60][600][0] = -0.4;
  EXPECT_GT(train::reconstruction_loss(wrong_peak, truth, lin).linear,
            100 * train::reconstruction_loss(wrong_floor, truth, lin).linear);
  // The log-magnitude term alone cannot tell the two apart.
  EXPECT_NEAR(train::reconstruction_loss(wrong_peak, truth).magnitude, train::reconstruction_loss(wrong_floor, truth).magnitude,
              1e-9);
  EXPECT_EQ(train::reconstruction_loss(wrong_peak, truth).linear, 0.0);
}

// The band term: zero on the truth; +20 dB in the top half of the bands over 4 frames of a loud
// attack costs exactly 20/70 of those cells' share; far below the note it costs little; a note
// twice as loud overall costs its 6 dB per loud cell and nothing for the silence.
TEST(TimbreLoss, BandEnvelopeWeighsSpectralBalanceOverTime) {
  const train::LossWeights band{1.0, 0, 0, 1.0};
  const double neper = 0.0661371661726;  // one neper of magnitude, normalised
  torch::Tensor truth = torch::full({1, 128, 1024, 2}, -0.8);
  truth.select(3, 0).slice(1, 3, 7).fill_(0.5);  // a broadband 4-frame hit, everything else silent
  EXPECT_NEAR(train::reconstruction_loss(truth, truth, band).band, 0.0, 1e-7);
  const double twenty_db = std::log(10.0) * neper;
  torch::Tensor bright = truth.clone();
  bright.select(3, 0).slice(1, 3, 7).slice(2, 512, 1024).add_(twenty_db);
  const double cells = 4.0 * 8 / (128.0 * 16);
  EXPECT_NEAR(train::reconstruction_loss(bright, truth, band).band, cells * 20.0 / 70.0, 1e-4);
  // A tail 110 dB below the loudest bin (its bands 92 dB down, with 64 bins each): the same
  // excess costs under an eighth as much, where the floor decides and the ear does not hear.
  const double down_110_db = 5.5 * twenty_db;
  torch::Tensor tail = truth.clone();
  tail.select(3, 0).slice(1, 40, 44).fill_(0.5 - down_110_db);
  torch::Tensor tail_bright = tail.clone();
  tail_bright.select(3, 0).slice(1, 40, 44).slice(2, 512, 1024).add_(twenty_db);
  EXPECT_LT(train::reconstruction_loss(tail_bright, tail, band).band, 0.125 * cells * 20.0 / 70.0);
  EXPECT_GT(train::reconstruction_loss(tail_bright, tail, band).band, 0.0);
  // A lower floor (120 dB) sees that tail: the same excess then costs nearly what it costs loud.
  train::LossWeights deep = band;
  deep.band_floor_db = 120;
  EXPECT_NEAR(train::reconstruction_loss(tail_bright, tail, deep).band, cells * 20.0 / 120.0, 0.05 * cells * 20.0 / 120.0);
  deep.band_floor_db = 5;
  EXPECT_THROW(train::reconstruction_loss(tail_bright, tail, deep), Error);
  torch::Tensor louder = truth.clone();
  louder.select(3, 0).add_(std::log(2.0) * neper);
  EXPECT_NEAR(train::reconstruction_loss(louder, truth, band).band, 4.0 * 16 / (128.0 * 16) * 6.0206 / 70.0, 1e-4);
  EXPECT_EQ(train::reconstruction_loss(bright, truth).band, 0.0);
}

// The flux term: a decay drawn in 4-frame steps costs at each step what the jump is (beyond the
// truth's own change), while an offset of the whole note costs nothing; zero on the truth.
TEST(TimbreLoss, FluxWeighsDecaysDrawnInSteps) {
  train::LossWeights flux{1.0, 0, 0, 0};
  flux.flux = 1.0;
  const double neper = 0.0661371661726;
  const double one_db = std::log(10.0) / 20 * neper;
  torch::Tensor truth = torch::full({1, 128, 1024, 2}, -0.8);
  for (int64_t f = 3; f < 35; ++f) truth.select(3, 0).select(1, f).fill_(0.5 - one_db * double(f - 3));  // -1 dB a frame
  EXPECT_NEAR(train::reconstruction_loss(truth, truth, flux).flux, 0.0, 1e-7);
  torch::Tensor offset = truth.clone();
  offset.select(3, 0).slice(1, 3, 35).add_(-3 * one_db);
  const double pairs = 127.0 * 16;
  // Only the onset (frame 3) and the end of the note (frame 35) change by another 3 dB.
  EXPECT_NEAR(train::reconstruction_loss(offset, truth, flux).flux, 2 * 16 * 3.0 / 70.0 / pairs, 1e-4);
  torch::Tensor steps = truth.clone();
  for (int64_t f = 3; f < 35; ++f) steps.select(3, 0).select(1, f).fill_(0.5 - one_db * double((f - 3) / 4 * 4));
  // Each 4-frame block holds its level (3 pairs of 1 dB missed) and then drops 4 dB (3 dB too many).
  const double expected = (8 * 3 * 1.0 + 7 * 3.0) * 16 / 70.0 / pairs;
  const double at_end = 3.0 * 16 / 70.0 / pairs;  // the last block ends 3 dB higher than the truth
  EXPECT_NEAR(train::reconstruction_loss(steps, truth, flux).flux, expected + at_end, 1e-4);
  EXPECT_EQ(train::reconstruction_loss(steps, truth).flux, 0.0);
}

TEST(TimbreTraining, LearnsCheckpointsResumesAndShipsAModel) {
  if (!test::file_exists(kSoundFont)) GTEST_SKIP() << "no " << kSoundFont << " (apt install timgm6mb-soundfont)";
  const std::string data = tiny_note_set();
  const std::string out = test::temp_dir() + "/tiny-timbres";
  TimbreTrainOptions o;
  o.data_dir = data;
  o.out_dir = out;
  o.channels = {16, 16, 12, 12, 8, 8, 4};
  o.latent_size = 16;
  o.batch = 4;
  o.max_steps = 40;
  o.learning_rate = 3e-3;
  o.checkpoint_every = 20;
  o.validate_every = 20;
  o.threads = 2;
  o.log = [](const std::string&) {};
  auto r = train::train_timbre(o);
  EXPECT_EQ(r.steps, 40);
  EXPECT_EQ(r.presets, 2u);
  EXPECT_LT(r.last_loss, 0.8 * r.first_loss) << r.first_loss << " -> " << r.last_loss;
  EXPECT_GT(r.validation_loss, 0);

  // Resume continues the step count from the checkpoint (here with the linear term on).
  o.resume = true;
  o.linear_weight = 0.5;
  o.max_steps = 44;
  auto r2 = train::train_timbre(o);
  EXPECT_EQ(r2.steps, 44);

  Gansynth g = Gansynth::load(out);
  EXPECT_TRUE(g.info().config.pitch_template);
  EXPECT_EQ(g.info().config.time_depth_blocks, 2);
  ASSERT_EQ(g.info().timbre_names.size(), 2u);
  // Presets are the learned embeddings; seed:N draws from the Gaussian fitted to them, which for
  // two presets is the line through them.
  auto a = g.timbre("preset:" + g.info().timbre_names[0]), b = g.timbre("preset:" + g.info().timbre_names[1]);
  auto s = g.timbre("seed:5");
  double cross = 0, ab2 = 0;
  for (size_t i = 0; i < a.size(); ++i) {
    const double ab = b[i] - a[i], as = s[i] - a[i];
    ab2 += ab * ab;
    cross += as * ab;
  }
  double off_line = 0;
  for (size_t i = 0; i < a.size(); ++i) {
    const double on = a[i] + cross / ab2 * (b[i] - a[i]);
    off_line = std::max(off_line, std::fabs(s[i] - on));
  }
  EXPECT_LT(off_line, 1e-4);
  auto spec = g.generate(s, {60});
  ASSERT_EQ(spec.size(), kSpectrogramValues);
  for (float v : spec) ASSERT_TRUE(std::isfinite(v));

  // Resuming with another note set is refused with a clear message.
  const std::string other = test::temp_dir() + "/other-notes";
  NoteSetOptions n;
  n.soundfonts = {kSoundFont};
  n.out_dir = other;
  n.programs = {40};
  n.min_pitch = 60;
  n.max_pitch = 61;
  n.test_fraction = 0;
  train::build_note_set(n);
  o.data_dir = other;
  o.max_steps = 46;
  try {
    train::train_timbre(o);
    FAIL();
  } catch (const Error& e) {
    EXPECT_THAT(e.what(), HasSubstr("is not in the checkpoint"));
  }
}

// A preset weighted far above the other is the only one drawn: the other's embedding never
// moves, however long the run, while an unweighted run trains it.
TEST(TimbreTraining, PresetWeightsChooseWhatIsDrawn) {
  if (!test::file_exists(kSoundFont)) GTEST_SKIP() << "no " << kSoundFont << " (apt install timgm6mb-soundfont)";
  const train::NoteSet set = train::NoteSet::open(tiny_note_set());
  std::string weighted, other;
  for (const auto& r : set.notes()) (weighted.empty() || r.preset == weighted ? weighted : other) = r.preset;
  ASSERT_FALSE(other.empty());
  auto run = [&](int steps, std::map<std::string, double> weights) {
    TimbreTrainOptions o;
    o.data_dir = tiny_note_set();
    o.out_dir = test::temp_dir() + "/weighted";
    o.channels = {16, 16, 12, 12, 8, 8, 4};
    o.latent_size = 16;
    o.batch = 4;
    o.max_steps = steps;
    o.learning_rate = 3e-3;
    o.threads = 1;
    o.preset_weights = std::move(weights);
    o.log = [](const std::string&) {};
    train::train_timbre(o);
    Gansynth g = Gansynth::load(o.out_dir);
    return std::make_pair(g.timbre("preset:" + weighted), g.timbre("preset:" + other));
  };
  const auto three = run(3, {{weighted, 1e12}}), six = run(6, {{weighted, 1e12}}), plain = run(3, {});
  EXPECT_EQ(three.second, six.second);
  EXPECT_NE(three.first, six.first);
  EXPECT_NE(three.second, plain.second);
  try {
    run(1, {{"No Such Preset", 2}});
    FAIL();
  } catch (const Error& e) {
    EXPECT_THAT(e.what(), HasSubstr("No Such Preset"));
  }
}

TEST(TimbreTraining, CommandLineBuildsTrainsEvaluatesAndPlays) {
  if (!test::file_exists(kSoundFont)) GTEST_SKIP() << "no " << kSoundFont << " (apt install timgm6mb-soundfont)";
  const std::string bin = TIMBREL_BINARY, dir = test::temp_dir();
  std::string out;
  ASSERT_EQ(test::run_command(bin + " dataset notes --soundfont " + kSoundFont + " --programs 0,73 --pitches 58..66 --test-fraction 0 -o " +
                                  dir + "/notes",
                              &out, true),
            0)
      << out;
  EXPECT_THAT(out, HasSubstr("18 notes of 2 presets"));
  ASSERT_EQ(test::run_command(bin + " train timbre --data " + dir + "/notes --out " + dir + "/model --steps 3 --batch 2 --channels 8,8,8,8,8,8,4 --latent 8",
                              &out, true),
            0)
      << out;
  EXPECT_THAT(out, HasSubstr("trained 3 steps"));
  ASSERT_EQ(test::run_command(bin + " note --model " + dir + "/model --timbre 'preset:Piano 1' --pitch 60 -o " + dir + "/n.wav", &out, true), 0)
      << out;
  EXPECT_TRUE(test::file_exists(dir + "/n.wav"));
  // Unknown presets are named in the error, with the ones the model has.
  EXPECT_NE(test::run_command(bin + " note --model " + dir + "/model --timbre preset:Nope --pitch 60 -o " + dir + "/x.wav", &out, true), 0);
  EXPECT_THAT(out, HasSubstr("Piano 1"));
  EXPECT_FALSE(test::file_exists(dir + "/x.wav"));

  // eval timbre: the real notes through the independent tracker are in tune (this checks the
  // tracker pipeline; the 3-step model is not expected to be).
  if (test::run_command("command -v aubiopitch", &out) != 0) GTEST_SKIP() << "no aubiopitch (apt install aubio-tools)";
  ASSERT_EQ(test::run_command(bin + " eval timbre --model " + dir + "/model --data " + dir + "/notes --json --notes 8 --timbres 2 " +
                                  "--distance-notes 2 --test-presets 0 --paths 1",
                              &out),
            0)
      << out;
  auto r = nlohmann::json::parse(out);
  EXPECT_GE(r["pitch"]["truth"]["in_tune_octave_folded"].get<double>(), 0.75) << out;
  EXPECT_EQ(r["pitch"]["generated"]["notes"], 8);
  EXPECT_EQ(r["distances"]["validation_pitches"]["notes"], 2);
  EXPECT_GT(r["distances"]["validation_pitches"]["mr_stft"].get<double>(), 0.0);
  EXPECT_EQ(r["interpolation"]["paths"], 1);
}

// The shared loop: steps to the limit (resumed steps counted), validation and checkpoints on
// their cadence, the loss summary, the schedule's fraction, and no run without a limit.
TEST(TrainingLoop, StopsValidatesCheckpointsAndSummarises) {
  train::LoopSettings s;
  s.max_steps = 30;
  s.validate_every = 4;
  s.checkpoint_every = 10;
  std::vector<std::string> lines;
  s.log = [&](const std::string& l) { lines.push_back(l); };
  std::vector<double> fractions;
  int validations = 0;
  std::vector<int64_t> checkpoints;
  const train::LoopSummary r = train::TrainingLoop(s, 5).run(
      [&](int64_t n, double fraction) {
        fractions.push_back(fraction);
        return train::StepOutcome{double(n), "x"};
      },
      [&] { return double(++validations); },
      [&](int64_t n, double val) {
        checkpoints.push_back(n);
        return "checkpoint " + std::to_string(n) + " val " + std::to_string(int(val));
      });
  EXPECT_EQ(r.steps, 30);
  ASSERT_EQ(fractions.size(), 25u);  // steps 5..29
  EXPECT_DOUBLE_EQ(fractions.front(), 5.0 / 30);
  EXPECT_EQ(validations, 6);  // after steps 8, 12, ..., 28
  EXPECT_EQ(checkpoints, (std::vector<int64_t>{10, 20, 30}));
  EXPECT_THAT(lines, ::testing::Contains(std::string("checkpoint 30 val 6")));
  EXPECT_DOUBLE_EQ(r.first_loss, (5 + 6 + 7 + 8 + 9 + 10 + 11 + 12 + 13 + 14) / 10.0);
  EXPECT_DOUBLE_EQ(r.last_loss, (10 + 29) / 2.0);  // the last 20 losses: 10..29
  train::LoopSettings none;
  EXPECT_THROW(train::TrainingLoop(none, 0), Error);
}
