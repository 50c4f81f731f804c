#pragma once
// Structure measures of melodies (no torch): do bars repeat earlier bars, as real tunes' do, and
// do pitch classes, intervals and note density look like the data's? For comparing sampled songs
// (a 2-bar chain, a hierarchical model) with a corpus.
#include <array>
#include <string>
#include <vector>

#include "timbrel/note_sequence.h"

namespace timbrel::train {

struct StructureStats {
  size_t pieces = 0, bars = 0;  // bars with notes, over all pieces
  double melody_repeat = 0;     // share of bars whose melody (onsets + intervals, any transposition) an earlier bar has
  double rhythm_repeat = 0;     // share of bars whose onset pattern an earlier bar has
  double notes_per_bar = 0;
  double bars_without_onset = 0;  // share of all the pieces' bars that start no note (rests, held notes)
  double in_key = 0;            // share of notes in each piece's key (the major scale holding most of its notes)
  std::array<double, 12> pitch_classes{};  // histogram relative to each piece's key
  std::array<double, 25> intervals{};      // successive-note intervals -12..+12 semitones (larger ones clamped)
};

// The first `bars` bars (16 sixteenths each, 4/4) of each piece's melody (extract_melody).
StructureStats melody_structure(const std::vector<NoteSequence>& pieces, int bars);

// Half the L1 distance of two histograms (0 = equal, 1 = disjoint).
template <size_t N>
double histogram_distance(const std::array<double, N>& a, const std::array<double, N>& b) {
  double d = 0;
  for (size_t i = 0; i < N; ++i) d += a[i] > b[i] ? a[i] - b[i] : b[i] - a[i];
  return d / 2;
}

}  // namespace timbrel::train
