// The torch-free readers of model files (formats/) and the size caps of files read whole:
// decoded values against numbers worked out by hand (as TF.js dequantises), and each malformed
// input's error naming the file.
#include <fcntl.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/resource.h>
#include <unistd.h>

#include <cstring>

#include "formats/js_checkpoints.h"
#include "formats/model_card.h"
#include "test_util.h"
#include "timbrel/error.h"
#include "timbrel/music.h"
#include "util/file_io.h"

using namespace timbrel;
using ::testing::HasSubstr;

namespace {

std::string error_of(const std::function<void()>& f, const std::string& subject) {
  try {
    f();
  } catch (const Error& e) {
    EXPECT_EQ(e.subject(), subject);
    return e.problem();
  }
  ADD_FAILURE() << "no error";
  return "";
}

template <typename T>
void append(std::vector<uint8_t>& out, std::initializer_list<T> v) {
  const size_t at = out.size();
  out.resize(at + v.size() * sizeof(T));
  std::memcpy(out.data() + at, v.begin(), v.size() * sizeof(T));
}

long max_rss_kb() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return u.ru_maxrss;
}

// A sparse file of `size` bytes starting with `head`: huge on paper, nothing on disk.
std::string sparse_file(const std::string& name, uint64_t size, const std::string& head) {
  const std::string path = test::temp_dir() + "/" + name;
  const int fd = ::open(path.c_str(), O_CREAT | O_WRONLY | O_TRUNC, 0644);
  EXPECT_GE(fd, 0);
  EXPECT_EQ(::write(fd, head.data(), head.size()), ssize_t(head.size()));
  EXPECT_EQ(::ftruncate(fd, off_t(size)), 0);
  ::close(fd);
  return path;
}

}  // namespace

TEST(Tfjs, DecodesEveryStoredFormLikeTfjs) {
  const std::string manifest = R"([{"paths": ["group1-shard1of1"], "weights": [
    {"name": "a/kernel", "shape": [2, 3], "dtype": "float32"},
    {"name": "a/bias", "shape": [3], "dtype": "float32", "quantization": {"dtype": "uint8", "scale": 0.5, "min": -1.0}},
    {"name": "b", "shape": [2], "dtype": "float32", "quantization": {"dtype": "uint16", "scale": 0.001, "min": -2.0}},
    {"name": "c", "shape": [2], "dtype": "float32", "quantization": {"dtype": "float16"}},
    {"name": "steps", "shape": [], "dtype": "int32"},
    {"name": "q", "shape": [2], "dtype": "int32", "quantization": {"dtype": "uint8", "scale": 1.0, "min": -3.0}}]}])";
  const auto groups = formats::parse_tfjs_manifest(manifest, "m.json");
  ASSERT_EQ(groups.size(), 1u);
  EXPECT_EQ(groups[0].paths, std::vector<std::string>{"group1-shard1of1"});
  std::vector<uint8_t> data;
  append<float>(data, {0, 1, 2, 3, 4, 5});
  append<uint8_t>(data, {0, 1, 2});
  append<uint16_t>(data, {0, 65535});
  append<uint16_t>(data, {0x3e00, 0xc000});  // 1.5, -2 in binary16
  append<int32_t>(data, {7});
  append<uint8_t>(data, {1, 250});
  const auto w = formats::decode_tfjs_group(groups[0], data, "ckpt");
  ASSERT_EQ(w.size(), 6u);
  EXPECT_EQ(w[0].shape, (std::vector<int64_t>{2, 3}));
  EXPECT_EQ(w[0].floats, (std::vector<float>{0, 1, 2, 3, 4, 5}));
  EXPECT_EQ(w[1].floats, (std::vector<float>{-1, -0.5f, 0}));
  EXPECT_EQ(w[2].floats, (std::vector<float>{-2, float(65535 * 0.001 - 2.0)}));
  EXPECT_EQ(w[3].floats, (std::vector<float>{1.5f, -2}));
  EXPECT_TRUE(w[4].int32);
  EXPECT_TRUE(w[4].shape.empty());
  EXPECT_EQ(w[4].ints, std::vector<int32_t>{7});
  EXPECT_EQ(w[5].ints, (std::vector<int32_t>{-2, 247}));

  std::vector<uint8_t> longer = data;
  longer.push_back(0);
  EXPECT_THAT(error_of([&] { formats::decode_tfjs_group(groups[0], longer, "ckpt"); }, "ckpt"),
              HasSubstr("1 bytes of shard data are not described"));
  data.pop_back();
  EXPECT_THAT(error_of([&] { formats::decode_tfjs_group(groups[0], data, "ckpt"); }, "ckpt"),
              HasSubstr("'q' ends at byte 41 but the shards hold 40"));
}

