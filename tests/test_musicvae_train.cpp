// MusicVAE training on a tiny synthetic corpus (a few seconds): the loss falls, accuracy rises,
// checkpoints resume, --freeze-decoder keeps the decoder bit for bit.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "nn/model_folder.h"
#include "nn/musicvae_model.h"
#include "nn/musicvae_refine.h"
#include "test_util.h"
#include "timbrel/error.h"
#include "timbrel/evaluate.h"
#include "timbrel/music.h"
#include "train/musicvae_eval.h"
#include "train/musicvae_trainer.h"

using namespace timbrel;
using ::testing::HasSubstr;

namespace {

// Eight tunes of 8 bars: scales and arpeggios in different keys, so that windows differ.
std::string make_corpus() {
  std::string dir = test::temp_dir() + "/tunes";
  std::filesystem::create_directories(dir);
  for (int f = 0; f < 8; ++f) {
    std::vector<int> events(128, kMelodyNoEvent);
    const int root = 55 + f;
    const int pattern[8] = {0, 2, 4, 5, 7, 4, 2, 0};
    for (int i = 0; i < 32; ++i) events[size_t(i * 4)] = root + pattern[(i + f) % 8] + (i / 8 % 2) * 12 * (f % 2);
    for (int i = 0; i < 32; i += 3) events[size_t(i * 4 + 2)] = kMelodyNoteOff;
    write_midi(melody_to_sequence(events), dir + "/tune" + std::to_string(f) + ".mid");
  }
  std::ofstream(dir + "/broken.mid") << "not a midi file";
  return dir;
}

MusicVaeTrainOptions tiny_options(const std::string& data, const std::string& out) {
  MusicVaeTrainOptions o;
  o.kind = ModelKind::Melody;
  o.data_dirs = {data};
  o.out_dir = out;
  o.z_size = 8;
  o.encoder = {32};
  o.decoder = {32, 32};
  o.batch = 16;
  o.max_steps = 60;
  o.learning_rate = 1e-2;
  o.validation_fraction = 0.25;
  o.checkpoint_every = 30;
  o.transpose = 2;
  o.log = [](const std::string&) {};
  return o;
}

// A tiny melody model trained for 40 steps on make_corpus(), whose folder goes to `data`.
MusicVae tiny_trained_model(std::string& data) {
  data = make_corpus();
  const std::string out = test::temp_dir() + "/model";
  auto o = tiny_options(data, out);
  o.max_steps = 40;
  train::train_musicvae(o);
  return MusicVae::load(out);
}

// Two folders: each split by file and scored on its own; together they are the training set.
TEST(MusicVaeTrain, ScoresEachCorpusOnItsOwn) {
  const std::string a = make_corpus(), b = test::temp_dir() + "/second";
  std::filesystem::create_directories(b);
  for (int f = 0; f < 6; ++f) {
    std::vector<int> events(64, kMelodyNoEvent);
    for (int i = 0; i < 16; ++i) events[size_t(i * 4)] = 70 - (i + f) % 5;
    write_midi(melody_to_sequence(events), b + "/down" + std::to_string(f) + ".mid");
  }
  auto o = tiny_options(a, test::temp_dir() + "/two");
  o.data_dirs.push_back(b);
  o.validation_fraction = 0.5;
  o.max_steps = 10;
  auto r = train::train_musicvae(o);
  ASSERT_EQ(r.corpora.size(), 2u);
  // The validation set is the corpora's together (2-bar windows, 32 tokens each): its accuracy is
  // theirs weighted by windows (to a token, should batching round one argmax the other way).
  size_t windows = 0;
  double weighted = 0;
  for (const auto& c : r.corpora) {
    EXPECT_GT(c.validation_windows, 0u) << c.folder;
    windows += c.validation_windows;
    weighted += c.validation_accuracy * double(c.validation_windows);
  }
  EXPECT_EQ(windows, r.validation_windows);
  EXPECT_NEAR(weighted / double(windows), r.validation_accuracy, 1.0 / (32.0 * double(windows)) + 1e-12);
  EXPECT_EQ(r.corpora[1].folder, b);
}

// A latent that carries nothing (KL weighted heavily from the first step) has posteriors equal to
// N(0, 1): the fitted prior must keep that spread, not shrink to the spread of the means (~0).
TEST(MusicVaeTrain, PriorOfACollapsedLatentKeepsTheStandardSpread) {
  auto o = tiny_options(make_corpus(), test::temp_dir() + "/collapsed");
  o.max_steps = 60;
  o.max_beta = 20, o.beta_rate = 0.5;
  train::train_musicvae(o);
  const auto card = nn::read_model_folder(o.out_dir, "musicvae").card;
  EXPECT_EQ(card["sampling"], formats::sampling_json({0.5, StepDraw::PerDecision}));  // a fresh melody model's advice
  const auto stds = card["latent_prior"]["std"].get<std::vector<double>>();
  ASSERT_EQ(stds.size(), size_t(o.z_size));
  double mean_std = 0;
  for (double s : stds) mean_std += s / double(stds.size());
  EXPECT_GT(mean_std, 0.7) << card["latent_prior"].dump();
  EXPECT_LT(mean_std, 1.3) << card["latent_prior"].dump();
}

// `train --resume` continues a run with the optimiser settings its checkpoint recorded, unless
// the command line gives them (the CLI's defaults, batch 64 and lr 0.001, would otherwise apply).
TEST(MusicVaeTrain, CliResumeKeepsTheCheckpointsBatchAndLearningRate) {
  const std::string data = make_corpus(), out = test::temp_dir() + "/resumed";
  auto o = tiny_options(data, out);
  o.max_steps = 30;
  o.gap_bars = 1;
  train::train_musicvae(o);
  const std::string resume = std::string(TIMBREL_BINARY) + " train melody --resume --data " + data + " --out " + out + " --validation 0.25";
  std::string log;
  ASSERT_EQ(test::run_command(resume + " --steps 31", &log, true), 0) << log;
  auto training = nn::read_model_folder(out, "musicvae").card["training"];
  EXPECT_EQ(training["batch"], 16) << log;
  EXPECT_EQ(training["learning_rate"], 1e-2);
  EXPECT_EQ(nn::read_model_folder(out, "musicvae").card["data"]["gap_bars"], 1.0);
  EXPECT_NE(log.find("with batch 16, learning rate 0.010000"), std::string::npos) << log;
  ASSERT_EQ(test::run_command(resume + " --steps 32 --batch 8", &log, true), 0) << log;
  training = nn::read_model_folder(out, "musicvae").card["training"];
  EXPECT_EQ(training["batch"], 8);
  EXPECT_EQ(training["learning_rate"], 1e-2);
  EXPECT_NE(log.find("(the checkpoint trained with batch 16"), std::string::npos) << log;
}

TEST(MusicVaeTrain, LearnsTinyCorpusAndWritesCard) {
  std::string data = make_corpus(), out = test::temp_dir() + "/model";
  auto o = tiny_options(data, out);
  o.max_steps = 40;
  o.data_licence = "CC0 (test tunes)";
  // A checkpoint (step 30, read as it is written) carries the fitted prior, as the finished model does.
  size_t checkpoint_prior = 0;
  o.log = [&](const std::string& line) {
    if (line.find("checkpoint written") != std::string::npos)
      checkpoint_prior = nn::read_model_folder(out + "/checkpoint", "musicvae").card["latent_prior"]["std"].size();
  };
  auto first = train::train_musicvae(o);
  EXPECT_EQ(checkpoint_prior, 8u);
  o.log = [](const std::string&) {};
  o.max_steps = 80;
  o.resume = true;
  o.data_licence.clear();  // resumed without one: the checkpoint's is kept
  auto r = train::train_musicvae(o);
  EXPECT_EQ(r.steps, 80);
  // The untrained loss is ~32 ln 90 = 144 nats per window; learning the class frequencies and
  // the note/hold alternation of these tunes must bring it far below that, and resuming must
  // continue from the checkpoint (not restart near 144).
  EXPECT_GT(first.first_loss, 80);
  EXPECT_LT(first.last_loss, 0.5 * first.first_loss);
  EXPECT_LT(r.first_loss, 0.5 * first.first_loss);
  auto folder = nn::read_model_folder(out, "musicvae");
  EXPECT_EQ(folder.card["steps"], 80);
  EXPECT_EQ(folder.card["data"]["licence"], "CC0 (test tunes)");
  EXPECT_EQ(folder.card["hparams"]["encoder"], nlohmann::json::array({32}));
  EXPECT_GT(folder.card["data"]["train_files"].get<int>(), 0);
  EXPECT_TRUE(folder.card["metrics"].contains("validation_token_accuracy"));
  ASSERT_EQ(r.corpora.size(), 1u);
  EXPECT_EQ(r.corpora[0].validation_accuracy, r.validation_accuracy);  // one corpus: its score is the whole score
  EXPECT_EQ(folder.card["data"]["corpora"][0]["validation_token_accuracy"].get<double>(), r.validation_accuracy);
  EXPECT_EQ(folder.card["latent_prior"]["std"].size(), 8u);
  EXPECT_TRUE(test::file_exists(out + "/checkpoint/optimizer.pt"));
  // The written model reproduces the reported training accuracy on the same windows.
  MusicVae m = MusicVae::load(out);
  auto corpus = train::load_split("melody", data, 0.25);
  std::vector<Tokens> subset(corpus.train.windows.begin(),
                             corpus.train.windows.begin() + long(std::min<size_t>(2048, corpus.train.windows.size())));
  EXPECT_NEAR(train::token_accuracy(m, subset), r.train_accuracy, 1e-6);
  EXPECT_EQ(corpus.failed.size(), 1u);  // broken.mid reported, not fatal
}

// eval's gap_bars ends melodies at long rests as the trainer's does: no window spans the rest.
TEST(MusicVaeEval, GapBarsEndMelodiesAtLongRests) {
  const std::string model = test::temp_dir() + "/model", folder = test::temp_dir() + "/with-rest";
  auto trained = tiny_options(make_corpus(), model);
  trained.max_steps = 2;
  train::train_musicvae(trained);
  std::filesystem::create_directories(folder);
  std::vector<int> events(11 * 16, kMelodyNoEvent);  // 4 bars of notes, 3 bars of rest, 4 bars of notes
  for (int i = 0; i < 16; ++i) events[size_t(i * 4)] = 60 + i % 5, events[size_t(112 + i * 4)] = 65 + i % 3;
  events[64] = kMelodyNoteOff;
  write_midi(melody_to_sequence(events), folder + "/rest.mid");
  MusicVaeEvalOptions o;
  o.model = model;
  o.data = folder;
  const size_t spanning = evaluate_musicvae(o).windows;
  o.gap_bars = 1;
  const size_t within = evaluate_musicvae(o).windows;
  EXPECT_EQ(within, 6u);  // 3 windows in each 4-bar part (a window every bar)
  EXPECT_GT(spanning, within);
  o.gap_bars = -1;
  EXPECT_THROW(evaluate_musicvae(o), Error);
}

// Reconstruction of a flat model: on its own windows greedy accuracy is token_accuracy; on
// longer windows it plays a chain whose accuracy is that of its pieces, each re-striking a held note.
TEST(MusicVaeEval, ChainAccuracyIsThatOfItsPieces) {
  std::string data;
  MusicVae m = tiny_trained_model(data);
  auto windows = train::load_split("melody", data, 0.25).train.windows;
  ASSERT_GE(windows.size(), 8u);
  auto own = train::reconstruction_accuracy(m, windows);
  EXPECT_FALSE(own.chain);
  EXPECT_NEAR(own.greedy, train::token_accuracy(m, windows), 1e-12);
  EXPECT_GT(own.teacher_forced, 0.3);
  EXPECT_LE(own.teacher_forced, 1.0);
  // Pieces that start on a note: the chain of A and B scores their mean.
  std::vector<Tokens> starts_on_note;
  for (const auto& w : windows)
    if (w[0] > 1) starts_on_note.push_back(w);
  ASSERT_GE(starts_on_note.size(), 4u);
  std::vector<Tokens> pair = {starts_on_note[0], starts_on_note[3]}, joined = {pair[0]};
  joined[0].insert(joined[0].end(), pair[1].begin(), pair[1].end());
  auto chain = train::reconstruction_accuracy(m, joined), parts = train::reconstruction_accuracy(m, pair);
  EXPECT_TRUE(chain.chain);
  EXPECT_NEAR(chain.greedy, parts.greedy, 1e-12);
  EXPECT_NEAR(chain.teacher_forced, parts.teacher_forced, 1e-12);
  // A piece that starts inside a held note re-strikes it; after a note-off it stays silent.
  Tokens held(64, 0);
  held[20] = 30;
  auto pieces = train::chain_pieces({held}, 32, true);
  ASSERT_EQ(pieces.size(), 2u);
  EXPECT_EQ(pieces[1][0], 30);
  held[25] = 1;
  EXPECT_EQ(train::chain_pieces({held}, 32, true)[1][0], 0);
  EXPECT_EQ(train::chain_pieces({held}, 32, false)[1][0], 0);  // drums: no notes to hold
  EXPECT_THROW(train::reconstruction_accuracy(m, {Tokens(48, 0)}), Error);  // not a whole number of windows
}

TEST(MusicVaeTrain, FreezeDecoderTrainsOnlyTheEncoder) {
  std::string data = make_corpus(), dir = test::temp_dir();
  // A decoder-only model, like the official deeplearn.js checkpoint.
  torch::manual_seed(5);
  nn::MusicVaeConfig c;
  c.z_size = 8;
  c.encoder = {32};
  c.decoder = {32, 32};
  nn::MusicVaeNet net(c);
  auto tensors = net->tensors();
  tensors.erase("encoder.layer_0.fw.kernel");
  tensors.erase("encoder.layer_0.bw.kernel");
  nn::write_model_folder(dir + "/decoder_only", nn::musicvae_card(c), tensors);
  EXPECT_THROW(MusicVae::load(dir + "/decoder_only").encode({Tokens(32, 0)}), Error);

  auto o = tiny_options(data, dir + "/complete");
  o.from = dir + "/decoder_only";
  o.freeze_decoder = true;
  o.max_steps = 20;
  train::train_musicvae(o);
  MusicVae m = MusicVae::load(dir + "/complete");
  EXPECT_TRUE(m.info().missing_encoder_tensors.empty());
  EXPECT_EQ(m.info().draw, StepDraw::Flat);  // sampled as its source was: a card without advice, Magenta's
  EXPECT_EQ(m.info().temperature, 0.5);
  auto after = musicvae_impl(m).net->tensors();
  for (const auto& [name, t] : tensors) {
    if (name.rfind("decoder.", 0) == 0) EXPECT_TRUE(torch::equal(after.at(name), t)) << name;
    if (name.rfind("encoder.", 0) == 0) EXPECT_FALSE(torch::equal(after.at(name), t)) << name;
  }
  EXPECT_NO_THROW(m.encode({Tokens(32, 0)}));
}

TEST(MusicVaeTrain, BadOptionsAreErrors) {
  std::string dir = test::temp_dir();
  auto o = tiny_options(dir + "/none", dir + "/out");
  EXPECT_THROW(train::train_musicvae(o), Error);
  o.data_dirs = {dir};
  o.max_steps = 0;
  EXPECT_THROW(train::train_musicvae(o), Error);
  o.max_steps = 1;
  o.freeze_decoder = true;
  EXPECT_THROW(train::train_musicvae(o), Error);
  o.freeze_decoder = false;
  o.gap_bars = -1;
  EXPECT_THROW(train::train_musicvae(o), Error);
  o.gap_bars = 1;
  o.kind = ModelKind::Drums;
  EXPECT_THROW(train::train_musicvae(o), Error);
}

TEST(MusicVaeTrain, GrooveSplitFromCsv) {
  std::string shared = test::shared_dir();
  if (shared.empty() || !test::file_exists(shared + "/data/drums/groove/info.csv")) GTEST_SKIP() << "../shared/data/drums/groove absent";
  // Only the csv logic: a small copy with 3 rows.
  std::string dir = test::temp_dir() + "/groove";
  std::filesystem::create_directories(dir + "/d");
  std::string src = shared + "/data/drums/groove/";
  std::ofstream csv(dir + "/info.csv");
  csv << "drummer,session,id,style,bpm,beat_type,time_signature,midi_filename,audio_filename,duration,split\n";
  int k = 0;
  for (const char* split : {"train", "validation", "test"}) {
    std::string name = "d/" + std::to_string(k++) + ".mid";
    std::filesystem::copy_file(src + "drummer1/eval_session/1_funk-groove1_138_beat_4-4.mid", dir + "/" + name);
    csv << "a,b,c,funk,138,beat,4-4," << name << ",x.wav,27.8," << split << "\n";
  }
  csv.close();
  auto corpus = train::load_split("drums", dir);
  EXPECT_EQ(corpus.train.files.size(), 1u);
  EXPECT_EQ(corpus.validation.files.size(), 1u);
  EXPECT_GT(corpus.train.windows.size(), 10u);
  EXPECT_EQ(corpus.train.windows.size(), corpus.validation.windows.size());
}

}  // namespace

