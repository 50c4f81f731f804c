// Every file of the shared Nottingham and Groove corpora: our reader against Debian's midicsv, an
// independent parser. The test turns midicsv's event list into notes itself (its own tempo map
// and pairing), then requires the same notes, in seconds, within 1e-9 s.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <deque>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <tuple>

#include "test_util.h"
#include "timbrel/music.h"

using namespace timbrel;
namespace fs = std::filesystem;

namespace {

struct SimpleNote {
  double start, end;
  int pitch, velocity, channel;
  bool operator<(const SimpleNote& o) const {
    return std::tie(start, pitch, channel, end, velocity) < std::tie(o.start, o.pitch, o.channel, o.end, o.velocity);
  }
};

std::vector<std::string> split_csv(const std::string& line) {
  std::vector<std::string> f;
  std::stringstream s(line);
  std::string item;
  while (std::getline(s, item, ',')) {
    size_t a = item.find_first_not_of(' ');
    f.push_back(a == std::string::npos ? "" : item.substr(a));
  }
  return f;
}

// Notes from midicsv's CSV: FIFO pairing per (track, channel, pitch), note-offs closing notes
// that began on an earlier tick first; unclosed notes end at their track's End_track.
std::vector<SimpleNote> notes_from_midicsv(const std::string& csv) {
  int division = 0;
  std::vector<std::pair<long, long>> tempos;  // tick, usec
  struct Ev { long tick; int track, kind, ch, pitch, vel; };  // kind 1 on, 0 off, 2 end-of-track
  std::vector<Ev> events;
  std::stringstream in(csv);
  std::string line;
  while (std::getline(in, line)) {
    auto f = split_csv(line);
    if (f.size() < 3) continue;
    const std::string& type = f[2];
    if (type == "Header") division = std::stoi(f[5]);
    else if (type == "Tempo") tempos.push_back({std::stol(f[1]), std::stol(f[3])});
    else if (type == "Note_on_c" || type == "Note_off_c")
      events.push_back({std::stol(f[1]), std::stoi(f[0]), type == "Note_on_c" && std::stoi(f[5]) > 0 ? 1 : 0,
                        std::stoi(f[3]), std::stoi(f[4]), std::stoi(f[5])});
    else if (type == "End_track") events.push_back({std::stol(f[1]), std::stoi(f[0]), 2, 0, 0, 0});
  }
  std::stable_sort(tempos.begin(), tempos.end(), [](auto& a, auto& b) { return a.first < b.first; });
  auto seconds = [&](long tick) {
    double t = 0, usec = 500000;
    long at = 0;
    for (auto& [tt, u] : tempos) {
      if (tt >= tick) break;
      t += (tt - at) * usec / 1e6 / division;
      at = tt;
      usec = u;
    }
    return t + (tick - at) * usec / 1e6 / division;
  };
  std::vector<SimpleNote> notes;
  std::map<std::tuple<int, int, int>, std::deque<std::pair<long, int>>> open;
  for (const Ev& e : events) {
    if (e.kind == 2) {
      for (auto& [key, q] : open)
        if (std::get<0>(key) == e.track)
          for (auto& o : q) notes.push_back({seconds(o.first), seconds(e.tick), std::get<2>(key), o.second, std::get<1>(key)});
      for (auto it = open.begin(); it != open.end();)
        it = std::get<0>(it->first) == e.track ? open.erase(it) : std::next(it);
      continue;
    }
    auto& q = open[{e.track, e.ch, e.pitch}];
    if (e.kind == 1) {
      q.push_back({e.tick, e.vel});
    } else if (!q.empty()) {
      size_t i = 0;
      while (i < q.size() && q[i].first >= e.tick) ++i;
      if (i == q.size()) i = 0;
      notes.push_back({seconds(q[i].first), seconds(e.tick), e.pitch, q[i].second, e.ch});
      q.erase(q.begin() + long(i));
    }
  }
  std::sort(notes.begin(), notes.end());
  return notes;
}

std::vector<std::string> midi_files(const std::string& dir) {
  std::vector<std::string> files;
  if (!fs::exists(dir)) return files;
  for (auto& e : fs::recursive_directory_iterator(dir)) {
    std::string ext = e.path().extension().string();
    if (e.is_regular_file() && (ext == ".mid" || ext == ".midi")) files.push_back(e.path().string());
  }
  std::sort(files.begin(), files.end());
  return files;
}

void check_corpus(const std::string& relative, size_t min_files) {
  std::string shared = test::shared_dir();
  if (shared.empty()) GTEST_SKIP() << "../shared is absent: corpus test skipped";
  auto files = midi_files(shared + "/" + relative);
  ASSERT_GE(files.size(), min_files) << relative;
  bool have_midicsv = test::run_command("command -v midicsv >/dev/null", nullptr) == 0;
  size_t compared = 0, notes_total = 0;
  for (const std::string& path : files) {
    SCOPED_TRACE(path);
    NoteSequence seq;
    ASSERT_NO_THROW(seq = read_midi(path));
    notes_total += seq.notes.size();
    if (!have_midicsv) continue;
    std::string csv;
    ASSERT_EQ(test::run_command("midicsv '" + path + "'", &csv), 0);
    auto want = notes_from_midicsv(csv);
    std::vector<SimpleNote> got;
    for (const Note& n : seq.notes) got.push_back({n.start_time, n.end_time, n.pitch, n.velocity, n.channel});
    std::sort(got.begin(), got.end());
    ASSERT_EQ(got.size(), want.size());
    for (size_t i = 0; i < got.size(); ++i) {
      ASSERT_NEAR(got[i].start, want[i].start, 1e-9) << "note " << i;
      ASSERT_NEAR(got[i].end, want[i].end, 1e-9) << "note " << i;
      ASSERT_EQ(got[i].pitch, want[i].pitch);
      ASSERT_EQ(got[i].velocity, want[i].velocity);
      ASSERT_EQ(got[i].channel, want[i].channel);
    }
    ++compared;
  }
  std::cout << "[ corpus   ] " << relative << ": " << files.size() << " files, " << notes_total << " notes, "
            << compared << " compared with midicsv" << (have_midicsv ? "" : " (midicsv not installed)") << std::endl;
  EXPECT_GT(notes_total, 0u);
}

TEST(MidiCorpus, NottinghamMatchesMidicsv) { check_corpus("data/melodies/nottingham/midi", 1000); }
TEST(MidiCorpus, GrooveMatchesMidicsv) { check_corpus("data/drums/groove", 1000); }

}  // namespace

