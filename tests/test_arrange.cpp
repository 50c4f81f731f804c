// timbrel/arrange.h: a melody and its chords made a song (bass and accompaniment tracks), the
// measures that judge it, and the piano roll; on the corpora's held-out tunes when they are here.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <tuple>

#include "test_util.h"
#include "timbrel/arrange.h"
#include "timbrel/error.h"
#include "timbrel/music.h"

using namespace timbrel;
using timbrel::test::shared_dir;
using timbrel::test::temp_dir;

namespace {

const std::string kSource = std::string(TIMBREL_TEST_DATA_DIR) + "/../..";

// A melody of quarter notes at 120 qpm (0.5 s a beat) in `numerator`/4.
NoteSequence melody(const std::vector<int>& pitches, int numerator = 4) {
  NoteSequence s;
  s.time_signatures = {{0.0, numerator, 4}};
  for (size_t i = 0; i < pitches.size(); ++i) {
    Note n;
    n.pitch = pitches[i], n.start_time = 0.5 * double(i), n.end_time = 0.5 * double(i + 1);
    s.add_note(n);
  }
  return s;
}

std::vector<ChordSpan> progression(const std::vector<std::string>& symbols, double beats_each) {
  std::vector<ChordSpan> out;
  for (size_t i = 0; i < symbols.size(); ++i)
    out.push_back({beats_each * double(i), beats_each * double(i + 1), parse_chord(symbols[i]), symbols[i]});
  return out;
}

NoteSequence twinkle() {
  return melody({60, 60, 67, 67, 69, 69, 67, 67, 65, 65, 64, 64, 62, 62, 60, 60});
}

std::vector<Note> part(const NoteSequence& song, const std::string& name) {
  int instrument = -1;
  for (const TrackInfo& t : song.tracks)
    if (t.name == name) instrument = t.instrument;
  std::vector<Note> out;
  for (const Note& n : song.notes)
    if (n.instrument == instrument) out.push_back(n);
  return out;
}

// Onset times (in beats of 0.5 s) of a part, distinct.
std::vector<double> onsets(const std::vector<Note>& notes) {
  std::set<double> out;
  for (const Note& n : notes) out.insert(std::round(n.start_time / 0.5 * 100) / 100);
  return {out.begin(), out.end()};
}

TEST(Arrange, TwinkleGetsABassAndAnAccompanimentOnItsOwnTracks) {
  ArrangeOptions o;
  for (const auto& [start, end, symbol] : std::vector<std::tuple<double, double, std::string>>{
           {0, 4, "C"}, {4, 6, "F"}, {6, 8, "C"}, {8, 10, "F"}, {10, 12, "C"}, {12, 14, "G"}, {14, 16, "C"}})
    o.chords.push_back({start, end, parse_chord(symbol), symbol});
  o.style = AccompanimentStyle::Block;
  ArrangeReport r;
  const NoteSequence song = arrange(twinkle(), o, &r);
  EXPECT_FALSE(r.harmonized);
  EXPECT_EQ(r.style, AccompanimentStyle::Block);
  const std::vector<Note> bass = part(song, "Bass"), comp = part(song, "Accompaniment");
  ASSERT_FALSE(bass.empty());
  ASSERT_FALSE(comp.empty());
  EXPECT_EQ(r.bass_notes, bass.size());
  std::set<int> channels;
  for (const Note& n : song.notes) channels.insert(n.channel);
  EXPECT_EQ(channels.size(), 3u);  // melody, bass and accompaniment each on its own
  EXPECT_EQ(channels.count(9), 0u);
  for (const Note& n : bass) EXPECT_TRUE(n.program == 33 && n.pitch >= 28 && n.pitch <= 47) << n.pitch;
  for (const Note& n : comp) EXPECT_TRUE(n.program == 0 && n.pitch >= 52 && n.pitch <= 74) << n.pitch;
  EXPECT_EQ(onsets(comp), (std::vector<double>{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15}));  // block: every beat
  EXPECT_EQ(chord_spans(song).size(), 7u);
  const ArrangementScore s = score_arrangement(song);
  EXPECT_EQ(s.downbeats, 4u);
  EXPECT_EQ(s.bass_root_or_fifth, 1.0);
  EXPECT_LE(s.voice_movement, 4.0);
  EXPECT_EQ(s.clashes, 0.0);
  int volumes = 0;
  for (const ControlChange& c : song.control_changes) volumes += c.number == 7;
  EXPECT_EQ(volumes, 2);  // each part's level set beside the melody
}

TEST(Arrange, StylesHaveTheirRhythms) {
  ArrangeOptions o;
  o.chords = progression({"C", "G"}, 4);
  o.style = AccompanimentStyle::Broken;
  const std::vector<Note> broken = part(arrange(melody({72, 74, 76, 77, 79, 77, 76, 74}), o), "Accompaniment");
  EXPECT_EQ(onsets(broken).size(), 16u);  // eighths
  EXPECT_EQ(broken.size(), 16u);          // one note each
  o.style = AccompanimentStyle::Strummed;
  const std::vector<Note> strum = part(arrange(melody({72, 74, 76, 77, 79, 77, 76, 74}), o), "Accompaniment");
  EXPECT_EQ(strum.front().program, 25);
  std::map<double, std::vector<Note>> strokes;  // by beat, to the eighth
  for (const Note& n : strum) strokes[std::floor(n.start_time / 0.25 + 1e-6) / 2].push_back(n);
  EXPECT_EQ(strokes.size(), 12u);  // D . D U . U D U: six a bar
  for (const auto& [at, notes] : strokes) {
    EXPECT_GT(notes.back().start_time, notes.front().start_time) << at;  // strings one after another
    EXPECT_LE(notes.back().start_time - notes.front().start_time, 0.05) << at;
  }
  // A waltz: the bass on 1 (and a step into the next chord on 3), the chord on 2 and 3.
  o.style = AccompanimentStyle::Auto;
  o.chords = progression({"C", "G"}, 3);
  ArrangeReport r;
  const NoteSequence waltz = arrange(melody({72, 76, 79, 71, 74, 79}, 3), o, &r);
  EXPECT_EQ(r.style, AccompanimentStyle::Block);
  EXPECT_EQ(onsets(part(waltz, "Accompaniment")), (std::vector<double>{1, 2, 4, 5}));
  EXPECT_EQ(onsets(part(waltz, "Bass")), (std::vector<double>{0, 2, 3}));
}

TEST(Arrange, BassPlaysOnTheKickAndStepsIntoTheNextChord) {
  ArrangeOptions o;
  o.chords = progression({"C", "G"}, 4);
  o.style = AccompanimentStyle::Block;
  NoteSequence song = melody({72, 74, 76, 77, 79, 77, 76, 74});
  const NoteSequence plain = arrange(song, o);
  const std::vector<Note> bass = part(plain, "Bass");
  EXPECT_EQ(onsets(bass), (std::vector<double>{0, 2, 3, 4, 6}));  // root, fifth, a step into G; root, fifth
  EXPECT_EQ(bass[0].pitch % 12, 0);
  EXPECT_EQ(bass[1].pitch % 12, 7);
  EXPECT_EQ(bass[2].pitch % 12, 9);  // A: a step above G that does not rub against C-E-G
  for (double kick : {0.0, 1.5, 2.5, 4.0, 5.5}) {
    Note k;
    k.pitch = 36, k.is_drum = true, k.channel = 9, k.instrument = 1, k.start_time = kick * 0.5, k.end_time = kick * 0.5 + 0.1;
    song.add_note(k);
  }
  EXPECT_EQ(onsets(part(arrange(song, o), "Bass")), (std::vector<double>{0, 1.5, 2.5, 4, 5.5}));
}

TEST(Arrange, HarmonisesAMelodyWithoutChordsAndRefusesBadInput) {
  ArrangeOptions o;
  o.harmonizer_model = kSource + "/models/harmonizer";
  ArrangeReport r;
  const NoteSequence song = arrange(twinkle(), o, &r);
  EXPECT_TRUE(r.harmonized);
  EXPECT_EQ(chord_spans(song).front().symbol, "C");
  auto error_of = [](const NoteSequence& s, const ArrangeOptions& opts) {
    try {
      arrange(s, opts);
    } catch (const Error& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  EXPECT_NE(error_of(NoteSequence{}, o).find("no pitched notes"), std::string::npos);
  ArrangeOptions bad = o;
  bad.bass_program = 128;
  EXPECT_NE(error_of(twinkle(), bad).find("bass_program"), std::string::npos);
  NoteSequence crowded = twinkle();
  for (size_t i = 0; i < crowded.notes.size(); ++i) crowded.notes[i].channel = int(i % 16);
  EXPECT_NE(error_of(crowded, o).find("free"), std::string::npos);
  ArrangeOptions backwards = o;
  backwards.chords = {{4, 2, parse_chord("C"), "C"}};
  EXPECT_NE(error_of(twinkle(), backwards).find("chords"), std::string::npos);
  NoteSequence drums_only;
  Note kick;
  kick.pitch = 36, kick.is_drum = true, kick.channel = 9, kick.end_time = 0.1;
  drums_only.add_note(kick);
  EXPECT_NE(error_of(drums_only, o).find("no pitched notes"), std::string::npos);
  EXPECT_THROW(parse_accompaniment_style("polka", "style"), Error);
  EXPECT_EQ(parse_accompaniment_style("strummed", "style"), AccompanimentStyle::Strummed);
}

// Chords out of order and past the song's end, a song without a time signature and with a tempo
// change: the chords are put in order and clipped to the song; bars are 4/4 by default.
TEST(Arrange, ChordsAreOrderedAndClippedToTheSong) {
  NoteSequence song = twinkle();
  song.time_signatures.clear();
  song.tempos = {{0.0, 120.0}, {4.0, 60.0}};  // from bar 3 on, a beat lasts 1 s
  for (size_t i = 8; i < song.notes.size(); ++i)
    song.notes[i].start_time = 4.0 + double(i - 8), song.notes[i].end_time = 5.0 + double(i - 8);
  song.total_time = 12.0;
  ArrangeOptions o;
  o.style = AccompanimentStyle::Block;
  o.chords = {{8, 1e9, parse_chord("G"), "G"}, {0, 8, parse_chord("C"), "C"}};
  const NoteSequence out = arrange(song, o);
  const std::vector<ChordSpan> chords = chord_spans(out);
  ASSERT_GE(chords.size(), 2u);
  EXPECT_EQ(chords[0].symbol, "C");
  EXPECT_EQ(chords[1].symbol, "G");
  double last = 0;
  for (const Note& n : out.notes) last = std::max(last, n.end_time);
  EXPECT_LE(last, 12.0 + 1e-6);  // nothing past the song's last beat
  const std::vector<Note> comp = part(out, "Accompaniment");
  EXPECT_NEAR(comp.back().start_time, 11.0, 1e-6);  // block chords on the beats of the slower tempo too
}

TEST(Arrange, PianoRollDrawsEachPart) {
  ArrangeOptions o;
  o.chords = progression({"C", "F", "G", "C"}, 4);
  const NoteSequence song = arrange(twinkle(), o);
  const std::string path = temp_dir() + "/roll.png";
  write_piano_roll(song, path);
  std::ifstream in(path, std::ios::binary);
  std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  ASSERT_GT(bytes.size(), 24u);
  EXPECT_EQ(bytes.substr(1, 3), "PNG");
  const auto be32 = [&](size_t at) { return (uint32_t(uint8_t(bytes[at])) << 24) | (uint32_t(uint8_t(bytes[at + 1])) << 16) | (uint32_t(uint8_t(bytes[at + 2])) << 8) | uint8_t(bytes[at + 3]); };
  EXPECT_EQ(be32(16), uint32_t(std::ceil(song.total_time * 48)) + 1);  // 48 pixels a second
  EXPECT_THROW(write_piano_roll(NoteSequence{}, path), Error);
  EXPECT_THROW(write_piano_roll(song, path, PianoRollOptions{0, 5}), Error);
  NoteSequence long_song = song;
  long_song.total_time = 3000;
  EXPECT_THROW(write_piano_roll(long_song, path, PianoRollOptions{1000, 40}), Error);  // billions of pixels: refused
}

// The goals on held-out tunes, arranged with their own chords, beside the data's chord
// renders (POP909: its full arrangements): bass on root or fifth on >= 90% of downbeats, voices moving <= 4 semitones, strong-beat
// minor seconds between parts no more often than in the renders.
TEST(Arrange, HeldOutTunesMeetTheGoals) {
  const std::string data = shared_dir().empty() ? "" : shared_dir() + "/data/melodies";
  if (data.empty() || !std::filesystem::exists(data)) GTEST_SKIP() << "no ../shared/data/melodies";
  for (const char* corpus : {"nottingham", "openewld", "pop909"})  // POP909: beside its pianists' arrangements
    for (AccompanimentStyle style : {AccompanimentStyle::Auto, AccompanimentStyle::Block, AccompanimentStyle::Broken, AccompanimentStyle::Strummed}) {
      ArrangeOptions o;
      o.style = style;
      const ArrangementEvaluation e = evaluate_arrangement(data + "/" + corpus + "/midi", o);
      std::printf("%s %s: bass %.3f of %zu downbeats, voices %.2f, clashes %.3f (data %.3f)\n", corpus, to_string(style).c_str(),
                  e.arranged.bass_root_or_fifth, e.arranged.downbeats, e.arranged.voice_movement, e.arranged.clashes, e.data.clashes);
      ASSERT_GT(e.files, 30u);
      EXPECT_GE(e.arranged.bass_root_or_fifth, 0.9);
      EXPECT_LE(e.arranged.voice_movement, 4.0);
      EXPECT_LE(e.arranged.clashes, e.data.clashes);
    }
}

}  // namespace
