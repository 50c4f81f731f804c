// GANSynth generator: parity with @magenta/music 1.23.1 (tests/golden/gansynth), loading and
// validation of TF.js checkpoints and model folders, batching, pitch range, timbres.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <filesystem>
#include <limits>
#include <fstream>
#include <nlohmann/json.hpp>

#include "nn/gansynth_net.h"
#include "nn/gansynth_network.h"
#include "nn/model_folder.h"
#include "test_util.h"
#include "timbrel/error.h"
#include "timbrel/gansynth.h"
#include "timbrel/sound_file.h"
#include "timbrel/spectral.h"
#include "util/npy.h"

using namespace timbrel;
using ::testing::HasSubstr;

namespace {

const std::string kGolden = std::string(TIMBREL_GOLDEN_DIR) + "/data/gansynth";

// Writes TF-named tensors as a TF.js checkpoint (one float32 shard), in `order`.
void write_tfjs(const std::string& dir, const nn::TensorMap& tf, const std::vector<std::string>& order,
                const std::map<std::string, std::string>& dtypes = {}) {
  nlohmann::json weights = nlohmann::json::array();
  std::string shard;
  for (const auto& name : order) {
    const torch::Tensor& t = tf.at(name);
    auto it = dtypes.find(name);
    weights.push_back({{"name", name}, {"shape", t.sizes().vec()}, {"dtype", it == dtypes.end() ? "float32" : it->second}});
    shard.append(reinterpret_cast<const char*>(t.data_ptr<float>()), size_t(t.numel()) * 4);
  }
  std::ofstream(dir + "/weights_manifest.json") << nlohmann::json::array({{{"paths", {"group1-shard1of1"}}, {"weights", weights}}}).dump();
  std::ofstream(dir + "/group1-shard1of1", std::ios::binary) << shard;
}

std::vector<std::string> names_of(const GansynthConfig& c) {
  std::vector<std::string> out;
  for (const auto& [name, shape] : nn::gansynth_tf_variables(c)) out.push_back(name);
  return out;
}

GansynthConfig tiny() {
  GansynthConfig c;
  c.latent_size = 8;
  c.channels = {16, 16, 16, 16, 8, 8, 8};
  return c;
}

double max_abs(const std::vector<float>& v) {
  double m = 0;
  for (float x : v) m = std::max(m, double(std::fabs(x)));
  return m;
}

double max_abs_diff(const float* a, const float* b, size_t n) {
  double m = 0;
  for (size_t i = 0; i < n; ++i) m = std::max(m, double(std::fabs(a[i] - b[i])));
  return m;
}

}  // namespace