TEST(Tfjs, RejectsMalformedManifests) {
  auto err = [](const std::string& text) {
    return error_of([&] { formats::parse_tfjs_manifest(text, "w.json"); }, "w.json");
  };
  EXPECT_THAT(err("{"), HasSubstr("invalid JSON"));
  EXPECT_THAT(err("{}"), HasSubstr("array of weight groups"));
  EXPECT_THAT(err(R"([{"paths": ["../x"], "weights": []}])"), HasSubstr("invalid weight file name '../x'"));
  EXPECT_THAT(err(R"([{"paths": [".."], "weights": []}])"), HasSubstr("invalid weight file name"));
  EXPECT_THAT(err(R"([{"paths": [], "weights": [{"name": "w", "shape": [-1], "dtype": "float32"}]}])"),
              HasSubstr("'w': invalid dimension"));
  EXPECT_THAT(err(R"([{"paths": [], "weights": [{"name": "w", "shape": [4294967296, 4294967296], "dtype": "float32"}]}])"),
              HasSubstr("'w': absurd shape"));
  EXPECT_THAT(err(R"([{"paths": [], "weights": [{"name": "w", "shape": [1], "dtype": "string"}]}])"),
              HasSubstr("unsupported dtype 'string'"));
  EXPECT_THAT(err(R"([{"paths": [], "weights": [{"name": "w", "shape": [1], "dtype": "float32",
                       "quantization": {"dtype": "uint8", "scale": 1e999, "min": 0}}]}])"),
              HasSubstr("invalid JSON"));  // 1e999 overflows: not a JSON number nlohmann accepts
  // A dequantised value outside int32 is an error, not undefined behaviour.
  const auto g = formats::parse_tfjs_manifest(
      R"([{"paths": [], "weights": [{"name": "n", "shape": [1], "dtype": "int32",
           "quantization": {"dtype": "uint8", "scale": 1e10, "min": 0}}]}])", "w.json");
  EXPECT_THAT(error_of([&] { formats::decode_tfjs_group(g[0], {200}, "ckpt"); }, "ckpt"), HasSubstr("is not an int32"));
}

TEST(Dljs, ParsesManifestAndChecksFileSizes) {
  const auto vars = formats::parse_dljs_manifest(R"({"v/kernel": {"filename": "v_kernel", "shape": [2, 2]}})", "m.json");
  ASSERT_EQ(vars.size(), 1u);
  EXPECT_EQ(vars[0].name, "v/kernel");
  EXPECT_EQ(vars[0].numel, 4);
  std::vector<uint8_t> bytes;
  append<float>(bytes, {1, 2, 3, 4});
  EXPECT_EQ(formats::decode_dljs_variable(vars[0], bytes, "dir/v_kernel"), (std::vector<float>{1, 2, 3, 4}));
  bytes.resize(12);
  EXPECT_THAT(error_of([&] { formats::decode_dljs_variable(vars[0], bytes, "dir/v_kernel"); }, "dir/v_kernel"),
              HasSubstr("12 bytes, expected 16 (float32 of shape [2, 2])"));
  EXPECT_THAT(error_of([&] { formats::parse_dljs_manifest(R"({"x": {"filename": "a/b", "shape": [1]}})", "m.json"); }, "m.json"),
              HasSubstr("invalid weight file name 'a/b'"));
  EXPECT_THAT(error_of([&] { formats::parse_dljs_manifest(R"({"x": {"shape": [1]}})", "m.json"); }, "m.json"),
              HasSubstr("'x' needs filename and shape"));
}

