// timbrel/chords.h: chord symbols, kinds, Magenta's encodings, the corpora's chords CSV and chord
// symbols as MIDI text events, against hand-made cases and every row of the three corpora.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>

#include "test_util.h"
#include "timbrel/chords.h"
#include "timbrel/error.h"
#include "timbrel/music.h"

using namespace timbrel;
using timbrel::test::shared_dir;
using timbrel::test::temp_dir;

namespace {

Chord chord(int root, ChordKind kind, int bass = -1) { return Chord{root, kind, bass < 0 ? root : bass}; }

TEST(Chords, EveryKindRootAndBassRoundTripsThroughItsSymbol) {
  for (int k = 0; k < kChordKinds; ++k)
    for (int root = 0; root < 12; ++root)
      for (int bass : {root, (root + 4) % 12, (root + 10) % 12}) {
        const Chord c = chord(root, ChordKind(k), bass);
        EXPECT_EQ(parse_chord(chord_symbol(c)), c) << chord_symbol(c);
        EXPECT_EQ(chord_kind_from_name(chord_kind_name(c.kind)), c.kind);
      }
  EXPECT_TRUE(parse_chord("N.C.").is_none());
  EXPECT_EQ(chord_symbol(Chord{}), "N.C.");
}

TEST(Chords, LeadSheetSpellings) {
  const std::map<std::string, Chord> cases = {
      {"Bb7", chord(10, ChordKind::Dominant7)},        {"F#m7b5", chord(6, ChordKind::HalfDiminished)},
      {"Ebmaj7", chord(3, ChordKind::Major7)},         {"C-7", chord(0, ChordKind::Minor7)},
      {"C\u03947", chord(0, ChordKind::Major7)},       {"CM7", chord(0, ChordKind::Major7)},
      {"Co7", chord(0, ChordKind::Diminished7)},       {"C\u00f8", chord(0, ChordKind::HalfDiminished)},
      {"C+", chord(0, ChordKind::Augmented)},          {"Csus", chord(0, ChordKind::Sus4)},
      {"G7sus4", chord(7, ChordKind::Sus4)},           {"C6/9", chord(0, ChordKind::Major6)},
      {"G7b9", chord(7, ChordKind::Dominant7)},        {"D/F#", chord(2, ChordKind::Major, 6)},
      {"Am(maj7)", chord(9, ChordKind::Minor)},        {"C13b9", chord(0, ChordKind::Dominant7)},
      {"C9b5", chord(0, ChordKind::Dominant9)},        {"C13", chord(0, ChordKind::Dominant9)},
      {"Cm9", chord(0, ChordKind::Minor7)},            {"Cmaj9", chord(0, ChordKind::Major7)},
      {"C7#5", chord(0, ChordKind::Augmented)},        {"Cm6add9", chord(0, ChordKind::Minor6)},
      {"Cmadd9", chord(0, ChordKind::Minor)},          {"Cmin", chord(0, ChordKind::Minor)},
      {"C5", chord(0, ChordKind::Power)},              {"Cdim", chord(0, ChordKind::Diminished)},
      {"E\u266d", chord(3, ChordKind::Major)},         {"Cb", chord(11, ChordKind::Major)},
      {"C7#9", chord(0, ChordKind::Dominant7)},        {"Gsus2", chord(7, ChordKind::Sus2)},
      {"CM", chord(0, ChordKind::Major)},              {"Cmaj", chord(0, ChordKind::Major)},
      {"C\u0394", chord(0, ChordKind::Major7)},        {"C+7", chord(0, ChordKind::Augmented)},
      {"C2", chord(0, ChordKind::Major)},              {"Csus2/G", chord(0, ChordKind::Sus2, 7)},
  };
  for (const auto& [symbol, want] : cases) EXPECT_EQ(parse_chord(symbol), want) << symbol << " read as " << chord_symbol(parse_chord(symbol));
  for (const char* bad : {"H7", "", "Cxyz", "C/H", "c", "C7/", "C/9x", "C8", "C99999999999", "Do re mi"}) {
    try {
      parse_chord(bad);
      ADD_FAILURE() << "'" << bad << "' parsed";
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find(std::string(bad).empty() ? "chord symbol" : bad), std::string::npos) << e.what();
    }
  }
}