// The reference: magenta.js's GANSynth.predict on a TF.js checkpoint of seeded random weights,
// which this test regenerates from the same seed and serves to our TF.js reader.
TEST(Gansynth, EqualsMagentaJsGeneratorAndAudio) {
  std::ifstream meta_in(kGolden + "/meta.json");
  ASSERT_TRUE(meta_in) << kGolden;
  nlohmann::json meta = nlohmann::json::parse(meta_in);
  GansynthConfig full;
  nn::TensorMap tf = nn::gansynth_random_tf(full, meta["weight_seed"].get<uint32_t>(), meta["stddev"].get<double>());
  // Same weights as the script drew (first value of the first four variables, and the sum).
  auto order = names_of(full);
  for (size_t i = 0; i < 4; ++i)
    EXPECT_EQ(tf.at(order[i]).data_ptr<float>()[0], meta["weights_first"][i].get<float>()) << i;
  double sum = 0;
  for (const auto& n : order) sum += tf.at(n).sum(torch::kDouble).item<double>();
  EXPECT_NEAR(sum, meta["weights_sum"].get<double>(), 1e-6);

  std::string dir = test::temp_dir();
  write_tfjs(dir, tf, order);
  Gansynth g = Gansynth::load(dir);
  EXPECT_EQ(g.info().format, "tfjs");
  EXPECT_EQ(g.info().config.channels, full.channels);
  EXPECT_NEAR(double(g.info().parameters), 7.3e6, 0.1e6);

  NpyArray z = read_npy(kGolden + "/z.npy"), ref = read_npy(kGolden + "/specgrams.npy"), audio = read_npy(kGolden + "/audio.npy");
  std::vector<int> pitches = meta["pitches"].get<std::vector<int>>();
  ASSERT_EQ(ref.shape, (std::vector<int64_t>{int64_t(pitches.size()), 128, 1024, 2}));
  std::vector<float> out = g.generate(z.data, pitches);  // both notes in one pass
  ASSERT_EQ(out.size(), ref.data.size());
  const double err = max_abs_diff(out.data(), ref.data.data(), out.size()) / max_abs(ref.data);
  EXPECT_LT(err, 1e-4) << "generator output vs magenta.js (relative to its peak)";
  std::cout << "[ info ] generator max |diff| / peak vs magenta.js: " << err << std::endl;

  // Sensitivity: a pitch-indexing mistake (here: the two pitches swapped) is 10x over the bound,
  // although random weights make the pitch matter little.
  std::vector<float> swapped = g.generate(z.data, {pitches[1], pitches[0]});
  EXPECT_GT(max_abs_diff(swapped.data(), ref.data.data(), out.size()) / max_abs(ref.data), 1e-3);

  // --compat magentajs audio: the first 60928 samples of each note.
  InverseOptions inv;
  inv.compat = SpectralCompat::MagentaJs;
  std::vector<float> wave(pitches.size() * kNoteSamples);
  spectrograms_to_audio(out.data(), pitches.size(), wave.data(), inv);
  const size_t kept = size_t(audio.shape[1]);
  ASSERT_EQ(kept, 60928u);
  for (size_t i = 0; i < pitches.size(); ++i) {
    std::vector<float> mine(wave.begin() + i * kNoteSamples, wave.begin() + i * kNoteSamples + kept);
    std::vector<float> theirs(audio.data.begin() + i * kept, audio.data.begin() + (i + 1) * kept);
    const double snr = snr_db(mine, theirs);
    EXPECT_GE(snr, 60.0) << "note " << i;
    std::cout << "[ info ] note " << i << " audio SNR vs magenta.js: " << snr << " dB" << std::endl;
  }
}

// `timbrel note --compat magentajs` on the same checkpoint and z plays magenta.js's audio: the mode
// implies magenta.js's phase (the generator's IF; here 102 dB, PGHI -7 dB).
TEST(Gansynth, NoteCompatMagentaJsPlaysMagentaJsAudio) {
  std::ifstream meta_in(kGolden + "/meta.json");
  ASSERT_TRUE(meta_in) << kGolden;
  const nlohmann::json meta = nlohmann::json::parse(meta_in);
  GansynthConfig full;
  const std::string dir = test::temp_dir(), model = dir + "/tfjs";
  std::filesystem::create_directories(model);
  write_tfjs(model, nn::gansynth_random_tf(full, meta["weight_seed"].get<uint32_t>(), meta["stddev"].get<double>()), names_of(full));
  const NpyArray z = read_npy(kGolden + "/z.npy"), audio = read_npy(kGolden + "/audio.npy");
  const size_t kept = size_t(audio.shape[1]);
  write_npy(dir + "/z0.npy", NpyArray{{256}, std::vector<float>(z.data.begin(), z.data.begin() + 256)});
  const std::vector<float> theirs(audio.data.begin(), audio.data.begin() + long(kept));  // the first note's
  auto note_snr = [&](const std::string& name, const std::string& flags) {
    const std::string wav = dir + "/" + name + ".wav";
    std::string out;
    EXPECT_EQ(test::run_command(std::string(TIMBREL_BINARY) + " note -m " + model + " --z-file " + dir + "/z0.npy -p " +
                                    std::to_string(meta["pitches"][0].get<int>()) + " --bit-depth float -o " + wav + " " + flags,
                                &out, true),
              0)
        << out;
    std::vector<float> mine = read_sound_file(wav).samples;
    mine.resize(kept);
    return snr_db(mine, theirs);
  };
  const double implied = note_snr("implied", "--compat magentajs"), pghi = note_snr("pghi", "--compat magentajs --phase pghi");
  std::cout << "[ info ] note --compat magentajs vs magenta.js: " << implied << " dB (--phase pghi: " << pghi << " dB)" << std::endl;
  EXPECT_GE(implied, 60.0);
  EXPECT_LT(pghi, 20.0);  // --phase given: it wins
}