namespace {

// Our writer checked by the independent parser: what midicsv reads back from write_midi's output
// is the sequence that was written.
TEST(MidiWriter, MidicsvReadsWhatWasWritten) {
  if (test::run_command("command -v midicsv >/dev/null", nullptr) != 0) GTEST_SKIP() << "midicsv not installed";
  NoteSequence seq;
  seq.ticks_per_quarter = 480;
  seq.tempos = {{0.0, 100.0}, {3.0, 150.0}};
  for (int i = 0; i < 50; ++i) {
    Note n;
    n.pitch = 30 + i;
    n.velocity = 20 + i;
    n.start_time = 0.3 * i;               // on ticks at both tempos: 0.3 s = 240 ticks at 100 qpm
    n.end_time = n.start_time + 0.15 * (1 + i % 3);
    n.instrument = i % 2;
    n.is_drum = i % 7 == 0 && n.instrument == 1;
    seq.notes.push_back(n);
  }
  std::string path = test::temp_dir() + "/w.mid";
  write_midi(seq, path);
  std::string csv;
  ASSERT_EQ(test::run_command("midicsv '" + path + "'", &csv), 0);
  auto got = notes_from_midicsv(csv);
  std::vector<SimpleNote> want;
  for (const Note& n : seq.notes) want.push_back({n.start_time, n.end_time, n.pitch, n.velocity, 0});
  std::sort(want.begin(), want.end());
  ASSERT_EQ(got.size(), want.size());
  for (size_t i = 0; i < got.size(); ++i) {
    EXPECT_NEAR(got[i].start, want[i].start, 1e-6) << i;
    EXPECT_NEAR(got[i].end, want[i].end, 1e-6) << i;
    EXPECT_EQ(got[i].pitch, want[i].pitch);
    EXPECT_EQ(got[i].velocity, want[i].velocity);
  }
  // Drum notes went to channel 10 (index 9).
  size_t drums = 0;
  for (const SimpleNote& n : got) drums += n.channel == 9;
  size_t want_drums = 0;
  for (const Note& n : seq.notes) want_drums += n.is_drum;
  EXPECT_EQ(drums, want_drums);
}

}  // namespace

