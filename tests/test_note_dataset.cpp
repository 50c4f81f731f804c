// Note sets (timbrel dataset notes): SoundFont rendering through libfluidsynth, the split, the
// float16 arrays against the spectral core, pitch names and the YIN estimate, float16 rounding.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <nlohmann/json.hpp>

#include "test_util.h"
#include "timbrel/error.h"
#include "timbrel/sound_file.h"
#include "timbrel/spectral.h"
#include "train/note_dataset.h"
#include "util/half.h"
#include "util/npy.h"

using namespace timbrel;
using ::testing::AllOf;
using ::testing::HasSubstr;

namespace {

const std::string kSoundFont = "/usr/share/sounds/sf2/TimGM6mb.sf2";  // Debian timgm6mb-soundfont

std::vector<float> sine(double hz, size_t n) {
  std::vector<float> v(n);
  for (size_t i = 0; i < n; ++i) v[i] = float(0.5 * std::sin(2 * M_PI * hz * double(i) / kNoteSampleRate));
  return v;
}

// The first `presets` presets of TimGM6mb at MIDI low..high, split as given.
NoteSetOptions timgm_options(const std::string& dir, int presets, int low, int high, int validation_every, double test_fraction) {
  NoteSetOptions o;
  o.soundfonts = {kSoundFont};
  o.out_dir = dir;
  o.max_presets = presets;
  o.min_pitch = low;
  o.max_pitch = high;
  o.validation_every = validation_every;
  o.test_fraction = test_fraction;
  o.threads = 2;
  return o;
}

}  // namespace

TEST(Half, MatchesIeeeBinary16) {
  // Values with exact binary16 encodings, and round-to-nearest-even cases.
  EXPECT_EQ(float_to_half(1.0f), 0x3c00);
  EXPECT_EQ(float_to_half(-2.0f), 0xc000);
  EXPECT_EQ(float_to_half(65504.0f), 0x7bff);
  EXPECT_EQ(float_to_half(1e6f), 0x7c00);
  EXPECT_EQ(float_to_half(5.960464477539063e-08f), 0x0001);  // smallest subnormal
  EXPECT_EQ(float_to_half(1.0f + 1.0f / 2048), 0x3c00);       // halfway: to even
  EXPECT_EQ(float_to_half(1.0f + 3.0f / 2048), 0x3c02);       // halfway: to even (up)
  for (float v : {0.0f, 0.333f, -0.9999f, 1e-5f, 123.456f}) EXPECT_NEAR(half_to_float(float_to_half(v)), v, std::fabs(v) * 1e-3 + 1e-7);
  EXPECT_TRUE(std::isnan(half_to_float(float_to_half(NAN))));
}

TEST(NoteDataset, PitchFromFileNames) {
  EXPECT_EQ(train::pitch_from_name("guitar_acoustic_001-060-100"), 60);
  EXPECT_EQ(train::pitch_from_name("flute_c5"), 72);
  EXPECT_EQ(train::pitch_from_name("violin_E4"), 64);
  EXPECT_EQ(train::pitch_from_name("horn Eb3"), 51);
  EXPECT_EQ(train::pitch_from_name("sax_F#2"), 42);
  EXPECT_EQ(train::pitch_from_name("bell_67"), 67);
  EXPECT_EQ(train::pitch_from_name("ambience"), -1);
}

TEST(NoteDataset, YinFindsTheMidiPitchOfSines) {
  for (int midi : {36, 48, 57, 69, 84}) {
    auto v = sine(440.0 * std::pow(2.0, (midi - 69) / 12.0), kNoteSamples);
    EXPECT_EQ(train::estimate_pitch(v.data(), v.size()), midi);
  }
  std::vector<float> silence(kNoteSamples, 0.0f);
  EXPECT_EQ(train::estimate_pitch(silence.data(), silence.size()), -1);
}