TEST(Gansynth, BatchOfMixedPitchesAndTimbresEqualsOneByOne) {
  Gansynth g = Gansynth::random(tiny(), 3);
  std::vector<float> z;
  std::vector<int> pitches{24, 60, 84};
  for (int s = 0; s < 3; ++s) {
    auto t = g.timbre("seed:" + std::to_string(s));
    z.insert(z.end(), t.begin(), t.end());
  }
  std::vector<float> batch = g.generate(z, pitches);
  ASSERT_EQ(batch.size(), 3 * kSpectrogramValues);
  for (size_t i = 0; i < 3; ++i) {
    std::vector<float> zi(z.begin() + i * 8, z.begin() + (i + 1) * 8);
    std::vector<float> one = g.generate(zi, {pitches[i]});
    EXPECT_LT(max_abs_diff(one.data(), batch.data() + i * kSpectrogramValues, kSpectrogramValues), 1e-5) << i;
    for (float v : one) ASSERT_LE(std::fabs(v), 1.0f);  // tanh output
  }
  EXPECT_GT(max_abs_diff(batch.data(), batch.data() + kSpectrogramValues, kSpectrogramValues), 1e-3);
}

TEST(Gansynth, PitchOutsideRangeIsAnErrorNamingTheRange) {
  Gansynth g = Gansynth::random(tiny(), 3);
  auto z = g.timbre("seed:1");
  for (int p : {23, 85, -1}) {
    try {
      g.generate(z, {p});
      FAIL() << p;
    } catch (const Error& e) {
      EXPECT_THAT(e.what(), HasSubstr("24..84"));
    }
  }
  EXPECT_THROW(g.generate(std::vector<float>(7, 0.f), {60}), Error);
}

TEST(Gansynth, ModelFolderRoundTripKeepsOutputAndPresets) {
  Gansynth g = Gansynth::random(tiny(), 5);
  g.set_presets({{"flute", g.timbre("seed:9")}});
  std::string dir = test::temp_dir() + "/m";
  g.save(dir);
  Gansynth h = Gansynth::load(dir);
  EXPECT_EQ(h.info().format, "model folder");
  EXPECT_EQ(h.info().timbre_names, std::vector<std::string>{"flute"});
  EXPECT_EQ(h.timbre("preset:flute"), g.timbre("seed:9"));
  auto z = g.timbre("seed:2");
  EXPECT_EQ(h.generate(z, {40}), g.generate(z, {40}));
  EXPECT_THROW(h.timbre("preset:oboe"), Error);
  // Equal to the same weights read as a TF.js checkpoint (layout conversion both ways).
  std::string tfdir = test::temp_dir();
  write_tfjs(tfdir, nn::gansynth_random_tf(tiny(), 5, 0.05), names_of(tiny()));
  EXPECT_EQ(Gansynth::load(tfdir).generate(z, {40}), g.generate(z, {40}));
  // timbrel convert: TF.js -> model folder, same output.
  std::string out, conv = test::temp_dir() + "/conv";
  ASSERT_EQ(test::run_command(std::string(TIMBREL_BINARY) + " convert " + tfdir + " -o " + conv, &out, true), 0) << out;
  EXPECT_THAT(out, HasSubstr("gansynth"));
  EXPECT_EQ(Gansynth::load(conv).generate(z, {40}), g.generate(z, {40}));
}

