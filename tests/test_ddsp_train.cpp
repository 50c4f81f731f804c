// Training DDSP here: the differentiable synthesizers against the inference synthesizers
// (src/synth, themselves checked against the graph's formulas and magenta.js), DDSP's loudness
// against NumPy (tests/golden/make_ddsp_loudness_golden.py), the spectral loss, and a tiny
// `train ddsp` run that checkpoints, resumes, ships a model and plays it.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <random>

#include "nn/ddsp_train_ops.h"
#include "nn/model_folder.h"
#include "synth/filtered_noise.h"
#include "synth/harmonic_synth.h"
#include "test_util.h"
#include "timbrel/ddsp.h"
#include "timbrel/engine.h"
#include "timbrel/error.h"
#include "timbrel/sound_file.h"
#include "train/audio_metrics.h"
#include "train/ddsp_trainer.h"
#include "train/note_dataset.h"
#include "util/npy.h"

using namespace timbrel;

namespace {

constexpr int kHop = 64, kRate = 16000;

std::vector<float> values(const torch::Tensor& t) {
  const torch::Tensor c = t.contiguous();
  return std::vector<float>(c.data_ptr<float>(), c.data_ptr<float>() + c.numel());
}

TEST(DdspTrainOps, HarmonicAudioEqualsTheInferenceSynth) {
  const int64_t T = 300, H = 60;
  torch::manual_seed(3);
  // A glide across Nyquist for the top harmonics, a swelling amplitude, a random distribution.
  const torch::Tensor f0 = torch::linspace(180, 420, T).view({1, T});
  const torch::Tensor amp = (0.2 + 0.1 * torch::sin(torch::arange(T) / 20.0)).view({1, T}).to(torch::kFloat);
  const torch::Tensor dist = torch::rand({1, T, H});
  const std::vector<float> ours = values(nn::harmonic_audio(f0, amp, dist, kRate, kHop));
  const std::vector<float> want = synth::harmonic_synthesis(values(f0), values(amp), values(dist), int(H), kRate, kHop);
  ASSERT_EQ(ours.size(), want.size());
  double signal = 0, error = 0;
  for (size_t i = 0; i < want.size(); ++i) signal += double(want[i]) * want[i], error += std::pow(double(ours[i]) - want[i], 2);
  const double snr = 10 * std::log10(signal / error);
  std::printf("training harmonic synth vs inference synth: %.1f dB SNR\n", snr);
  EXPECT_GT(snr, 50);  // the inference synth sums the phase in float, as the graph does
}

TEST(DdspTrainOps, FilteredNoiseEqualsTheInferenceSynth) {
  const int64_t T = 40, bands = 65;
  torch::manual_seed(4);
  const torch::Tensor mags = torch::rand({1, T, bands}), noise = torch::rand({1, T * kHop}) * 2 - 1;
  const std::vector<float> ours = values(nn::filtered_noise_audio(mags, noise, kHop));
  const std::vector<float> m = values(mags), u = values(noise);
  synth::FilteredNoise synth(int(bands), kHop, 0);
  std::vector<float> want, hop(kHop);
  for (int64_t f = 0; f < T; ++f) {
    const int n = synth.push_frame(m.data() + f * bands, u.data() + f * kHop, hop.data());
    want.insert(want.end(), hop.begin(), hop.begin() + n);
  }
  const int n = synth.finish(hop.data());
  want.insert(want.end(), hop.begin(), hop.begin() + n);
  ASSERT_EQ(ours.size(), want.size());
  double worst = 0, peak = 0;
  for (size_t i = 0; i < want.size(); ++i) worst = std::max(worst, double(std::fabs(ours[i] - want[i]))), peak = std::max(peak, double(std::fabs(want[i])));
  EXPECT_LT(worst / peak, 1e-5);
}

TEST(DdspTrainOps, LoudnessMatchesNumpy) {
  const std::string dir = std::string(TIMBREL_SOURCE_DIR) + "/tests/data/ddsp/";
  const NpyArray input = read_npy(dir + "loudness_input.npy"), golden = read_npy(dir + "loudness_golden.npy");
  const torch::Tensor audio = torch::tensor(input.data).view({1, -1});
  const std::vector<float> ours = values(nn::a_weighted_loudness(audio, kRate, kHop));
  ASSERT_EQ(ours.size(), golden.data.size());
  double worst = 0;
  for (size_t i = 0; i < ours.size(); ++i) worst = std::max(worst, double(std::fabs(ours[i] - golden.data[i])));
  std::printf("loudness vs NumPy: worst %.4f dB over %zu frames (range %.1f..%.1f dB)\n", worst, ours.size(),
              *std::min_element(golden.data.begin(), golden.data.end()), *std::max_element(golden.data.begin(), golden.data.end()));
  EXPECT_LT(worst, 0.01);
}

TEST(DdspTrainOps, SpectralLossIsZeroOnlyForTheTargetAndHasGradients) {
  torch::manual_seed(5);
  const torch::Tensor target = torch::randn({2, 8000}) * 0.1;
  EXPECT_NEAR(nn::multiscale_spectral_loss(target, target).item<double>(), 0.0, 1e-9);
  torch::Tensor gain = torch::full({1}, 0.5, torch::requires_grad());
  const torch::Tensor loss = nn::multiscale_spectral_loss(target * gain, target);
  EXPECT_GT(loss.item<double>(), 0.5);
  loss.backward();
  EXPECT_LT(gain.grad().item<double>(), 0);  // louder is closer
}

// Two TimGM6mb presets: a few steps train, checkpoint and resume; the model loads, names its
// presets and GM programs, and plays a note in tune through the renderer.
TEST(DdspTraining, TrainsResumesShipsAndPlays) {
  const std::string sf = "/usr/share/sounds/sf2/TimGM6mb.sf2";
  if (!test::file_exists(sf)) GTEST_SKIP() << "no " << sf;
  const std::string dir = test::temp_dir(), notes = dir + "/notes", out = dir + "/model";
  NoteSetOptions n;
  n.soundfonts = {sf};
  n.out_dir = notes;
  n.programs = {40, 73};
  n.min_pitch = 60;
  n.max_pitch = 67;
  n.test_fraction = 0;
  n.validation_every = 4;
  train::build_note_set(n);
  DdspTrainOptions o;
  o.data_dir = notes;
  o.out_dir = out;
  o.channels = 16;
  o.layers = 2;
  o.embedding = 4;
  o.batch = 2;
  o.crop_seconds = 0.3;
  o.max_steps = 3;
  o.checkpoint_every = 2;
  o.threads = 1;
  DdspTrainReport r = train::train_ddsp(o);
  EXPECT_EQ(r.steps, 3);
  EXPECT_EQ(r.presets, 2u);
  o.resume = true;
  o.max_steps = 5;
  r = train::train_ddsp(o);
  EXPECT_EQ(r.steps, 5);
  EXPECT_GT(r.validation_loss, 0);

  Ddsp model = Ddsp::load(out);
  EXPECT_EQ(model.info().format, "timbrel ddsp");
  EXPECT_EQ(model.info().sample_rate, 16000);  // the note set's rate, 250 frames a second
  EXPECT_EQ(model.info().hop, 64);
  ASSERT_EQ(model.info().presets.size(), 2u);
  EXPECT_EQ(model.info().settings, "model card");
  EXPECT_TRUE(model.preset_for_program(73).second);
  EXPECT_FALSE(model.preset_for_program(41).second);  // another string: its family's preset
  EXPECT_EQ(model.instrument("program:40").size(), 4u);
  EXPECT_THROW(model.instrument("preset:Nope"), Error);
  // Each preset's held-note loudness shape (one band over its pitches): 3 s at 50 values a
  // second, peaking at 0 dB.
  EXPECT_EQ(model.info().envelope_rate, 50);
  EXPECT_EQ(model.info().envelope_pitch_step, 0);
  for (const std::string& preset : model.info().presets) {
    const auto* bands = model.info().envelope_of(preset);
    ASSERT_NE(bands, nullptr) << preset;
    ASSERT_EQ(bands->size(), 1u) << preset;
    for (const auto& shape : *bands) {
      EXPECT_EQ(shape.size(), 150u);
      EXPECT_NEAR(*std::max_element(shape.begin(), shape.end()), 0.0f, 3.0f) << preset;
      EXPECT_LT(*std::min_element(shape.begin(), shape.end()), 0.0f) << preset;
    }
  }
  // A card's envelopes are checked: a level above 0 dB, or a preset the model lacks, is an error.
  {
    auto folder = nn::read_model_folder(out, "ddsp");
    nlohmann::json card = folder.card;
    const std::string first = model.info().presets.front();
    card["envelopes"]["presets"][first][0][3] = 6.0;
    std::ofstream(out + "/model.json") << card.dump();
    EXPECT_THAT([&] { Ddsp::load(out); }, ::testing::ThrowsMessage<Error>(::testing::HasSubstr(first)));
    card = folder.card;
    card["envelopes"]["presets"]["Kazoo"] = {0.0, -1.0};
    std::ofstream(out + "/model.json") << card.dump();
    EXPECT_THAT([&] { Ddsp::load(out); }, ::testing::ThrowsMessage<Error>(::testing::HasSubstr("Kazoo")));
    std::ofstream(out + "/model.json") << folder.card.dump();
  }

  // The CLI plays a note along the preset's learned envelope unless --flat-envelope.
  {
    const std::string bin = TIMBREL_BINARY, cmd = bin + " note --engine ddsp --model " + out + " --pitch 64 --timbre program:73 -o ";
    std::string log;
    ASSERT_EQ(test::run_command(cmd + dir + "/shaped.wav", &log, true), 0) << log;
    ASSERT_EQ(test::run_command(cmd + dir + "/flat.wav --flat-envelope", &log, true), 0) << log;
    EXPECT_NE(read_sound_file(dir + "/shaped.wav").samples, read_sound_file(dir + "/flat.wav").samples);
  }

  EngineOptions p;
  p.ddsp_model = out;
  Engine engine(p);
  NoteSequence seq;
  Note note;
  note.pitch = 64;
  note.end_time = 1.0;
  note.program = 73;
  seq.add_note(note);
  NoteRenderOptions ro;
  ro.engine = TimbreEngine::Ddsp;
  ro.ddsp.vibrato_cents = 0;
  ro.sample_rate = kRate;  // the model's own rate, mono and dry: the partials as it plays them
  ro.channels = 1;
  ro.room = false;
  const Audio a = engine.render(seq, ro);
  EXPECT_GT(train::peak_db(a.samples), -40);  // levels are calibrated even for an untrained decoder
  // The f0 drives the oscillators, trained or not: the strongest partial is a harmonic of E4.
  const std::vector<double> power = train::power_spectrum(a.samples, 4000, 8000, 32768);
  const size_t top = size_t(std::max_element(power.begin() + 10, power.end()) - power.begin());
  const double ratio = double(top) * kRate / 32768 / 329.63;
  EXPECT_NEAR(ratio, std::round(ratio), 0.03) << ratio;
}

}  // namespace