TEST(ModelCard, ValidatesArchitectureHparamsPriorAndPresets) {
  auto card_err = [](const std::string& text, const std::string& arch = "") {
    return error_of([&] { formats::parse_model_card(text, "m/model.json", arch); }, "m/model.json");
  };
  EXPECT_THAT(card_err("[1]"), HasSubstr("needs a string \"architecture\""));
  EXPECT_THAT(card_err(R"({"architecture": "gansynth"})", "musicvae"), HasSubstr("architecture is \"gansynth\", expected \"musicvae\""));

  nlohmann::json h = formats::MusicVaeConfig::melody_small().to_json();
  EXPECT_EQ(formats::MusicVaeConfig::from_json(h, "m").to_json(), h);
  h["free_bits"] = "lots";
  EXPECT_THAT(error_of([&] { formats::MusicVaeConfig::from_json(h, "m"); }, "m"), HasSubstr("free_bits must be a finite number"));
  h = formats::MusicVaeConfig::melody_small().to_json();
  h["encoder"] = {int64_t(4294967297)};  // must not wrap to 1
  EXPECT_THAT(error_of([&] { formats::MusicVaeConfig::from_json(h, "m"); }, "m"), HasSubstr("'encoder' has an invalid size"));

  nlohmann::json card = {{"latent_prior", {{"mean", {0.0, 1.0}}, {"std", {1.0, 2.0}}}}};
  auto prior = formats::latent_prior_from_card(card, 2, "m/model.json");
  ASSERT_TRUE(prior.has_value());
  ASSERT_EQ(prior->components.size(), 1u);
  EXPECT_EQ(prior->components[0].std, (std::vector<float>{1, 2}));
  EXPECT_FALSE(formats::latent_prior_from_card(nlohmann::json::object(), 2, "m/model.json").has_value());
  card["latent_prior"]["std"] = {1.0, 0.0};
  EXPECT_THAT(error_of([&] { formats::latent_prior_from_card(card, 2, "m/model.json"); }, "m/model.json"),
              HasSubstr("std values must be positive"));
  card["latent_prior"]["std"] = {1.0};
  EXPECT_THAT(error_of([&] { formats::latent_prior_from_card(card, 2, "m/model.json"); }, "m/model.json"),
              HasSubstr("2 finite numbers each"));
  // A mixture: components with weights summing to 1, each a Gaussian of z_size.
  nlohmann::json mixture = {{"latent_prior", {{"components", {{{"weight", 0.25}, {"mean", {0.0, 1.0}}, {"std", {1.0, 2.0}}},
                                                               {{"weight", 0.75}, {"mean", {-1.0, 0.0}}, {"std", {0.5, 0.5}}}}}}}};
  prior = formats::latent_prior_from_card(mixture, 2, "m/model.json");
  ASSERT_TRUE(prior.has_value());
  ASSERT_EQ(prior->components.size(), 2u);
  EXPECT_EQ(prior->components[1].weight, 0.75);
  EXPECT_EQ(prior->components[1].mean, (std::vector<float>{-1, 0}));
  mixture["latent_prior"]["components"][1]["weight"] = 0.5;
  EXPECT_THAT(error_of([&] { formats::latent_prior_from_card(mixture, 2, "m/model.json"); }, "m/model.json"), HasSubstr("weights must sum to 1 (they sum to 0.75"));
  mixture["latent_prior"]["components"][1]["weight"] = -0.75;
  EXPECT_THAT(error_of([&] { formats::latent_prior_from_card(mixture, 2, "m/model.json"); }, "m/model.json"),
              HasSubstr("component 1 needs a \"weight\": a finite number above 0"));
  mixture["latent_prior"]["components"][1]["weight"] = 0.75;
  mixture["latent_prior"]["components"][0]["std"] = {1.0, 0.0};
  EXPECT_THAT(error_of([&] { formats::latent_prior_from_card(mixture, 2, "m/model.json"); }, "m/model.json"),
              HasSubstr("component 0 std values must be positive"));
  mixture["latent_prior"]["components"][0] = 3;
  EXPECT_THAT(error_of([&] { formats::latent_prior_from_card(mixture, 2, "m/model.json"); }, "m/model.json"),
              HasSubstr("component 0 needs \"mean\" and \"std\""));
  mixture["latent_prior"]["components"][0] = {{"mean", {0.0, 1.0}}, {"std", {1.0, 2.0}}};  // no weight
  EXPECT_THAT(error_of([&] { formats::latent_prior_from_card(mixture, 2, "m/model.json"); }, "m/model.json"),
              HasSubstr("component 0 needs a \"weight\""));
  mixture["latent_prior"]["components"] = nlohmann::json::array();
  EXPECT_THAT(error_of([&] { formats::latent_prior_from_card(mixture, 2, "m/model.json"); }, "m/model.json"), HasSubstr("1 to 1024 Gaussians"));

  // The card's sampling advice: absent, read back as written, or refused naming the card.
  EXPECT_FALSE(formats::sampling_from_card(nlohmann::json::object(), "m/model.json").has_value());
  nlohmann::json sampling_card = {{"sampling", formats::sampling_json({0.4, StepDraw::PerDecision})}};
  const auto advice = formats::sampling_from_card(sampling_card, "m/model.json");
  ASSERT_TRUE(advice.has_value());
  EXPECT_EQ(advice->temperature, 0.4);
  EXPECT_EQ(advice->draw, StepDraw::PerDecision);
  sampling_card["sampling"]["draw"] = "sharp";
  EXPECT_THAT(error_of([&] { formats::sampling_from_card(sampling_card, "m/model.json"); }, "m/model.json \"sampling\""),
              HasSubstr("not a way to draw"));
  sampling_card["sampling"] = {{"temperature", -1}, {"draw", "flat"}};
  EXPECT_THAT(error_of([&] { formats::sampling_from_card(sampling_card, "m/model.json"); }, "m/model.json"),
              HasSubstr("\"temperature\" (0..10)"));
  EXPECT_EQ(parse_step_draw("keep-density"), StepDraw::KeepDensity);
  for (StepDraw d : {StepDraw::Flat, StepDraw::PerDecision, StepDraw::KeepDensity}) EXPECT_EQ(parse_step_draw(to_string(d)), d);

  nlohmann::json g = {{"latent_size", 2}, {"min_pitch", 24}, {"pitches", 61}, {"channels", {8, 8, 8, 8, 8, 8, 8}}};
  EXPECT_EQ(formats::gansynth_config_json(formats::gansynth_config_from_json(g, "m")), g);
  g["pitches"] = 200;
  EXPECT_THAT(error_of([&] { formats::gansynth_config_from_json(g, "m"); }, "m"), HasSubstr("hparams.pitches must be an integer in 1..104"));
  g["pitches"] = 61;
  g["channels"] = {8, 8};
  EXPECT_THAT(error_of([&] { formats::gansynth_config_from_json(g, "m"); }, "m"), HasSubstr("'channels' must be a list of 7 sizes"));

  nlohmann::json t = {{"timbres", {{"flute", {0.5, -0.5}}, {"bad", {1.0}}}}};
  EXPECT_THAT(error_of([&] { formats::timbre_presets_from_card(t, 2, "m/model.json"); }, "m/model.json"),
              HasSubstr("timbre 'bad' must be 2 finite numbers"));
  t["timbres"].erase("bad");
  EXPECT_EQ(formats::timbre_presets_from_card(t, 2, "m/model.json").at("flute"), (std::vector<float>{0.5f, -0.5f}));
}