// A model folder is checked and fingerprinted without torch (models/gansynth_weights.cpp), its
// network built on first use: the fingerprint (part of every note cache key) is the one torch
// computes over the same tensors, in float32 and float16 folders, and the network's checks of
// names, shapes and dtypes are all made at load.
TEST(Gansynth, ModelFolderIsCheckedAndFingerprintedAtLoad) {
  const GansynthConfig c = tiny();
  GansynthConfig inferred;
  const nn::TensorMap raw = nn::gansynth_from_tf(nn::gansynth_random_tf(c, 3, 0.05), "random", &inferred);
  const nlohmann::json card = {{"architecture", "gansynth"}, {"hparams", nn::gansynth_config_json(c)}};
  for (torch::ScalarType dtype : {torch::kFloat, torch::kHalf}) {
    const std::string dir = test::temp_dir() + "/m";
    nn::write_model_folder(dir, card, raw, dtype);
    const Gansynth g = Gansynth::load(dir);
    const nn::TensorMap stored = nn::read_model_folder(dir, "gansynth").tensors;
    EXPECT_EQ(g.info().fingerprint, nn::weights_fingerprint(c, stored)) << c10::toString(dtype);
    int64_t parameters = 0;
    for (const auto& [name, t] : stored) parameters += t.numel();
    EXPECT_EQ(g.info().parameters, parameters);
  }
  EXPECT_EQ(Gansynth::random(c, 3, 0.05).info().fingerprint, nn::weights_fingerprint(c, raw));
  auto expect_error = [&](nn::TensorMap tensors, const std::string& what) {
    const std::string dir = test::temp_dir() + "/m";
    nn::write_model_folder(dir, card, tensors);
    try {
      Gansynth::load(dir);
      ADD_FAILURE() << "loaded: expected " << what;
    } catch (const Error& e) {
      EXPECT_THAT(e.what(), HasSubstr(what));
    }
  };
  nn::TensorMap wrong = raw;
  wrong["to_rgb.bias"] = torch::zeros({3});
  expect_error(wrong, "to_rgb.bias has shape [3], expected [2]");
  nn::TensorMap extra = raw;
  extra["block8.conv0.bias"] = torch::zeros({2});
  expect_error(extra, "unexpected tensor block8.conv0.bias");
  nn::TensorMap missing = raw;
  missing.erase("block2.conv1.weight");
  expect_error(missing, "lacks the tensor block2.conv1.weight");
  nn::TensorMap integer = raw;
  integer["to_rgb.bias"] = torch::zeros({2}, torch::kLong);
  expect_error(integer, "to_rgb.bias is not floating point");
  nn::TensorMap nan = raw;
  nan["block3.conv1.bias"] = raw.at("block3.conv1.bias").clone();
  nan["block3.conv1.bias"][1] = std::nanf("");
  expect_error(nan, "weights.safetensors: tensor 'block3.conv1.bias' has NaN or infinite values");
  // Weights replaced after the load: the network, built on first use, refuses them.
  const std::string dir = test::temp_dir() + "/m";
  nn::write_model_folder(dir, card, raw);
  const Gansynth g = Gansynth::load(dir);
  nn::TensorMap other = raw;
  other["to_rgb.bias"] = torch::ones({2});
  nn::write_model_folder(dir, card, other);
  try {
    g.generate(g.timbre("seed:1"), {40});
    ADD_FAILURE() << "generated from weights other than those loaded";
  } catch (const Error& e) {
    EXPECT_THAT(e.what(), HasSubstr("changed since the model was loaded"));
  }
}

TEST(Gansynth, ValidatesCheckpoints) {
  const GansynthConfig c = tiny();
  auto order = names_of(c);
  auto expect_error = [&](const nn::TensorMap& tf, const std::vector<std::string>& names, const std::string& what,
                          const std::map<std::string, std::string>& dtypes = {}) {
    std::string dir = test::temp_dir();
    write_tfjs(dir, tf, names, dtypes);
    try {
      Gansynth::load(dir);
      ADD_FAILURE() << "loaded: expected " << what;
    } catch (const Error& e) {
      EXPECT_THAT(e.what(), HasSubstr(what));
    }
  };
  nn::TensorMap tf = nn::gansynth_random_tf(c, 1, 0.05);
  // A missing variable is named.
  std::vector<std::string> fewer(order.begin(), order.end() - 1);
  expect_error(tf, fewer, "lacks Generator/progressive_gan_generator/progressive_gan_block_7/to_rgb/bias");
  // A wrong shape is named with both shapes.
  nn::TensorMap bad = tf;
  bad[order[2]] = torch::zeros({3, 3, 16, 7});
  expect_error(bad, order, "block_1/conv1/conv2d/kernel/ExponentialMovingAverage has shape [3, 3, 16, 7], expected [3, 3, 16, 16]");
  // int32 data is not a weight.
  expect_error(tf, order, "is not float32", {{order[1], "int32"}});
  // Not a GANSynth checkpoint at all.
  nn::TensorMap other{{"decoder/kernel", torch::zeros({2, 2})}};
  expect_error(other, {"decoder/kernel"}, "not a GANSynth checkpoint");
  EXPECT_THROW(Gansynth::load(test::temp_dir() + "/nothing"), Error);
  // NaN weights are named (a model that loads must produce numbers).
  nn::TensorMap nan = tf;
  nan[order[3]] = nan[order[3]].clone();
  nan[order[3]].view(-1)[5] = std::nanf("");
  expect_error(nan, order, "has NaN or infinite values");
}