namespace {

nn::MusicVaeConfig hierarchical_config() {
  nn::MusicVaeConfig c;
  c.steps = 64;
  c.bars = 4;
  c.conductor = {24, 24};
  c.encoder = {16};
  c.decoder = {20, 20};
  c.z_size = 8;
  return c;
}

// Sampling and teacher forcing are one network: the logits of greedy decoding equal the
// teacher-forced logits of the tokens it chose, bar by bar (flat and hierarchical).
TEST(HierarchicalMusicVae, DecodingAndTeacherForcingAgree) {
  for (const auto& config : {nn::MusicVaeConfig{}, hierarchical_config()}) {
    torch::manual_seed(5);
    nn::MusicVaeNet net(config);
    torch::NoGradGuard no_grad;
    auto z = torch::randn({3, config.z_size});
    torch::Tensor logits;
    auto tokens = net->decode(z, 0.0, &logits);
    ASSERT_EQ(tokens.size(1), config.steps);
    auto forced = net->teacher_forced_logits(z, tokens);
    EXPECT_LT((forced - logits).abs().max().item<double>(), 1e-4) << config.steps;
  }
}

// Each bar is played from its own embedding, from a fresh decoder state: bar 2 hears bar 1 only
// through bar 1's last token (the previous-token input across the bar line). Changing the rest of
// bar 1 leaves bars 2-4 exactly as they were; in a flat model it changes everything after it.
TEST(HierarchicalMusicVae, EachBarStartsFromItsEmbedding) {
  for (const auto& config : {hierarchical_config(), nn::MusicVaeConfig{}}) {
    torch::manual_seed(6);
    nn::MusicVaeNet net(config);
    torch::NoGradGuard no_grad;
    auto z = torch::randn({2, config.z_size});
    auto tokens = torch::randint(0, config.classes, {2, config.steps}, torch::kLong);
    auto other = tokens.clone();
    other.narrow(1, 0, 15).random_(0, config.classes);  // bar 1 but its last step
    const double later = (net->teacher_forced_logits(z, other).narrow(1, 16, config.steps - 16) -
                          net->teacher_forced_logits(z, tokens).narrow(1, 16, config.steps - 16))
                             .abs()
                             .max()
                             .item<double>();
    if (config.hierarchical()) {
      EXPECT_EQ(later, 0.0);
      const auto tensors = net->tensors();
      EXPECT_TRUE(tensors.count("conductor.cell_1.kernel"));
      EXPECT_EQ(tensors.at("decoder.z_to_initial_state.kernel").size(0), 24);  // from a bar embedding, not z
    } else {
      EXPECT_GT(later, 1e-4);
    }
  }
}

// Training runs every bar at once: the same logits as step by step, and the same gradients.
TEST(HierarchicalMusicVae, BarParallelTeacherForcingMatchesStepByStep) {
  nn::MusicVaeConfig config = hierarchical_config();
  torch::manual_seed(7);
  nn::MusicVaeNet net(config);
  auto z = torch::randn({3, config.z_size});
  auto tokens = torch::randint(0, config.classes, {3, config.steps}, torch::kLong);
  auto by_bars = net->teacher_forced_logits(z, tokens);
  auto by_steps = net->teacher_forced_logits_by_steps(z, tokens);
  ASSERT_EQ(by_bars.sizes(), by_steps.sizes());
  EXPECT_LT((by_bars - by_steps).abs().max().item<double>(), 1e-5);
  auto gradient = [&](const torch::Tensor& logits) {
    net->zero_grad();
    logits.square().sum().backward();
    return net->named_parameters()["decoder.cell_0.kernel"].grad().clone();
  };
  const torch::Tensor g_bars = gradient(by_bars), g_steps = gradient(by_steps);
  EXPECT_LT((g_bars - g_steps).abs().max().item<double>(), 1e-3 * g_steps.abs().max().item<double>());
}

// The hierarchical encoder reads each bar, then the bars: every bar moves z; its tensors and
// hyper-parameters are named, saved and checked.
TEST(HierarchicalMusicVae, BarEncoderHearsEveryBar) {
  nn::MusicVaeConfig config = hierarchical_config();
  config.bar_encoder = {12};
  torch::manual_seed(8);
  nn::MusicVaeNet net(config);
  torch::NoGradGuard no_grad;
  auto tokens = torch::randint(0, config.classes, {2, config.steps}, torch::kLong);
  auto [mu, sigma] = net->encode(tokens);
  EXPECT_EQ(mu.sizes(), (std::vector<int64_t>{2, config.z_size}));
  for (int bar = 0; bar < config.bars; ++bar) {
    auto other = tokens.clone();
    other.narrow(1, bar * 16, 16).random_(0, config.classes);
    EXPECT_GT((net->encode(other).first - mu).abs().max().item<double>(), 1e-6) << "bar " << bar;
  }
  const auto tensors = net->tensors();
  EXPECT_EQ(tensors.at("encoder.bar_layer_0.fw.kernel").size(0), 2 * 16 + 12);  // both directions of a bar, then its state
  EXPECT_EQ(tensors.at("encoder.mu.kernel").size(0), 2 * 12);
  auto back = nn::MusicVaeConfig::from_json(config.to_json(), "test");
  EXPECT_EQ(back.bar_encoder, config.bar_encoder);
  nlohmann::json flat = nn::MusicVaeConfig{}.to_json();
  flat["bar_encoder"] = {12};
  EXPECT_THROW(nn::MusicVaeConfig::from_json(flat, "test"), Error);
}

TEST(HierarchicalMusicVae, TrainsOnLongWindowsAndLoadsBack) {
  std::string data = make_corpus(), out = test::temp_dir() + "/hier";
  auto o = tiny_options(data, out);
  o.bars = 4;
  o.conductor = {24};
  o.bar_encoder = {16};
  o.max_steps = 40;
  auto r = train::train_musicvae(o);
  EXPECT_LT(r.last_loss, 0.7 * r.first_loss);
  MusicVae m = MusicVae::load(out);
  EXPECT_EQ(m.info().steps, 64);
  auto folder = nn::read_model_folder(out, "musicvae");
  EXPECT_EQ(folder.card["hparams"]["bars"], 4);
  EXPECT_EQ(folder.card["hparams"]["conductor"], nlohmann::json::array({24}));
  EXPECT_EQ(folder.card["hparams"]["bar_encoder"], nlohmann::json::array({16}));
  auto windows = m.decode(m.random_z(2, 1), 0.5, 1);
  ASSERT_EQ(windows.size(), 2u);
  EXPECT_EQ(windows[0].size(), 64u);
  auto corpus = train::load_split("melody", data, 0.25, train::WindowRules{64});
  ASSERT_FALSE(corpus.train.windows.empty());
  EXPECT_EQ(corpus.train.windows[0].size(), 64u);
  EXPECT_GT(train::token_accuracy(m, corpus.train.windows), 0.3);
}

// --from a flat model with bars > 2: the bar decoder and the per-bar encoder start as the flat
// model's (bit for bit before training), the conductor fresh; a decoder of other sizes is an error.
TEST(HierarchicalMusicVae, StartsItsBarDecoderFromAFlatModel) {
  std::string data = make_corpus(), dir = test::temp_dir();
  auto flat = tiny_options(data, dir + "/flat");
  flat.max_steps = 20;
  train::train_musicvae(flat);
  const nn::TensorMap flat_tensors = musicvae_impl(MusicVae::load(dir + "/flat")).net->tensors();

  auto o = tiny_options(data, dir + "/hier");
  o.from = dir + "/flat";
  o.bars = 4;
  o.z_size = 0;  // sizes come from the flat model
  o.encoder.clear();
  o.decoder.clear();
  o.bar_encoder = {16};
  o.max_steps = 1;
  o.learning_rate = 1e-9;  // one step that barely moves anything: the copy is what is compared
  train::train_musicvae(o);
  MusicVae m = MusicVae::load(dir + "/hier");
  const auto& config = musicvae_impl(m).net->config();
  EXPECT_EQ(config.bars, 4);
  EXPECT_EQ(config.conductor, std::vector<int>{8});  // the flat model's z size
  EXPECT_EQ(m.info().draw, StepDraw::PerDecision);    // a new kind of model: a hierarchical one's advice
  EXPECT_EQ(m.info().temperature, 0.4);
  const nn::TensorMap after = musicvae_impl(m).net->tensors();
  int copied = 0;
  for (const auto& [name, t] : flat_tensors) {
    const bool bar_level = name.rfind("decoder.", 0) == 0 || name.rfind("encoder.layer_", 0) == 0;
    if (!bar_level) continue;
    EXPECT_TRUE(torch::allclose(after.at(name), t, 0, 1e-6)) << name;
    ++copied;
  }
  EXPECT_EQ(copied, 12);  // kernel and bias of: decoder cells 0, 1, z_to_initial_state, output_projection; encoder fw, bw
  EXPECT_TRUE(after.count("conductor.cell_0.kernel"));

  auto bad = o;
  bad.out_dir = dir + "/bad";
  bad.decoder = {16, 16};
  EXPECT_THAT([&] { train::train_musicvae(bad); }, ::testing::ThrowsMessage<Error>(HasSubstr("decoder")));
}

// What refine_latents minimises for each window: summed teacher-forced cross entropy + 0.5 |z|^2.
torch::Tensor map_objective(const nn::MusicVaeNet& net, const torch::Tensor& z, const torch::Tensor& tokens) {
  torch::NoGradGuard no_grad;
  auto logits = net->teacher_forced_logits(z, tokens);
  auto ce = torch::nn::functional::cross_entropy(logits.reshape({-1, net->config().classes}), tokens.reshape({-1}),
                                                 torch::nn::functional::CrossEntropyFuncOptions().reduction(torch::kNone));
  return ce.view({z.size(0), -1}).sum(1) + 0.5 * z.pow(2).sum(1);
}

// Refinement lowers every window's objective (flat and hierarchical), treats rows independently,
// leaves the network's parameters untouched and with 0 steps returns z as it was.
TEST(MusicVaeRefine, LowersEachWindowsObjectiveAndOnlyMovesZ) {
  for (const auto& config : {nn::MusicVaeConfig{}, hierarchical_config()}) {
    torch::manual_seed(7);
    nn::MusicVaeNet net(config);
    const nn::TensorMap before = net->tensors();
    auto tokens = torch::randint(0, config.classes, {3, config.steps}, torch::kLong);
    auto z = torch::randn({3, config.z_size});
    auto refined = nn::refine_latents(*net, tokens, z, 15);
    auto start = map_objective(net, z, tokens), end = map_objective(net, refined, tokens);
    for (int64_t i = 0; i < 3; ++i) EXPECT_LT(end[i].item<double>(), start[i].item<double>() - 1.0) << config.steps << " row " << i;
    auto alone = nn::refine_latents(*net, tokens.narrow(0, 1, 1), z.narrow(0, 1, 1), 15);
    EXPECT_TRUE(torch::allclose(alone, refined.narrow(0, 1, 1), 1e-4, 1e-5)) << config.steps;
    EXPECT_TRUE(torch::equal(nn::refine_latents(*net, tokens, z, 0), z));
    for (const auto& [name, t] : net->tensors()) {
      EXPECT_TRUE(torch::equal(t, before.at(name))) << name;
      EXPECT_FALSE(net->named_parameters()[name].grad().defined()) << name;
    }
  }
}

// Through the public API: refined latents fit a trained model's windows better than the
// encoder's means (lower objective) and bring them back at least as well; a negative step count
// is an error naming the parameter.
TEST(MusicVaeEval, RefinedLatentsFitTheirWindowsBetter) {
  std::string data;
  MusicVae m = tiny_trained_model(data);
  auto windows = train::load_split("melody", data, 0.25).validation.windows;
  ASSERT_GE(windows.size(), 4u);
  const auto& net = musicvae_impl(m).net;
  auto tokens = nn::tokens_to_tensor(windows, net->config(), "windows");
  auto as_tensor = [&](std::vector<float> z) { return torch::tensor(z).view({int64_t(windows.size()), -1}); };
  auto mean = as_tensor(m.encode(windows)), refined = as_tensor(m.encode(windows, 30));
  EXPECT_LT(map_objective(net, refined, tokens).sum().item<double>(), map_objective(net, mean, tokens).sum().item<double>() - 1.0);
  auto plain = train::reconstruction_accuracy(m, windows), better = train::reconstruction_accuracy(m, windows, 256, 30);
  EXPECT_EQ(better.refine_steps, 30);
  EXPECT_GE(better.teacher_forced, plain.teacher_forced);
  EXPECT_GE(better.greedy, plain.greedy);
  EXPECT_THAT([&] { m.encode(windows, -1); }, ::testing::ThrowsMessage<Error>(HasSubstr("refine_steps")));
}

// The models trained here name the licence of their training data in their cards (a resumed run
// once wrote an empty one). The harmonizer's card has no "data" object and is not checked.
TEST(ShippedCards, NameTheirDataLicence) {
  const std::filesystem::path models = std::filesystem::path(TIMBREL_SOURCE_DIR) / "models";
  size_t checked = 0;
  for (const auto& entry : std::filesystem::directory_iterator(models)) {
    const std::filesystem::path file = entry.path() / "model.json";
    if (!std::filesystem::exists(file)) continue;
    std::ifstream in(file);
    const nlohmann::json card = nlohmann::json::parse(in);
    if (!card.contains("data") || !card["data"].is_object()) continue;
    const auto& data = card["data"];
    ASSERT_TRUE(data.contains("licence") && data["licence"].is_string()) << file;
    EXPECT_GT(data["licence"].get<std::string>().size(), 5u) << file;
    ++checked;
  }
  EXPECT_GE(checked, 10u);
}

}  // namespace