namespace {

// Pitch bends and controllers: a file made by midicsv's csvmidi (an independent writer) reads
// back with every bend and controller at its time; our writer's output reads back in midicsv.
TEST(MidiControllers, BendsAndControllersMatchMidicsv) {
  if (test::run_command("command -v csvmidi >/dev/null", nullptr) != 0) GTEST_SKIP() << "midicsv not installed";
  const std::string dir = test::temp_dir(), csv = dir + "/c.csv", mid = dir + "/c.mid";
  {
    std::ofstream f(csv);
    f << "0, 0, Header, 1, 2, 480\n1, 0, Start_track\n1, 0, Tempo, 500000\n1, 0, End_track\n"
         "2, 0, Start_track\n2, 0, Program_c, 3, 40\n2, 0, Control_c, 3, 7, 90\n2, 0, Note_on_c, 3, 69, 100\n"
         "2, 240, Pitch_bend_c, 3, 12288\n2, 480, Control_c, 3, 1, 64\n2, 720, Pitch_bend_c, 3, 0\n"
         "2, 960, Note_off_c, 3, 69, 0\n2, 960, End_track\n0, 0, End_of_file\n";
  }
  ASSERT_EQ(test::run_command("csvmidi '" + csv + "' '" + mid + "'", nullptr), 0);
  const NoteSequence seq = read_midi(mid);
  ASSERT_EQ(seq.pitch_bends.size(), 2u);
  EXPECT_NEAR(seq.pitch_bends[0].time, 0.25, 1e-9);  // 240 ticks at 120 qpm
  EXPECT_EQ(seq.pitch_bends[0].bend, 12288 - 8192);
  EXPECT_EQ(seq.pitch_bends[1].bend, -8192);
  EXPECT_EQ(seq.pitch_bends[0].channel, 3);
  EXPECT_EQ(seq.pitch_bends[0].instrument, seq.notes.at(0).instrument);
  ASSERT_EQ(seq.control_changes.size(), 2u);
  EXPECT_EQ(seq.control_changes[0].number, 7);
  EXPECT_EQ(seq.control_changes[0].value, 90);
  EXPECT_NEAR(seq.control_changes[1].time, 0.5, 1e-9);
  EXPECT_EQ(seq.control_changes[1].number, 1);
  EXPECT_EQ(seq.control_changes[1].value, 64);

  const std::string again = dir + "/again.mid";
  write_midi(seq, again);
  std::string out;
  ASSERT_EQ(test::run_command("midicsv '" + again + "'", &out), 0);
  EXPECT_NE(out.find("Pitch_bend_c, 0, 12288"), std::string::npos) << out;
  EXPECT_NE(out.find("Pitch_bend_c, 0, 0"), std::string::npos) << out;
  EXPECT_NE(out.find("Control_c, 0, 1, 64"), std::string::npos) << out;
  const NoteSequence back = read_midi(again);
  ASSERT_EQ(back.pitch_bends.size(), 2u);
  EXPECT_NEAR(back.pitch_bends[0].time, 0.25, 1e-6);
  EXPECT_EQ(back.pitch_bends[0].bend, 4096);
}

}  // namespace
