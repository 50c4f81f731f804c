// Banks of DDSP models (render/ddsp_bank.h): the shipped bank plays every General MIDI program
// as its own instrument by the model its bank file names; a folder of models picks the one that
// learned a program from the fewest presets; a bad bank file is refused by name.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>

#include <nlohmann/json.hpp>

#include "render/ddsp_bank.h"
#include "test_util.h"
#include "timbrel/engine.h"
#include "timbrel/error.h"

using namespace timbrel;
namespace fs = std::filesystem;

namespace {

const std::string kModels = std::string(TIMBREL_SOURCE_DIR) + "/models/";

std::string model_of(const DdspVoice& v) { return v.name.substr(0, v.name.find('/')); }

TEST(DdspBank, TheShippedBankPlaysEveryProgramByTheModelItsFileNames) {
  const DdspBank bank(kModels + "ddsp-bank");
  std::ifstream in(kModels + "ddsp-bank/bank.json");
  const nlohmann::json j = nlohmann::json::parse(in);
  std::map<int, std::string> routed;
  for (const auto& [model, programs] : j["programs"].items())
    for (int p : programs) routed[p] = model;
  ASSERT_FALSE(routed.empty());
  for (int p = 0; p < 128; ++p) {
    std::map<int, std::string> substituted;
    const DdspVoice v = bank.voice(p, &substituted);
    EXPECT_TRUE(substituted.empty()) << "program " << p << " is played by " << substituted[p];
    EXPECT_EQ(model_of(v), routed.count(p) ? routed[p] : j["default"].get<std::string>()) << "program " << p;
  }
  // A preset plays from the model its program is routed to; the union lists each name once.
  const std::vector<std::string> presets = bank.presets();
  EXPECT_EQ(std::set<std::string>(presets.begin(), presets.end()).size(), presets.size());
  int program = -1;
  const DdspVoice oboe = bank.preset_voice("Oboe", &program);
  EXPECT_EQ(program, 68);
  EXPECT_EQ(model_of(oboe), model_of(bank.voice(68)));
  EXPECT_EQ(oboe.instrument, bank.voice(68).instrument);
  EXPECT_THROW(bank.preset_voice("Kazoo Deluxe"), Error);
}

TEST(DdspBank, AFolderOfModelsPlaysEachProgramByItsSpecialist) {
  const std::string dir = test::temp_dir();
  fs::create_directory_symlink(kModels + "ddsp-gm", dir + "/a");      // 22 presets, 16 programs
  fs::create_directory_symlink(kModels + "ddsp-gm-all", dir + "/b");  // 158 presets, all 128
  const DdspBank bank(dir);
  EXPECT_FALSE(bank.single());
  for (int p : {0, 24, 40, 68, 73}) EXPECT_EQ(model_of(bank.voice(p)), "a") << p;  // learned by both: the specialist
  for (int p : {12, 41, 58, 70}) EXPECT_EQ(model_of(bank.voice(p)), "b") << p;     // learned by b only
}

void expect_refused(const std::string& bank_json, const std::string& why) {
  const std::string dir = test::temp_dir();
  std::ofstream(dir + "/bank.json") << bank_json;
  try {
    DdspBank bank(dir);
    ADD_FAILURE() << "accepted " << bank_json;
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("bank.json"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find(why), std::string::npos) << e.what();
  }
}

TEST(DdspBank, BadBankFilesAreRefusedByName) {
  const std::string gm = "\"" + kModels + "ddsp-gm\"";
  expect_refused("[1, 2]", "JSON object");
  expect_refused("{\"models\": {}}", "\"models\"");
  expect_refused("{\"models\": {\"x\": \"no-such-folder\"}}", "no model.json");
  expect_refused("{\"models\": {\"x\": " + gm + "}, \"default\": \"y\"}", "\"default\"");
  expect_refused("{\"models\": {\"x\": " + gm + "}, \"programs\": {\"y\": [1]}}", "names no model");
  expect_refused("{\"models\": {\"x\": " + gm + "}, \"programs\": {\"x\": [128]}}", "0..127");
  expect_refused("{\"models\": {\"x\": " + gm + "}, \"programs\": {\"x\": [\"a\"]}}", "0..127");
  expect_refused("{\"models\": {\"x\": 3}}", "folder path");
  expect_refused("{\"models\": {\"x\": " + gm + ", \"y\": " + gm + "}, \"programs\": {\"x\": [5], \"y\": [5]}}", "both");
}

// The Engine's door: the default bank renders per program, and the one-model accessors say what
// they need.
TEST(DdspBank, TheEngineDefaultsToTheBank) {
  ::setenv("TIMBREL_MODELS", kModels.c_str(), 1);  // where the bundled models are found
  Engine engine;
  EXPECT_THROW(engine.ddsp_model(), Error);  // loads the bank (2 models), then refuses
  ::unsetenv("TIMBREL_MODELS");
  EXPECT_EQ(engine.ddsp_model(12).info().presets.size(), 158u);  // ddsp-gm-all
  EXPECT_EQ(engine.ddsp_model(68).info().presets.size(), 22u);   // ddsp-gm
  EXPECT_THROW(engine.ddsp_model(128), Error);
  const std::vector<float> f0(250, 220.0f), loudness(250, -30.0f);
  DdspCurveOptions o;
  o.timbre = "program:12";
  EXPECT_EQ(engine.ddsp_from_curves(f0, loudness, o).samples.size(), 250u * 64);
  o.timbre = "preset:Oboe";
  EXPECT_EQ(engine.ddsp_from_curves(f0, loudness, o).samples.size(), 250u * 64);
  o.timbre = "";  // the bank's first preset
  EXPECT_EQ(engine.ddsp_from_curves(f0, loudness, o).samples.size(), 250u * 64);
  o.timbre = "seed:1";
  EXPECT_THROW(engine.ddsp_from_curves(f0, loudness, o), Error);
}

}  // namespace