TEST(NoteDataset, RendersSoundFontPresetsIntoASplitNoteSet) {
  if (!test::file_exists(kSoundFont)) GTEST_SKIP() << "no " << kSoundFont << " (apt install timgm6mb-soundfont)";
  const std::string dir = test::temp_dir() + "/notes";
  auto s = train::build_note_set(timgm_options(dir, 3, 57, 66, 4, 0.34));
  EXPECT_EQ(s.notes + s.silent, 3u * 10u);
  EXPECT_EQ(s.train + s.validation + s.test, s.notes);
  EXPECT_GT(s.validation, 0u);

  train::NoteSet set = train::NoteSet::open(dir);
  ASSERT_EQ(set.size(), s.notes);
  for (size_t i = 0; i < set.size(); ++i) {
    const auto& r = set.note(i);
    EXPECT_EQ(r.bank, 0);
    EXPECT_EQ(r.family, "Piano");  // TimGM6mb's first three presets are pianos
  }
  // Validation holds out (preset, pitch) pairs, never a whole pitch: every pitch of the range
  // that has notes outside the test presets keeps training notes.
  std::map<int, std::set<std::string>> pitch_splits;
  for (const auto& r : set.notes())
    if (r.split != "test") pitch_splits[r.pitch].insert(r.split);
  for (const auto& [pitch, kinds] : pitch_splits) EXPECT_TRUE(kinds.count("train")) << "pitch " << pitch << " has no training notes";
  // Test presets are held out whole: a preset is either all "test" or never.
  std::map<std::string, std::set<std::string>> splits;
  for (const auto& r : set.notes()) splits[r.preset].insert(r.split == "test" ? "test" : "other");
  for (const auto& [preset, kinds] : splits) EXPECT_EQ(kinds.size(), 1u) << preset;

  // Every stored spectrogram is the spectral core's analysis of the stored audio (float16 apart),
  // the audio peaks at 0.9 and sounds at the note's pitch.
  for (size_t i : {size_t(0), set.size() - 1}) {
    std::vector<float> audio(kNoteSamples);
    for (int k = 0; k < kNoteSamples; ++k) audio[size_t(k)] = half_to_float(set.audio(i)[k]);
    float peak = 0;
    for (float v : audio) peak = std::max(peak, std::fabs(v));
    EXPECT_NEAR(peak, 0.9f, 1e-3f);
    EXPECT_NEAR(train::estimate_pitch(audio.data(), audio.size()), set.note(i).pitch, 1) << set.note(i).preset;
    auto expected = audio_to_spectrogram(audio, SpectralScale::Mel);
    // The audio is stored as float16 too, so the re-analysis differs where the note is quiet
    // (IF there is the phase of rounding noise); compare magnitudes everywhere and IF where loud.
    // Mel IF differentiates unwrapped phase, so a rounding that flips one unwrap decision moves
    // a whole bin at one frame: check that such bins are rare and the mean error small.
    double worst_magnitude = 0, sum_if = 0;
    size_t loud = 0, off = 0;
    for (size_t k = 0; k < kSpectrogramValues; k += 2) {
      if (expected[k] < -0.2f) continue;  // normalised log-mel: -1 is silence, 1 the loudest
      worst_magnitude = std::max(worst_magnitude, double(std::fabs(half_to_float(set.spectrogram(i)[k]) - expected[k])));
      const double d = std::fabs(half_to_float(set.spectrogram(i)[k + 1]) - expected[k + 1]);
      const double e = std::min(d, 2 - d);  // IF is a phase step / pi: +1 and -1 coincide
      sum_if += e;
      off += e > 0.02;
      ++loud;
    }
    std::printf("re-analysis of note %zu: max |diff| log-mel %.5f; IF (loud bins) mean |diff| %.5f, %.4f%% over 0.02\n", i,
                worst_magnitude, sum_if / double(loud), 100.0 * double(off) / double(loud));
    EXPECT_LT(worst_magnitude, 0.02);
    EXPECT_LT(sum_if / double(loud), 2e-3);
    EXPECT_LT(double(off) / double(loud), 0.01);
  }
  // NumPy-readable: the arrays are plain .npy files.
  NpyArray small = read_npy(dir + "/audio.npy");
  EXPECT_EQ(small.shape, (std::vector<int64_t>{int64_t(set.size()), kNoteSamples}));
}

TEST(NoteDataset, PresetsTrainedWholeKeepEveryNoteInTraining) {
  if (!test::file_exists(kSoundFont)) GTEST_SKIP() << "no " << kSoundFont << " (apt install timgm6mb-soundfont)";
  auto build = [](const std::string& dir, std::vector<std::string> whole) {
    auto o = timgm_options(dir, 3, 60, 67, 2, 0);
    o.train_whole = std::move(whole);
    train::build_note_set(o);
    std::map<std::pair<std::string, int>, std::string> splits;
    const train::NoteSet set = train::NoteSet::open(dir);  // kept: notes() refers into it
    for (const auto& r : set.notes()) splits[{r.preset, r.pitch}] = r.split;
    return splits;
  };
  const auto plain = build(test::temp_dir() + "/plain", {});
  std::string held;  // a preset with validation notes in the plain split
  for (const auto& [key, split] : plain)
    if (split == "validation") held = key.first;
  ASSERT_FALSE(held.empty());
  const auto whole = build(test::temp_dir() + "/whole", {held});
  size_t others_validation = 0;
  for (const auto& [key, split] : whole) {
    if (key.first == held) {
      EXPECT_EQ(split, "train") << held << " pitch " << key.second;
    } else if (plain.at(key) == "validation") {
      EXPECT_EQ(split, "validation") << key.first << " pitch " << key.second;
      ++others_validation;
    }
  }
  EXPECT_GT(others_validation, 0u);
  try {
    build(test::temp_dir() + "/bad", {"No Such Preset"});
    FAIL();
  } catch (const Error& e) {
    EXPECT_THAT(e.what(), AllOf(HasSubstr("train_whole"), HasSubstr("No Such Preset")));
  }
}

std::string file_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

