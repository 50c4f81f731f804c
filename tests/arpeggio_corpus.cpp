#include "arpeggio_corpus.h"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <random>

#include "test_util.h"
#include "timbrel/music.h"

namespace timbrel::test {

std::string arpeggio_corpus(const std::string& folder, unsigned seed) {
  static const char* const kChordNames[] = {"C", "F", "G", "Am", "Dm", "Em"};
  const std::string dir = temp_dir() + "/" + folder;
  if (std::filesystem::exists(dir + "/song7.mid")) return dir;
  std::filesystem::create_directories(dir);
  std::mt19937 rng(seed);
  for (int f = 0; f < 8; ++f) {
    std::vector<int> events(128, kMelodyNoEvent);
    std::vector<ChordSpan> chords;
    for (int bar = 0; bar < 8; ++bar) {
      const char* name = kChordNames[rng() % 6];
      const Chord chord = parse_chord(name);
      const std::vector<int> pcs = chord_pitch_classes(chord);
      const int root = 60 + chord.root, third = root + (pcs[1] - pcs[0] + 12) % 12, fifth = root + 7;
      const int notes[4] = {root, third, root, fifth};
      for (int beat = 0; beat < 4; ++beat) events[size_t(bar * 16 + beat * 4)] = notes[beat];
      chords.push_back({bar * 4.0, bar * 4.0 + 4, chord, name});
    }
    NoteSequence seq = melody_to_sequence(events, 120.0);
    if (f % 2 == 0) set_chords(seq, chords);
    else write_chords_csv(chords, dir + "/song" + std::to_string(f) + ".csv");
    write_midi(seq, dir + "/song" + std::to_string(f) + ".mid");
  }
  return dir;
}

double strong_beat_chord_tones(const std::vector<Note>& notes, const std::vector<ChordSpan>& chords, double qpm) {
  size_t strong = 0, tones = 0;
  for (const Note& n : notes) {
    const double beat = n.start_time * qpm / 60;
    if (std::fabs(beat / 2 - std::round(beat / 2)) > 1e-6) continue;
    for (const ChordSpan& c : chords)
      if (c.start_beat <= beat + 1e-6 && beat + 1e-6 < c.end_beat) {
        const std::vector<int> pcs = chord_pitch_classes(c.chord);
        ++strong;
        tones += std::count(pcs.begin(), pcs.end(), n.pitch % 12) > 0;
      }
  }
  return strong ? double(tones) / double(strong) : 0;
}

}  // namespace timbrel::test
