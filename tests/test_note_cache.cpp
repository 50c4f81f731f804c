// The render note cache: its hash, its files (round trip, torn and foreign files, eviction), the
// renderer reading notes back bit for bit, what invalidates a note, concurrent renders, the CLI.
#include <gtest/gtest.h>
#include <fcntl.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <thread>
#include <utility>
#include <vector>

#include "render/note_cache.h"
#include "render/note_renderer.h"
#include "test_util.h"
#include "timbrel/error.h"
#include "timbrel/music.h"
#include "timbrel/render.h"
#include "timbrel/sound_file.h"
#include "util/hash64.h"

using namespace timbrel;
namespace fs = std::filesystem;

namespace {

GansynthConfig small_config() {
  GansynthConfig c;
  c.latent_size = 8;
  c.channels = {16, 16, 16, 16, 8, 8, 8};
  return c;
}

const Gansynth& model() {
  static Gansynth g = Gansynth::random(small_config(), 21, 0.5);
  return g;
}

NoteSequence tune() {
  NoteSequence s;
  const int pitches[] = {60, 64, 67, 64, 60, 72};
  for (int i = 0; i < 6; ++i) {
    Note n;
    n.pitch = pitches[i];
    n.start_time = 0.25 * i;
    n.end_time = n.start_time + 0.4;
    n.velocity = 60 + 10 * i;
    s.notes.push_back(n);
  }
  s.total_time = 1.65;
  return s;
}

NoteRenderOptions cached_in(const std::string& folder) {
  NoteRenderOptions o;
  o.schedule.timbres = {"seed:3"};
  o.note_cache = folder;
  o.batch = 4;
  return o;
}

size_t files_in(const std::string& folder) {
  size_t n = 0;
  for (const auto& e : fs::directory_iterator(folder)) n += e.path().extension() == ".note";
  return n;
}

std::vector<float> ramp(float scale) {
  std::vector<float> v(kNoteSamples);
  for (size_t i = 0; i < v.size(); ++i) v[i] = scale * float(i % 977) / 977.0f;
  return v;
}

NoteCacheKey key_for(int pitch) { return note_cache_key(model(), pitch, model().timbre("seed:1"), generated_note_inverse(), "cpu"); }

}  // namespace

TEST(Hash64, PiecesHashAsTheWholeAndEveryBitMatters) {
  std::vector<unsigned char> data(200);
  for (size_t i = 0; i < data.size(); ++i) data[i] = static_cast<unsigned char>(i * 37 + 11);
  for (size_t n : {0, 1, 7, 8, 31, 32, 33, 64, 100, 200}) {
    const uint64_t whole = hash64(data.data(), n);
    for (size_t cut = 0; cut <= n; cut += 3) {
      Hash64 h;
      h.add(data.data(), cut);
      h.add(data.data() + cut, n - cut);
      ASSERT_EQ(h.digest(), whole) << n << " bytes cut at " << cut;
    }
  }
  const uint64_t base = hash64(data.data(), 64);
  for (size_t bit = 0; bit < 64 * 8; ++bit) {
    data[bit / 8] ^= static_cast<unsigned char>(1u << (bit % 8));
    EXPECT_NE(hash64(data.data(), 64), base) << "bit " << bit;
    data[bit / 8] ^= static_cast<unsigned char>(1u << (bit % 8));
  }
  EXPECT_NE(hash64(data.data(), 64, 1), base);  // the seed matters
}

// Known answers: XXH64's published digest of no bytes, and digests of fixed bytes recorded from the
// implementation before whole stripes skipped the copy (2942cf7): stored cache keys stay valid.
TEST(Hash64, KnownDigests) {
  EXPECT_EQ(hash64(nullptr, 0), 0xef46db3751d8e999ull);
  std::vector<unsigned char> data(1000);
  for (size_t i = 0; i < data.size(); ++i) data[i] = static_cast<unsigned char>(i * 37 + 11);
  const std::vector<std::pair<size_t, uint64_t>> known = {{5, 0x3127f53fb5deda3full},   {31, 0x006a4fae4d5d10f5ull},
                                                          {32, 0xcc6b8aaada790b2dull},  {33, 0x35ec49850475a832ull},
                                                          {64, 0x155ccce4bf32befcull},  {100, 0x007708086b2f6fc1ull},
                                                          {1000, 0x128da10cfbdc59d9ull}};
  for (const auto& [n, digest] : known) EXPECT_EQ(hash64(data.data(), n), digest) << n << " bytes";
  EXPECT_EQ(hash64(data.data(), 1000, 42), 0x68886e51aaec214full);
}