TEST(NoteDataset, ShardsMergeIntoExactlyTheSingleRunsNoteSet) {
  if (!test::file_exists(kSoundFont)) GTEST_SKIP() << "no " << kSoundFont << " (apt install timgm6mb-soundfont)";
  auto options = [](const std::string& dir, Shard shard) {
    auto o = timgm_options(dir, 6, 60, 63, 3, 0.3);
    o.shard = shard;
    return o;
  };
  const std::string root = test::temp_dir();
  const auto whole = train::build_note_set(options(root + "/whole", {}));
  std::vector<std::string> parts;
  size_t notes = 0;
  for (int i : {2, 0, 1}) {  // any order
    parts.push_back(root + "/part" + std::to_string(i));
    notes += train::build_note_set(options(parts.back(), {i, 3})).notes;
  }
  EXPECT_EQ(notes, whole.notes);
  const auto merged = train::merge_note_sets(parts, root + "/merged");
  EXPECT_EQ(merged.notes, whole.notes);
  EXPECT_EQ(merged.validation, whole.validation);
  EXPECT_EQ(merged.test, whole.test);
  for (const char* file : {"index.json", "audio.npy", "spectrograms.npy"})
    EXPECT_TRUE(file_bytes(root + "/whole/" + file) == file_bytes(root + "/merged/" + file)) << file << " differs";

  auto merge_error = [&](std::vector<std::string> dirs) {
    try {
      train::merge_note_sets(dirs, root + "/bad");
    } catch (const Error& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  EXPECT_THAT(merge_error({parts[0], parts[1]}), HasSubstr("shard 1 of 3 is missing"));  // parts[0] is shard 2, parts[1] shard 0
  EXPECT_THAT(merge_error({parts[0], parts[0], parts[1]}), HasSubstr("again"));
  EXPECT_THAT(merge_error({root + "/whole"}), HasSubstr("is not a shard"));
  auto other = options(root + "/other", {0, 3});
  other.max_pitch = 64;
  train::build_note_set(other);
  EXPECT_THAT(merge_error({root + "/other", parts[0], parts[2]}), HasSubstr("other options"));
  EXPECT_FALSE(std::filesystem::exists(root + "/bad/index.json"));
}

TEST(NoteDataset, RecordingsFolderTakesPitchFromNamesOrDetection) {
  const std::string in = test::temp_dir() + "/wavs";
  std::filesystem::create_directories(in + "/organ");
  auto write = [](const std::string& path, double hz) {
    Audio a;
    a.sample_rate = 22050;  // resampled to 16 kHz on the way in
    for (int i = 0; i < 22050 * 2; ++i) a.samples.push_back(float(0.3 * std::sin(2 * M_PI * hz * i / 22050.0)));
    write_sound_file(path, a);
  };
  write(in + "/organ/organ_a4.wav", 440.0);
  write(in + "/hum.wav", 220.0);  // no pitch in the name: YIN finds A3
  NoteSetOptions o;
  o.from_wavs = in;
  o.out_dir = test::temp_dir() + "/from-wavs";
  auto s = train::build_note_set(o);
  ASSERT_EQ(s.notes, 2u);
  train::NoteSet set = train::NoteSet::open(o.out_dir);
  std::map<std::string, int> pitch;
  for (const auto& r : set.notes()) pitch[r.preset] = r.pitch;
  EXPECT_EQ(pitch["organ"], 69);
  EXPECT_EQ(pitch["hum"], 57);

  // Sharded by instrument, the two halves merge into the same set.
  std::vector<std::string> parts;
  for (int i : {0, 1}) {
    auto p = o;
    p.out_dir = test::temp_dir() + "/wavs-part" + std::to_string(i);
    p.shard = {i, 2};
    train::build_note_set(p);
    parts.push_back(p.out_dir);
  }
  const std::string merged = test::temp_dir() + "/wavs-merged";
  train::merge_note_sets(parts, merged);
  for (const char* file : {"index.json", "audio.npy", "spectrograms.npy"})
    EXPECT_TRUE(file_bytes(o.out_dir + "/" + file) == file_bytes(merged + "/" + file)) << file << " differs";
}

TEST(NoteDataset, ErrorsNameTheProblem) {
  NoteSetOptions o;
  o.out_dir = test::temp_dir() + "/bad";
  o.soundfonts = {"/nonexistent.sf2"};
  try {
    train::build_note_set(o);
    FAIL();
  } catch (const Error& e) {
    EXPECT_THAT(e.what(), HasSubstr("/nonexistent.sf2"));
  }
  const std::string junk = test::temp_dir() + "/junk.sf2";
  std::ofstream(junk) << "not a soundfont";
  o.soundfonts = {junk};
  try {
    train::build_note_set(o);
    FAIL();
  } catch (const Error& e) {
    EXPECT_THAT(e.what(), HasSubstr("cannot load it as a SoundFont"));
  }
  try {
    train::NoteSet::open(test::temp_dir());
    FAIL();
  } catch (const Error& e) {
    EXPECT_THAT(e.what(), HasSubstr("not a note set"));
  }
}