TEST(ModelCard, ConverterSpecs) {
  EXPECT_EQ(formats::converter_kind(R"({"type": "MusicVAE", "dataConverter": {"type": "MelodyConverter"}})", "c"), "melody");
  EXPECT_EQ(formats::converter_kind(R"({"type": "DrumsConverter"})", "c"), "drums");
  EXPECT_EQ(formats::converter_kind(R"({"args": {}})", "c"), "");
  EXPECT_THAT(error_of([] { formats::converter_kind(R"({"dataConverter": 3})", "c.json"); }, "c.json"),
              HasSubstr("\"dataConverter\" must be an object"));
  EXPECT_THAT(error_of([] { formats::converter_kind(R"({"type": "TrioConverter"})", "c.json"); }, "c.json"),
              HasSubstr("unsupported data converter 'TrioConverter'"));
}

TEST(FileCaps, OneGigabyteMidiFailsFastWithoutAllocating) {
  const std::string path = sparse_file("huge.mid", uint64_t(1) << 30, std::string("MThd\0\0\0\6\0\1\0\1\0\x60", 14));
  const long rss_before = max_rss_kb();
  EXPECT_THAT(error_of([&] { read_midi(path); }, path), HasSubstr("file is 1073741824 bytes, larger than the 67108864"));
  EXPECT_LT(max_rss_kb() - rss_before, 64 * 1024) << "the reader allocated what the file size claims";
}

TEST(FileCaps, ReadFileBytesNamesFolderAndMissingFile) {
  const std::string dir = test::temp_dir();
  EXPECT_THAT(error_of([&] { read_file_bytes(dir, 10); }, dir), HasSubstr("is a folder"));
  EXPECT_THAT(error_of([&] { read_text_file(dir + "/none.json"); }, dir + "/none.json"), HasSubstr("cannot open: No such file"));
  const std::string small = sparse_file("eleven.bin", 11, "x");
  EXPECT_THAT(error_of([&] { read_file_bytes(small, 10); }, small), HasSubstr("file is 11 bytes, larger than the 10"));
  EXPECT_EQ(read_file_bytes(small, 11).size(), 11u);
}