TEST(NoteCache, FingerprintFollowsTheWeightsNotTheFolder) {
  const Gansynth same = Gansynth::random(small_config(), 21, 0.5);
  const Gansynth other = Gansynth::random(small_config(), 22, 0.5);
  EXPECT_EQ(same.info().fingerprint, model().info().fingerprint);
  EXPECT_NE(other.info().fingerprint, model().info().fingerprint);
  EXPECT_EQ(model().info().fingerprint.size(), 16u);
  const std::string dir = test::temp_dir() + "/model";
  model().save(dir);
  EXPECT_EQ(Gansynth::load(dir).info().fingerprint, model().info().fingerprint);
}

TEST(NoteCache, KeepsANoteBitForBitAndRefusesDamagedOrForeignFiles) {
  const std::string dir = test::temp_dir();
  const NoteCache cache(dir, 1 << 30);
  std::vector<float> note;
  EXPECT_FALSE(cache.load(key_for(60), note));
  ASSERT_TRUE(cache.store(key_for(60), ramp(0.5f)));
  ASSERT_TRUE(cache.load(key_for(60), note));
  EXPECT_EQ(note, ramp(0.5f));
  EXPECT_FALSE(cache.load(key_for(61), note));  // another pitch, another key
  const std::string path = dir + "/" + fs::directory_iterator(dir)->path().filename().string();
  {  // one sample changed on disk: the checksum fails, the file goes
    std::fstream f(path, std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(-100, std::ios::end);
    f.put('\x7f');
  }
  EXPECT_FALSE(cache.load(key_for(60), note));
  EXPECT_FALSE(fs::exists(path));
  // Another key's file under this key's name (a hash collision): a miss, never the wrong note.
  ASSERT_TRUE(cache.store(key_for(62), ramp(0.25f)));
  const std::string other = dir + "/" + fs::directory_iterator(dir)->path().filename().string();
  NoteCacheKey collided = key_for(60);
  collided.hash = key_for(62).hash;
  EXPECT_FALSE(cache.load(collided, note));
  EXPECT_FALSE(fs::exists(other));
  ASSERT_TRUE(cache.store(key_for(62), ramp(0.25f)));
  ASSERT_TRUE(cache.load(key_for(62), note));
  std::ofstream(other, std::ios::binary | std::ios::trunc) << "TBRLNOTE";  // torn after its magic
  EXPECT_FALSE(cache.load(key_for(62), note));
  EXPECT_EQ(files_in(dir), 0u);
}

TEST(NoteCache, EvictsTheLeastRecentlyUsedBeyondItsSize) {
  const std::string dir = test::temp_dir();
  std::vector<float> note;
  uint64_t file_bytes = 0;
  {
    const NoteCache big(dir, 1 << 30);
    for (int p = 60; p < 65; ++p) ASSERT_TRUE(big.store(key_for(p), ramp(float(p))));
    file_bytes = fs::file_size(fs::directory_iterator(dir)->path());
  }
  // Ages 60 (oldest) .. 64, then 60 used again: it becomes the newest.
  int p = 60;
  for (const NoteCacheKey& k : {key_for(60), key_for(61), key_for(62), key_for(63), key_for(64)}) {
    const std::string path = dir + "/" + [&] {
      char name[17];
      std::snprintf(name, sizeof name, "%016llx", static_cast<unsigned long long>(k.hash));
      return std::string(name);
    }() + ".note";
    const struct timespec times[2] = {{1000000 + p, 0}, {1000000 + p, 0}};
    ASSERT_EQ(::utimensat(AT_FDCWD, path.c_str(), times, 0), 0) << path;
    ++p;
  }
  const NoteCache small(dir, 3 * file_bytes);
  ASSERT_TRUE(small.load(key_for(60), note));
  small.trim();
  EXPECT_EQ(files_in(dir), 3u);
  EXPECT_TRUE(small.load(key_for(60), note));
  EXPECT_FALSE(small.load(key_for(61), note));
  EXPECT_FALSE(small.load(key_for(62), note));
  EXPECT_TRUE(small.load(key_for(63), note));
  EXPECT_TRUE(small.load(key_for(64), note));
}

TEST(NoteCache, ASecondRenderReadsEveryNoteBackAndSoundsTheSame) {
  const std::string dir = test::temp_dir();
  NoteRenderReport first, second, fresh;
  const Audio a = render_sequence(tune(), model(), nullptr, cached_in(dir), &first);
  const Audio b = render_sequence(tune(), model(), nullptr, cached_in(dir), &second);
  NoteRenderOptions none = cached_in("");
  const Audio c = render_sequence(tune(), model(), nullptr, none, &fresh);
  EXPECT_EQ(first.generated, 4u);  // 60 and 64 are played twice: four notes
  EXPECT_EQ(first.cached, 0u);
  EXPECT_EQ(second.generated, 0u);
  EXPECT_EQ(second.cached, 4u);
  EXPECT_EQ(files_in(dir), 4u);
  EXPECT_EQ(b.samples, a.samples);  // bit for bit
  EXPECT_EQ(c.samples, a.samples);  // and as without the cache
  EXPECT_EQ(fresh.cached, 0u);
}

TEST(NoteCache, VelocityAndRateReuseNotesAndTheSoundChangesMakeNewOnes) {
  const std::string dir = test::temp_dir();
  render_sequence(tune(), model(), nullptr, cached_in(dir));
  NoteSequence louder = tune();
  for (Note& n : louder.notes) n.velocity = 127;
  NoteRenderReport r;
  NoteRenderOptions o = cached_in(dir);
  o.sample_rate = 44100;
  render_sequence(louder, model(), nullptr, o, &r);
  EXPECT_EQ(r.cached, 4u);
  EXPECT_EQ(r.generated, 0u);
  NoteSequence edited = tune();
  edited.notes[2].pitch = 69;  // one new note
  render_sequence(edited, model(), nullptr, cached_in(dir), &r);
  EXPECT_EQ(r.generated, 1u);
  EXPECT_EQ(r.cached, 3u);
  o = cached_in(dir);
  o.inverse.phase = PhaseMethod::If;  // another phase: other notes
  render_sequence(tune(), model(), nullptr, o, &r);
  EXPECT_EQ(r.generated, 4u);
  o = cached_in(dir);
  o.schedule.timbres = {"seed:4"};  // another timbre
  render_sequence(tune(), model(), nullptr, o, &r);
  EXPECT_EQ(r.generated, 4u);
  const Gansynth other = Gansynth::random(small_config(), 23, 0.5);  // other weights
  render_sequence(tune(), other, nullptr, cached_in(dir), &r);
  EXPECT_EQ(r.generated, 4u);
}

TEST(NoteCache, DrumHitsAreKeptAndUnnamedBackendsKeepNothing) {
  const std::string dir = test::temp_dir();
  const Gansynth kit = Gansynth::random(small_config(), 24, 0.5);
  NoteSequence song = tune();
  for (int pitch : {36, 38, 42}) {
    Note hit;
    hit.pitch = pitch, hit.is_drum = true, hit.velocity = 100, hit.start_time = 0.1 * pitch / 36, hit.end_time = hit.start_time + 0.1;
    song.notes.push_back(hit);
  }
  NoteRenderReport first, second;
  const Audio a = render_sequence(song, model(), &kit, cached_in(dir), &first);
  const Audio b = render_sequence(song, model(), &kit, cached_in(dir), &second);
  EXPECT_EQ(first.generated, 7u);  // 4 notes and 3 hits (the hits with Griffin-Lim's phase)
  EXPECT_EQ(second.cached, 7u);
  EXPECT_EQ(a.samples, b.samples);
  // A caller's spectral backend that is not named: its notes could differ, so none are kept or read.
  NoteRenderOptions o = cached_in(dir);
  o.spectral = [](const float* specs, size_t count, float* audio, const InverseOptions& inverse) {
    spectrograms_to_audio(specs, count, audio, inverse);
  };
  NoteRenderReport unnamed;
  render_sequence(tune(), model(), nullptr, o, &unnamed);
  EXPECT_EQ(unnamed.cached, 0u);
  EXPECT_EQ(unnamed.generated, 4u);
  o.spectral_name = "my backend";
  render_sequence(tune(), model(), nullptr, o, &unnamed);
  EXPECT_EQ(unnamed.generated, 4u);  // named: its own notes, not the CPU path's
  render_sequence(tune(), model(), nullptr, o, &unnamed);
  EXPECT_EQ(unnamed.cached, 4u);
}

TEST(NoteCache, ConcurrentRendersShareOneFolder) {
  const std::string dir = test::temp_dir();
  const Audio expected = render_sequence(tune(), model(), nullptr, cached_in(""));
  std::vector<Audio> got(4);
  std::vector<NoteRenderReport> reports(got.size());
  std::vector<std::thread> threads;
  for (size_t i = 0; i < got.size(); ++i)
    threads.emplace_back([&, i] {
      const Gansynth own = Gansynth::random(small_config(), 21, 0.5);  // the same weights, its own instance
      got[i] = render_sequence(tune(), own, nullptr, cached_in(dir), &reports[i]);
    });
  for (auto& t : threads) t.join();
  for (const NoteRenderReport& r : reports) {
    EXPECT_EQ(r.cache_write_failures, 0u);  // threads writing the same note never trip over each other
    EXPECT_EQ(r.generated + r.cached, 4u);
  }
  for (const Audio& a : got) {
    ASSERT_EQ(a.samples.size(), expected.samples.size());
    for (size_t k = 0; k < a.samples.size(); ++k) ASSERT_NEAR(a.samples[k], expected.samples[k], 1e-6f) << k;
  }
  EXPECT_EQ(files_in(dir), 4u);
}

TEST(NoteCache, AFolderThatCannotBeMadeLeavesTheRenderUncachedAndZeroBytesIsAnError) {
  const std::string file = test::temp_dir() + "/a-file";
  std::ofstream(file) << "x";
  NoteRenderReport r;
  const Audio a = render_sequence(tune(), model(), nullptr, cached_in(file + "/notes"), &r);
  EXPECT_EQ(a.samples, render_sequence(tune(), model(), nullptr, cached_in("")).samples);
  EXPECT_EQ(r.generated, 4u);
  EXPECT_NE(r.cache_error.find(file + "/notes"), std::string::npos) << r.cache_error;
  NoteRenderOptions o = cached_in(test::temp_dir());
  o.note_cache_bytes = 0;
  try {
    render_sequence(tune(), model(), nullptr, o);
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("note_cache_bytes"), std::string::npos) << e.what();
  }
}