// Model folders: NaN/Inf weights, a truncated weights file, a broken card: clear errors that
// name the file.
TEST(Gansynth, BrokenModelFoldersAreClearErrors) {
  const std::string dir = test::temp_dir() + "/m";
  Gansynth::random(tiny(), 2, 0.05).save(dir);
  const std::string weights = dir + "/weights.safetensors";
  const std::string bytes = test::read_text(weights);
  auto expect_error = [&](const std::string& what) {
    try {
      Gansynth::load(dir);
      ADD_FAILURE() << "loaded: expected " << what;
    } catch (const Error& e) {
      EXPECT_THAT(e.what(), HasSubstr(what));
    }
  };
  // An Inf in the last float of the data.
  std::string inf = bytes;
  const float big = std::numeric_limits<float>::infinity();
  std::memcpy(&inf[inf.size() - 4], &big, 4);
  { std::ofstream(weights, std::ios::binary) << inf; }
  expect_error("weights.safetensors: tensor '");
  expect_error("has NaN or infinite values");
  // Truncated.
  { std::ofstream(weights, std::ios::binary) << bytes.substr(0, bytes.size() / 2); }
  expect_error("weights.safetensors");
  // A card that is not JSON.
  { std::ofstream(weights, std::ios::binary) << bytes; }
  { std::ofstream(dir + "/model.json") << "{ not json"; }
  expect_error("model.json: invalid JSON");
}

TEST(Gansynth, Timbres) {
  Gansynth g = Gansynth::load([] {
    std::string d = test::temp_dir() + "/full";
    Gansynth::random(GansynthConfig{}, 1).save(d);  // full latent size: 256 values
    return d;
  }());
  auto a = g.timbre("seed:1"), b = g.timbre("seed:1"), c = g.timbre("seed:2");
  ASSERT_EQ(a.size(), 256u);
  EXPECT_EQ(a, b);
  EXPECT_NE(a, c);
  double mean = 0, var = 0, dot = 0;
  for (size_t i = 0; i < a.size(); ++i) {
    mean += a[i] / 256.0;
    var += a[i] * a[i] / 256.0;
    dot += double(a[i]) * c[i] / 256.0;
  }
  EXPECT_NEAR(mean, 0.0, 0.25);  // 4 standard errors
  EXPECT_NEAR(var, 1.0, 0.35);
  EXPECT_NEAR(dot, 0.0, 0.3);  // neighbouring seeds are unrelated
  std::string npy = test::temp_dir() + "/z.npy";
  write_npy(npy, NpyArray{{1, 256}, c});
  EXPECT_EQ(g.timbre(npy), c);
  EXPECT_EQ(g.timbre("file:" + npy), c);
  write_npy(npy, NpyArray{{2, 128}, c});
  EXPECT_THROW(g.timbre(npy), Error);
  for (const char* bad : {"seed:", "seed:x", "seed:99999999999", "flute", "preset:flute"}) EXPECT_THROW(g.timbre(bad), Error) << bad;
}

TEST(Gansynth, BilinearPadCorners) {
  std::vector<float> a{1, 0}, b{0, 1}, c{-1, 0}, d{0, -1};
  EXPECT_EQ(bilinear(a, b, c, d, 0, 0), a);
  EXPECT_EQ(bilinear(a, b, c, d, 1, 0), b);
  EXPECT_EQ(bilinear(a, b, c, d, 0, 1), c);
  EXPECT_EQ(bilinear(a, b, c, d, 1, 1), d);
  // (1-x)(1-y) a + x(1-y) b + (1-x) y c + x y d at x = 0.25, y = 0.75: weights 3/16, 1/16, 9/16,
  // 3/16; x and y swapped would give 0.125 and 0.375.
  auto m = bilinear(a, b, c, d, 0.25, 0.75);
  EXPECT_FLOAT_EQ(m[0], -0.375f);  // 3/16 a - 9/16 c
  EXPECT_FLOAT_EQ(m[1], -0.125f);  // 1/16 b - 3/16 d
  auto e = bilinear(a, b, c, d, 0.25, 0.0);
  EXPECT_FLOAT_EQ(e[0], 0.75f);
  EXPECT_FLOAT_EQ(e[1], 0.25f);
  EXPECT_THROW(bilinear(a, b, c, d, 1.5, 0), Error);
}

