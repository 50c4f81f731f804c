// DDSP at 48 kHz end to end: a note set rendered by FluidSynth at 48 kHz (its rate recorded and
// checked by readers, refused by GANSynth), the differentiable synthesizers at hop 192 against the
// inference ones, and a short `train ddsp` run whose model plays at 48 kHz with its highs and no
// harmonic above 20 kHz.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <nlohmann/json.hpp>

#include "nn/ddsp_train_ops.h"
#include "nn/model_folder.h"
#include "synth/filtered_noise.h"
#include "synth/harmonic_synth.h"
#include "test_util.h"
#include "timbrel/ddsp.h"
#include "timbrel/error.h"
#include "timbrel/sound_file.h"
#include "train/audio_metrics.h"
#include "train/ddsp_trainer.h"
#include "train/note_dataset.h"
#include "train/timbre_trainer.h"
#include "util/half.h"

using namespace timbrel;
using ::testing::AllOf;
using ::testing::HasSubstr;
using ::testing::ThrowsMessage;

namespace {

constexpr int kRate = 48000, kHop = 192;
// FluidR3's violin holds highs (8-24 kHz at -33..-39 dB of its energy at MIDI 60..72); TimGM6mb's
// instruments have little above 8 kHz.
const char* kSoundFont = "/usr/share/sounds/sf2/FluidR3_GM.sf2";

std::vector<float> values(const torch::Tensor& t) {
  const torch::Tensor c = t.contiguous();
  return std::vector<float>(c.data_ptr<float>(), c.data_ptr<float>() + c.numel());
}

std::vector<float> stored_note(const train::NoteSet& set, size_t i) {
  std::vector<float> out(set.samples());
  for (size_t k = 0; k < out.size(); ++k) out[k] = half_to_float(set.audio(i)[k]);
  return out;
}

// Energy share (dB) of [lo, hi) Hz in audio[first, first + count) at `rate`.
double band_share_db(const std::vector<float>& audio, int rate, size_t first, size_t count, double lo, double hi) {
  const int fft = 65536;
  const std::vector<double> p = train::power_spectrum(audio, first, count, fft);
  double band = 0, all = 0;
  for (size_t k = 0; k < p.size(); ++k) {
    const double hz = double(k) * rate / fft;
    all += p[k];
    if (hz >= lo && hz < hi) band += p[k];
  }
  return 10 * std::log10(std::max(band, 1e-30) / all);
}

// One violin (GM 40) at MIDI 60..72 at `rate`, every note trained (no test or validation split).
std::string violin_notes(const std::string& dir, int rate) {
  NoteSetOptions n;
  n.soundfonts = {kSoundFont};
  n.out_dir = dir;
  n.programs = {40};
  n.max_presets = 1;
  n.min_pitch = 60;
  n.max_pitch = 72;
  n.test_fraction = 0;
  n.validation_every = 0;
  n.sample_rate = rate;
  n.threads = 1;
  train::build_note_set(n);
  return dir;
}

TEST(Ddsp48kOps, SynthesizersMatchTheInferenceOnesAtHop192) {
  const int64_t T = 120, H = 60, bands = 65;
  torch::manual_seed(5);
  // A glide from 300 to 510 Hz, then held: the top harmonics cross 20 kHz, where the synth stops them.
  const torch::Tensor f0 = torch::cat({torch::linspace(300, 510, T / 2), torch::full({T - T / 2}, 510.0f)}).view({1, T});
  const torch::Tensor amp = torch::full({1, T}, 0.3f), dist = torch::rand({1, T, H});
  const std::vector<float> ours = values(nn::harmonic_audio(f0, amp, dist, kRate, kHop));
  const std::vector<float> want = synth::harmonic_synthesis(values(f0), values(amp), values(dist), int(H), kRate, kHop);
  ASSERT_EQ(ours.size(), want.size());
  // Over the glide: on the held tone the graph's float phase sums (which src/synth keeps) err
  // alike sample after sample, and differ from the training op's double sums by ~25 dB.
  double signal = 0, error = 0;
  for (size_t i = 0; i < size_t(T / 2 * kHop); ++i) signal += double(want[i]) * want[i], error += std::pow(double(ours[i]) - want[i], 2);
  EXPECT_GT(10 * std::log10(signal / error), 50);
  // Nothing above 20 kHz over the held part (at 510 Hz harmonics 40..47 would lie between 20 and 24 kHz).
  const size_t last = want.size() - 4096 - 400;
  EXPECT_LT(band_share_db(want, kRate, last, 4096, 20300, 24000), -60);
  EXPECT_GT(band_share_db(want, kRate, last, 4096, 16000, 19800), -30);

  // Noise: a hop of 192 and the 128-tap responses overlap-add without wrapping around.
  const torch::Tensor mags = torch::rand({1, 30, bands}), noise = torch::rand({1, 30 * kHop}) * 2 - 1;
  const std::vector<float> n_ours = values(nn::filtered_noise_audio(mags, noise, kHop));
  const std::vector<float> m = values(mags), u = values(noise);
  synth::FilteredNoise fn(int(bands), kHop, 0);
  std::vector<float> n_want, hop(kHop);
  for (int64_t f = 0; f < 30; ++f) {
    const int k = fn.push_frame(m.data() + f * bands, u.data() + f * kHop, hop.data());
    n_want.insert(n_want.end(), hop.begin(), hop.begin() + k);
  }
  n_want.insert(n_want.end(), hop.begin(), hop.begin() + fn.finish(hop.data()));
  ASSERT_EQ(n_ours.size(), n_want.size());
  double worst = 0, peak = 0;
  for (size_t i = 0; i < n_want.size(); ++i)
    worst = std::max(worst, double(std::fabs(n_ours[i] - n_want[i]))), peak = std::max(peak, double(std::fabs(n_want[i])));
  EXPECT_LT(worst / peak, 1e-5);

  EXPECT_EQ(nn::spectral_loss_fft_sizes(16000), (std::vector<int>{2048, 1024, 512, 256, 128, 64}));
  EXPECT_EQ(nn::spectral_loss_fft_sizes(48000), (std::vector<int>{6144, 3072, 1536, 768, 384, 192}));
}

TEST(Ddsp48kNotes, RecordTheirRateAndGanSynthRefusesThem) {
  if (!test::file_exists(kSoundFont)) GTEST_SKIP() << "no " << kSoundFont;
  const std::string dir = test::temp_dir();
  const std::string high = violin_notes(dir + "/notes48", kRate), low = violin_notes(dir + "/notes16", 16000);
  nlohmann::json index = nlohmann::json::parse(std::ifstream(high + "/index.json"));
  EXPECT_EQ(index["sample_rate"], kRate);
  EXPECT_EQ(index["samples"], 4 * kRate);
  EXPECT_FALSE(test::file_exists(high + "/spectrograms.npy"));
  const train::NoteSet set = train::NoteSet::open(high), ref = train::NoteSet::open(low);
  ASSERT_EQ(set.size(), 13u);
  EXPECT_EQ(set.sample_rate(), kRate);
  EXPECT_EQ(set.samples(), size_t(4 * kRate));
  EXPECT_EQ(ref.sample_rate(), 16000);
  // The same notes as the 16 kHz set's (FluidSynth at each rate): resampled to 16 kHz, each
  // matches its 16 kHz twin (both levelled to peak 0.9), and holds the violin's highs above 8 kHz.
  for (size_t i = 0; i < set.size(); i += 6) {
    Audio a;
    a.sample_rate = kRate;
    a.samples = stored_note(set, i);
    const std::vector<float> down = resample(a, 16000).samples, twin = stored_note(ref, i);
    double dot = 0, aa = 0, bb = 0;
    for (size_t k = 1600; k < 48000; ++k) dot += double(down[k]) * twin[k], aa += double(down[k]) * down[k], bb += double(twin[k]) * twin[k];
    EXPECT_GT(dot / std::sqrt(aa * bb), 0.9) << "pitch " << set.note(i).pitch;
    const double highs = band_share_db(a.samples, kRate, 4800, 48000, 8000, 24000);
    std::printf("48 kHz note %d: 8-24 kHz share %.1f dB\n", set.note(i).pitch, highs);
    EXPECT_GT(highs, -60);
  }
  EXPECT_THAT([&] { set.spectrogram(0); }, ThrowsMessage<Error>(HasSubstr("48000 Hz")));
  TimbreTrainOptions g;
  g.data_dir = high;
  g.out_dir = dir + "/gansynth";
  g.max_steps = 1;
  EXPECT_THAT([&] { train::train_timbre(g); }, ThrowsMessage<Error>(AllOf(HasSubstr(high), HasSubstr("48000 Hz"), HasSubstr("16000"))));
  // An index whose rate disagrees with its audio is refused.
  index["sample_rate"] = 16000;
  index["samples"] = 64000;
  std::ofstream(high + "/index.json") << index.dump();
  EXPECT_THAT([&] { train::NoteSet::open(high); }, ThrowsMessage<Error>(HasSubstr("audio.npy")));
}

// The model's note at `pitch` (2 s at the card's loudness): 8-24 kHz share with noise, and the
// share above 20.3 kHz of its harmonic part alone (dB).
std::pair<double, double> model_highs(const std::string& dir, int pitch) {
  const Ddsp model = Ddsp::load(dir);
  const int frames = 500;
  const std::vector<float> f0(frames, float(440.0 * std::pow(2.0, (pitch - 69) / 12.0)));
  const std::vector<float> loud(frames, model.info().max_loudness_db);
  const std::vector<float> full = model.render(f0, loud, true, 1), harmonic = model.render(f0, loud, false, 1);
  EXPECT_EQ(full.size(), size_t(frames) * size_t(model.info().hop));
  return {band_share_db(full, kRate, 4800, 48000, 8000, 24000), band_share_db(harmonic, kRate, 4800, 48000, 20300, 24000)};
}

TEST(Ddsp48kTraining, TrainsAndPlaysAt48kHz) {
  if (!test::file_exists(kSoundFont)) GTEST_SKIP() << "no " << kSoundFont;
  const std::string dir = test::temp_dir(), notes = violin_notes(dir + "/notes", kRate), out = dir + "/model";
  DdspTrainOptions o;
  o.data_dir = notes;
  o.out_dir = out;
  o.channels = 32;
  o.layers = 2;
  o.embedding = 4;
  o.batch = 4;
  o.crop_seconds = 0.3;
  o.max_steps = 2;
  o.harmonic_warmup_steps = 0;
  o.learning_rate = 1e-2;
  o.threads = 2;
  DdspTrainReport r = train::train_ddsp(o);
  const nlohmann::json card = nn::read_model_folder(out, "ddsp").card;
  EXPECT_EQ(card["sample_rate"], kRate);
  EXPECT_EQ(card["hop"], kHop);
  const Ddsp loaded = Ddsp::load(out);
  EXPECT_EQ(loaded.info().sample_rate, kRate);
  EXPECT_EQ(loaded.info().hop, kHop);

  const int pitch = 72;
  const train::NoteSet set = train::NoteSet::open(notes);
  size_t truth = 0;
  while (set.note(truth).pitch != pitch) ++truth;
  const double theirs = band_share_db(stored_note(set, truth), kRate, 4800, 48000, 8000, 24000);
  const auto [early, early_above] = model_highs(out, pitch);
  o.resume = true;
  o.max_steps = 40;
  r = train::train_ddsp(o);
  const auto [late, above] = model_highs(out, pitch);
  std::printf("48 kHz: %lld steps in %.1f s, loss %.2f -> %.2f; MIDI %d 8-24 kHz share: training note %.1f dB, model %.1f dB "
              "after 2 steps, %.1f dB after 40; harmonics above 20.3 kHz %.1f dB\n",
              (long long)r.steps, r.seconds, r.first_loss, r.last_loss, pitch, theirs, early, late, above);
  EXPECT_LT(r.last_loss, r.first_loss);
  EXPECT_GT(late, -60);                                          // the model plays highs...
  EXPECT_LT(std::fabs(late - theirs), 6);                         // ...near the violin's after 40 steps (1.3 dB off)
  EXPECT_LT(std::fabs(late - theirs), std::fabs(early - theirs));  // (the untrained decoder's noise: 29 dB too loud)
  EXPECT_LT(above, -60);                                         // and no harmonic above 20 kHz
  EXPECT_LT(early_above, -60);

  // A card whose hop does not make 250 frames a second is refused.
  auto folder = nn::read_model_folder(out, "ddsp");
  folder.card["hop"] = 64;
  std::ofstream(out + "/model.json") << folder.card.dump();
  EXPECT_THAT([&] { Ddsp::load(out); }, ThrowsMessage<Error>(HasSubstr("250 frames a second")));
}

}  // namespace