TEST(Chords, PitchClassesAndMagentasEncodings) {
  EXPECT_EQ(chord_pitch_classes(chord(0, ChordKind::Major)), (std::vector<int>{0, 4, 7}));
  EXPECT_EQ(chord_pitch_classes(chord(7, ChordKind::Dominant7)), (std::vector<int>{2, 5, 7, 11}));
  EXPECT_EQ(chord_pitch_classes(chord(2, ChordKind::Major, 6)), (std::vector<int>{2, 6, 9}));
  EXPECT_EQ(chord_pitch_classes(chord(0, ChordKind::Major, 10)), (std::vector<int>{0, 4, 7}));  // C/Bb: the bass is its own slot
  EXPECT_EQ(encode_chord_pitches(chord(0, ChordKind::Major, 10))[25 + 10], 1.0f);
  // PitchChordsEncoderDecoder: [0] no chord, [1 + root], [13 + pitch class], [25 + bass].
  const auto d_over_fsharp = encode_chord_pitches(chord(2, ChordKind::Major, 6));
  std::vector<int> on;
  for (int i = 0; i < kChordPitchesDepth; ++i)
    if (d_over_fsharp[size_t(i)] != 0) on.push_back(i);
  EXPECT_EQ(on, (std::vector<int>{3, 15, 19, 22, 31}));
  const auto none = encode_chord_pitches(Chord{});
  EXPECT_EQ(none[0], 1.0f);
  EXPECT_EQ(std::count(none.begin(), none.end(), 1.0f), 1);
  // TriadChordOneHotEncoding: 0 none, 1-12 major, 13-24 minor, 25-36 augmented, 37-48 diminished.
  EXPECT_EQ(triad_class(Chord{}), 0);
  EXPECT_EQ(triad_class(chord(0, ChordKind::Major)), 1);
  EXPECT_EQ(triad_class(chord(7, ChordKind::Dominant7)), 8);
  EXPECT_EQ(triad_class(chord(9, ChordKind::Minor7)), 22);
  EXPECT_EQ(triad_class(chord(0, ChordKind::Augmented)), 25);
  EXPECT_EQ(triad_class(chord(11, ChordKind::HalfDiminished)), 48);
  for (int c = 0; c < kTriadClasses; ++c) EXPECT_EQ(triad_class(triad_chord(c)), c);
  EXPECT_THROW(triad_chord(49), Error);
}

// Every row of the three corpora: the symbol, read as a lead sheet, names the CSV's chord. Known
// disagreements: POP909 calls 7sus4 and m(maj7) "other" where the reduction rule (and OpenEWLD)
// gives sus4 and minor.
TEST(Chords, EverySymbolOfTheCorporaReadsAsItsRow) {
  const std::string data = shared_dir().empty() ? "" : shared_dir() + "/data/melodies";
  if (data.empty() || !std::filesystem::exists(data)) GTEST_SKIP() << "no ../shared/data/melodies";
  size_t rows = 0, files = 0, known = 0;
  for (const char* corpus : {"nottingham", "openewld", "pop909"}) {
    for (const auto& entry : std::filesystem::directory_iterator(data + "/" + corpus + "/chords")) {
      if (entry.path().extension() != ".csv") continue;
      ++files;
      for (const ChordSpan& row : read_chords_csv(entry.path().string())) {
        ++rows;
        const Chord read = parse_chord(row.symbol);
        const size_t after_root = row.symbol.find_first_not_of("ABCDEFG#b");
        const std::string quality = after_root == std::string::npos ? "" : row.symbol.substr(after_root);
        if (row.chord.kind == ChordKind::Other && (quality.rfind("7sus4", 0) == 0 || quality.rfind("m(maj7)", 0) == 0)) {
          ++known;
          continue;
        }
        ASSERT_EQ(read, row.chord) << entry.path() << ": " << row.symbol << " read as " << chord_symbol(read) << ", the row says "
                                   << chord_symbol(row.chord) << " (" << chord_kind_name(row.chord.kind) << ")";
      }
    }
  }
  std::printf("%zu chord rows of %zu files read as their rows (%zu known disagreements)\n", rows, files, known);
  EXPECT_GT(rows, 100000u);
}