// The GPU's generator path (plain torch ops instead of the fused CPU loops), run on the CPU
// (test_timbre_train.cpp checks it for the pitch-template and frequency-only layouts too).
TEST(Gansynth, GenericOpsPathEqualsTheFusedCpuPath) {
  {
    GansynthConfig c;
    c.latent_size = 8;
    c.channels = {16, 16, 16, 16, 8, 8, 8};
    GansynthConfig inferred;
    nn::TensorMap raw = nn::gansynth_from_tf(nn::gansynth_random_tf(c, 5, 0.5), "random", &inferred);
    nn::GansynthNet fused(c, raw, "random"), generic(c, raw, "random");
    generic.set_generic_ops(true);
    c10::InferenceMode guard;
    torch::manual_seed(3);
    const torch::Tensor z = torch::randn({3, c.latent_size});
    const torch::Tensor pitch = torch::tensor({0, 17, 60}, torch::kLong);
    const torch::Tensor a = fused.forward(z, pitch), b = generic.forward(z, pitch);
    ASSERT_EQ(a.sizes(), b.sizes());
    EXPECT_LT((a - b).abs().max().item<float>(), 1e-5f);
    EXPECT_GT(a.abs().max().item<float>(), 0.1f);  // not a trivially zero output
  }
}

TEST(Gansynth, CudaDeviceIsRefusedClearlyWithoutCudaTorch) {
  Gansynth g = Gansynth::random(GansynthConfig{8, 24, 61, {16, 16, 16, 16, 8, 8, 8}}, 1, 0.5);
  EXPECT_EQ(g.device(), Device::Cpu);
  if (Gansynth::cuda_available()) GTEST_SKIP() << "this libtorch has CUDA: the refusal does not apply";
  try {
    g.set_device(Device::Cuda);
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_THAT(e.what(), ::testing::HasSubstr("CPU-only"));
  }
  // generate_audio on the CPU equals generate + the CPU spectral path.
  const auto z = g.timbre("seed:2");
  std::vector<float> audio(kNoteSamples);
  g.generate_audio(z, {60}, InverseOptions{}, audio.data());
  const auto spec = g.generate(z, {60});
  std::vector<float> want(kNoteSamples);
  spectrograms_to_audio(spec.data(), 1, want.data(), InverseOptions{});
  EXPECT_EQ(audio, want);
}

TEST(Gansynth, Bfloat16PrecisionStaysCloseToFloat32) {
  Gansynth g = Gansynth::random(GansynthConfig{8, 24, 61, {16, 16, 16, 16, 8, 8, 8}}, 4, 0.5);
  const auto z = g.timbre("seed:1");
  const std::vector<float> a = g.generate(z, {60});
  g.set_precision(Precision::Bf16);
  EXPECT_EQ(g.precision(), Precision::Bf16);
  const std::vector<float> b = g.generate(z, {60});
  double worst = 0, mean = 0;
  for (size_t i = 0; i < a.size(); ++i) {
    worst = std::max(worst, double(std::fabs(a[i] - b[i])));
    mean += std::fabs(a[i] - b[i]) / double(a.size());
  }
  // bfloat16 keeps 8 significant bits (relative 2^-9 per value); through 14 layers the outputs
  // (tanh, within +-1) move by ~1e-2 on average.
  EXPECT_GT(worst, 0.0);
  EXPECT_LT(mean, 0.03);
  g.set_precision(Precision::Fp32);
  EXPECT_EQ(g.generate(z, {60}), a);  // back to the exact float32 path
  EXPECT_THROW(parse_precision("fp8"), Error);
}