TEST(NoteCache, DefaultFolderFollowsTheEnvironment) {
  struct Saved {
    const char* name;
    bool set;
    std::string value;
    explicit Saved(const char* n) : name(n), set(std::getenv(n) != nullptr), value(set ? std::getenv(n) : "") {}
    ~Saved() { set ? ::setenv(name, value.c_str(), 1) : ::unsetenv(name); }
  } own("TIMBREL_NOTE_CACHE"), xdg("XDG_CACHE_HOME"), home("HOME");
  ::setenv("TIMBREL_NOTE_CACHE", "/tmp/x", 1);
  EXPECT_EQ(default_note_cache_folder(), "/tmp/x");
  ::setenv("TIMBREL_NOTE_CACHE", "off", 1);
  EXPECT_EQ(default_note_cache_folder(), "");
  ::unsetenv("TIMBREL_NOTE_CACHE");
  ::setenv("XDG_CACHE_HOME", "/var/c", 1);
  EXPECT_EQ(default_note_cache_folder(), "/var/c/timbrel/notes");
  ::unsetenv("XDG_CACHE_HOME");
  ::setenv("HOME", "/home/u", 1);
  EXPECT_EQ(default_note_cache_folder(), "/home/u/.cache/timbrel/notes");
}

TEST(NoteCache, RenderCommandReusesNotesAndNoCacheTurnsItOff) {
  const std::string dir = test::temp_dir(), bin = TIMBREL_BINARY;
  model().save(dir + "/tiny");
  const std::string render = bin + " render " + std::string(TIMBREL_SOURCE_DIR) + "/samples/twinkle.mid --model " + dir +
                             "/tiny --timbre seed:1 --no-drums --force ";
  std::string out;
  ASSERT_EQ(test::run_command(render + "-o " + dir + "/a.wav --cache-dir " + dir + "/notes", &out, true), 0) << out;
  EXPECT_EQ(out.find("from the note cache"), std::string::npos) << out;
  const size_t notes = files_in(dir + "/notes");
  EXPECT_GT(notes, 2u);
  ASSERT_EQ(test::run_command(render + "-o " + dir + "/b.wav --cache-dir " + dir + "/notes", &out, true), 0) << out;
  EXPECT_NE(out.find(" 0 generated, " + std::to_string(notes) + " from the note cache"), std::string::npos) << out;
  EXPECT_EQ(read_sound_file(dir + "/a.wav").samples, read_sound_file(dir + "/b.wav").samples);
  // The environment names the default folder; --no-cache generates everything.
  ASSERT_EQ(test::run_command("TIMBREL_NOTE_CACHE=" + dir + "/notes " + render + "-o " + dir + "/c.wav", &out, true), 0) << out;
  EXPECT_NE(out.find("from the note cache"), std::string::npos) << out;
  ASSERT_EQ(test::run_command("TIMBREL_NOTE_CACHE=" + dir + "/notes " + render + "-o " + dir + "/d.wav --no-cache", &out, true), 0) << out;
  EXPECT_EQ(out.find("from the note cache"), std::string::npos) << out;
  EXPECT_NE(test::run_command(render + "-o " + dir + "/e.wav --no-cache --cache-dir " + dir + "/notes", &out, true), 0);
  EXPECT_NE(out.find("--no-cache"), std::string::npos) << out;
}
