// The MIDI reader against hand-built fixtures whose expected notes were computed independently
// by tests/golden/make_midi_fixtures.py.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "test_util.h"
#include "timbrel/error.h"
#include "timbrel/music.h"

using namespace timbrel;
using nlohmann::json;

namespace {

const std::string kDir = std::string(TIMBREL_TEST_DATA_DIR) + "/midi/";
constexpr double kTimeTolerance = 1e-9;  // seconds; both sides compute in double precision

json expected() { return json::parse(test::read_text(kDir + "expected.json")); }

class MidiFixture : public ::testing::TestWithParam<std::string> {};

TEST_P(MidiFixture, MatchesIndependentExpectation) {
  const std::string name = GetParam();
  json want = expected()[name];
  MidiFileInfo info;
  NoteSequence seq = read_midi(kDir + name, &info);
  EXPECT_EQ(info.format, want["format"].get<int>());
  EXPECT_EQ(info.tracks, want["tracks"].get<int>());
  ASSERT_EQ(seq.notes.size(), want["notes"].size());
  for (size_t i = 0; i < seq.notes.size(); ++i) {
    const Note& n = seq.notes[i];
    const json& w = want["notes"][i];
    SCOPED_TRACE(name + " note " + std::to_string(i));
    EXPECT_NEAR(n.start_time, w["start"].get<double>(), kTimeTolerance);
    EXPECT_NEAR(n.end_time, w["end"].get<double>(), kTimeTolerance);
    EXPECT_EQ(n.pitch, w["pitch"].get<int>());
    EXPECT_EQ(n.velocity, w["velocity"].get<int>());
    EXPECT_EQ(n.channel, w["channel"].get<int>());
    EXPECT_EQ(n.instrument, w["instrument"].get<int>());
    EXPECT_EQ(n.program, w["program"].get<int>());
    EXPECT_EQ(n.is_drum, w["is_drum"].get<bool>());
  }
  if (want.contains("tempos")) {
    ASSERT_EQ(seq.tempos.size(), want["tempos"].size());
    for (size_t i = 0; i < seq.tempos.size(); ++i) {
      EXPECT_NEAR(seq.tempos[i].time, want["tempos"][i][0].get<double>(), kTimeTolerance);
      EXPECT_NEAR(seq.tempos[i].qpm, want["tempos"][i][1].get<double>(), 1e-9);
    }
  }
  if (want.contains("time_signatures")) {
    ASSERT_EQ(seq.time_signatures.size(), want["time_signatures"].size());
    for (size_t i = 0; i < seq.time_signatures.size(); ++i) {
      EXPECT_EQ(seq.time_signatures[i].numerator, want["time_signatures"][i][1].get<int>());
      EXPECT_EQ(seq.time_signatures[i].denominator, want["time_signatures"][i][2].get<int>());
    }
  }
  if (want.contains("key_signatures")) {
    ASSERT_EQ(seq.key_signatures.size(), want["key_signatures"].size());
    EXPECT_EQ(seq.key_signatures[0].key, want["key_signatures"][0][1].get<int>());
    EXPECT_EQ(seq.key_signatures[0].minor, want["key_signatures"][0][2].get<bool>());
  }
  std::vector<std::string> names;
  for (const TrackInfo& t : seq.tracks)
    if (!t.name.empty()) names.push_back(t.name);
  EXPECT_EQ(names, want["track_names"].get<std::vector<std::string>>());
}

INSTANTIATE_TEST_SUITE_P(Fixtures, MidiFixture,
                         ::testing::Values("running_status.mid", "tempo_changes.mid", "repeated_notes.mid",
                                           "smpte.mid"),
                         [](const auto& p) { return p.param.substr(0, p.param.find('.')); });

TEST(MidiErrors, EachBrokenFileNamesFileOffsetAndProblem) {
  json errors = expected()["errors"];
  ASSERT_GE(errors.size(), 8u);
  for (auto& [name, message] : errors.items()) {
    SCOPED_TRACE(name);
    try {
      read_midi(kDir + name);
      ADD_FAILURE() << "no error for " << name;
    } catch (const Error& e) {
      EXPECT_EQ(e.subject(), kDir + name);
      EXPECT_THAT(e.problem(), ::testing::HasSubstr(message.get<std::string>()));
      EXPECT_THAT(e.problem(), ::testing::HasSubstr("(at byte "));
    }
  }
}

TEST(MidiErrors, MissingFile) {
  try {
    read_midi("/nonexistent/x.mid");
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(std::string(e.what()), "/nonexistent/x.mid: cannot open: No such file or directory");
  }
}

TEST(MidiErrors, AbsurdDeclaredSizesDoNotAllocate) {
  // A header declaring 65535 tracks and a track chunk declaring 4 GB: must fail fast on the
  // real byte count, not try to reserve what the header claims.
  std::vector<uint8_t> bytes = {'M', 'T', 'h', 'd', 0, 0, 0, 6, 0, 1, 0xff, 0xff, 0, 96,
                                'M', 'T', 'r', 'k', 0xff, 0xff, 0xff, 0xff, 0x00, 0x90};
  EXPECT_THROW(parse_midi(bytes.data(), bytes.size(), "mem"), Error);
}

TEST(MidiErrors, TruncatedInsideAnEventGivesItsOffset) {
  std::vector<uint8_t> bytes = {'M', 'T', 'h', 'd', 0, 0, 0, 6, 0, 0, 0, 1, 0, 96,
                                'M', 'T', 'r', 'k', 0, 0, 0, 3, 0x00, 0x90, 0x3c};
  try {
    parse_midi(bytes.data(), bytes.size(), "mem.mid");
    FAIL();
  } catch (const Error& e) {
    EXPECT_THAT(e.problem(), ::testing::HasSubstr("truncated channel message"));
    EXPECT_THAT(e.problem(), ::testing::HasSubstr("at byte 24"));
  }
}

}  // namespace