TEST(Chords, CsvRoundTripAndErrorsNameTheLine) {
  const std::string dir = temp_dir();
  const std::vector<ChordSpan> chords = {{0, 2, chord(0, ChordKind::Major), "C"},
                                         {2, 4, chord(7, ChordKind::Dominant7), "G7b9"},
                                         {4, 6, Chord{}, "N"},
                                         {6, 8.5, chord(2, ChordKind::Major, 6), "D/F#"}};
  write_chords_csv(chords, dir + "/c.csv");
  const std::vector<ChordSpan> back = read_chords_csv(dir + "/c.csv");
  ASSERT_EQ(back.size(), chords.size());
  for (size_t i = 0; i < back.size(); ++i) {
    EXPECT_EQ(back[i].chord, chords[i].chord);
    EXPECT_EQ(back[i].symbol, chords[i].symbol);
    EXPECT_DOUBLE_EQ(back[i].end_beat, chords[i].end_beat);
  }
  auto error_of = [&](const std::string& text) {
    std::ofstream(dir + "/bad.csv") << text;
    try {
      read_chords_csv(dir + "/bad.csv");
    } catch (const Error& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  EXPECT_NE(error_of("a,b\n").find("header"), std::string::npos);
  EXPECT_NE(error_of("start_beat,end_beat,root,kind,bass,symbol\n0,1,0,major,0,C\n1,2,0,lydian,0,C\n").find("line 3"), std::string::npos);
  EXPECT_NE(error_of("start_beat,end_beat,root,kind,bass,symbol\n2,1,0,major,0,C\n").find("before it starts"), std::string::npos);
  EXPECT_NE(error_of("start_beat,end_beat,root,kind,bass,symbol\n0,1,,,,Q7\n").find("Q7"), std::string::npos);
}

// Chords into a melody, through a MIDI file (text events) and back, at a tempo change.
TEST(Chords, ChordSymbolsSurviveAMidiFileAndQuantizing) {
  NoteSequence seq;
  seq.tempos = {{0.0, 120.0}, {2.0, 90.0}};  // beat 4 at 2 s, then 2/3 s a beat
  for (int i = 0; i < 12; ++i) {
    Note n;
    n.pitch = 60 + i, n.start_time = i * 0.5, n.end_time = i * 0.5 + 0.4;
    seq.add_note(n);
  }
  seq.text_annotations.push_back({1.0, -1, "Verse", TextAnnotation::Text});
  seq.text_annotations.push_back({1.5, -1, "A", TextAnnotation::Marker});  // a rehearsal mark, not A major
  const std::vector<ChordSpan> chords = {{0, 2, chord(0, ChordKind::Major), "C"},
                                         {2, 5, chord(9, ChordKind::Minor7), "Am7"},
                                         {6, 8, chord(5, ChordKind::Major, 9), "F/A"}};
  set_chords(seq, chords);
  const std::string path = temp_dir() + "/lead.mid";
  write_midi(seq, path);
  const NoteSequence back = read_midi(path);
  const std::vector<ChordSpan> spans = chord_spans(back);
  ASSERT_EQ(spans.size(), 5u);  // C, Am7, N.C. (5-6), F/A, N.C. to the end of the music
  EXPECT_EQ(spans[1].chord, chords[1].chord);
  EXPECT_NEAR(spans[1].start_beat, 2, 1e-2);
  EXPECT_NEAR(spans[1].end_beat, 5, 1e-2);
  EXPECT_TRUE(spans[2].chord.is_none());
  EXPECT_EQ(spans[3].symbol, "F/A");
  EXPECT_NEAR(spans[3].start_beat, 6, 1e-2);
  const bool verse_kept = std::any_of(back.text_annotations.begin(), back.text_annotations.end(),
                                      [](const TextAnnotation& a) { return a.text == "Verse" && a.type == TextAnnotation::Text; });
  EXPECT_TRUE(verse_kept);
  const bool marker_kept = std::any_of(back.text_annotations.begin(), back.text_annotations.end(),
                                       [](const TextAnnotation& a) { return a.text == "A" && a.type == TextAnnotation::Marker; });
  EXPECT_TRUE(marker_kept);
  const std::vector<Chord> steps = chords_per_step(quantize(back, 4), 36);
  EXPECT_EQ(steps[0], chords[0].chord);
  EXPECT_EQ(steps[7], chords[0].chord);
  EXPECT_EQ(steps[8], chords[1].chord);
  EXPECT_TRUE(steps[20].is_none());
  EXPECT_EQ(steps[24], chords[2].chord);
  EXPECT_THROW(chords_per_step(back, 4), Error);
}

}  // namespace
