// Replays the fuzz corpora (seeds and any past findings) through the fuzz entry points on every
// build, so a regression shows without libFuzzer.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <iterator>

int fuzz_midi(const uint8_t* data, size_t size);
int fuzz_npy(const uint8_t* data, size_t size);
int fuzz_sound_file(const uint8_t* data, size_t size);
int fuzz_safetensors(const uint8_t* data, size_t size);
int fuzz_model_card(const uint8_t* data, size_t size);
int fuzz_tfjs(const uint8_t* data, size_t size);
int fuzz_dljs(const uint8_t* data, size_t size);

namespace {

size_t replay(const std::string& target, int (*fn)(const uint8_t*, size_t)) {
  size_t n = 0;
  for (auto& e : std::filesystem::directory_iterator(std::string(TIMBREL_FUZZ_CORPUS_DIR) + "/" + target)) {
    std::ifstream in(e.path(), std::ios::binary);
    std::vector<uint8_t> bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    SCOPED_TRACE(e.path().string());
    EXPECT_EQ(fn(bytes.data(), bytes.size()), 0);
    ++n;
  }
  return n;
}

}  // namespace

TEST(FuzzCorpus, MidiCorpusReplays) { EXPECT_GE(replay("midi", fuzz_midi), 10u); }
TEST(FuzzCorpus, NpyCorpusReplays) { EXPECT_GE(replay("npy", fuzz_npy), 5u); }
TEST(FuzzCorpus, SoundFileCorpusReplays) { EXPECT_GE(replay("sound_file", fuzz_sound_file), 5u); }
TEST(FuzzCorpus, SafetensorsCorpusReplays) { EXPECT_GE(replay("safetensors", fuzz_safetensors), 5u); }
TEST(FuzzCorpus, ModelCardCorpusReplays) { EXPECT_GE(replay("model_card", fuzz_model_card), 5u); }
TEST(FuzzCorpus, TfjsCorpusReplays) { EXPECT_GE(replay("tfjs", fuzz_tfjs), 4u); }
TEST(FuzzCorpus, DljsCorpusReplays) { EXPECT_GE(replay("dljs", fuzz_dljs), 3u); }
