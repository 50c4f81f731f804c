#include "train/melody_structure.h"

#include <algorithm>
#include <set>
#include <utility>

#include "timbrel/music.h"
#include "timbrel/error.h"
#include "train/event_rnn_trainer.h"
#include "music/beat_grid.h"
#include "train/musicvae_data.h"

namespace timbrel::train {

namespace {

constexpr int kBarSteps = 16;

struct Bar {
  std::vector<int> onsets, pitches;  // steps in the bar, and the pitches struck there
};

std::vector<Bar> bars_of(const NoteSequence& piece, int bars) {
  const std::vector<int> events = extract_melody(quantize(piece, 4));
  std::vector<Bar> out(static_cast<size_t>(bars));
  for (size_t i = 0; i < events.size() && i < size_t(bars * kBarSteps); ++i)
    if (events[i] >= 0) {
      out[i / kBarSteps].onsets.push_back(int(i % kBarSteps));
      out[i / kBarSteps].pitches.push_back(events[i]);
    }
  return out;
}

// A bar's melody up to transposition: its onsets and the intervals from its first pitch.
std::pair<std::vector<int>, std::vector<int>> melody_shape(const Bar& b) {
  std::vector<int> rel;
  for (int p : b.pitches) rel.push_back(p - b.pitches.front());
  return {b.onsets, rel};
}

template <size_t N>
void normalise(std::array<double, N>& h) {
  double sum = 0;
  for (double v : h) sum += v;
  if (sum > 0)
    for (double& v : h) v /= sum;
}

// The data's 4/4 pieces with at least `bars` bars (files that cannot be read are left out).
std::vector<NoteSequence> corpus_pieces(const std::string& dir, int bars) {
  std::vector<NoteSequence> out;
  const BeatGrids grids(dir);  // POP909's recordings moved onto their bar lines
  for (const auto& f : list_midi_files(dir)) {
    try {
      NoteSequence s = read_midi_on_grid(f, grids);
      const bool four_four = s.time_signatures.empty() || (s.time_signatures[0].numerator == 4 && s.time_signatures[0].denominator == 4);
      if (!four_four) continue;
      std::vector<ChordSpan> no_chords;
      start_at_first_note_bar(s, no_chords, false);  // a pop song's intro is not its melody's first bars
      if (s.total_time >= bars * 4 * 60.0 / s.first_qpm() - 1e-6) out.push_back(std::move(s));
    } catch (const Error&) {
    }
  }
  return out;
}

}  // namespace
}  // namespace timbrel::train

namespace timbrel {

StructureStats melody_structure(const std::vector<NoteSequence>& pieces, int bars) {
  using namespace train;
  StructureStats s;
  size_t melody_repeats = 0, rhythm_repeats = 0, notes = 0, in_key = 0, all_bars = 0;
  double ranges = 0;
  for (const NoteSequence& piece : pieces) {
    std::vector<Note> melodic;
    for (const Note& n : piece.notes)
      if (!n.is_drum) melodic.push_back(n);
    if (melodic.empty()) continue;
    const std::vector<Bar> bs = bars_of(piece, bars);
    std::vector<int> pitches;
    for (const Bar& b : bs) pitches.insert(pitches.end(), b.pitches.begin(), b.pitches.end());
    if (pitches.empty()) continue;
    const int key = std::max(0, estimate_key(pitches));
    ++s.pieces;
    ranges += *std::max_element(pitches.begin(), pitches.end()) - *std::min_element(pitches.begin(), pitches.end());
    all_bars += bs.size();
    std::set<std::pair<std::vector<int>, std::vector<int>>> shapes;
    std::set<std::vector<int>> rhythms;
    for (const Bar& b : bs) {
      if (b.onsets.empty()) continue;
      ++s.bars;
      const auto shape = melody_shape(b);
      melody_repeats += shapes.count(shape);
      rhythm_repeats += rhythms.count(b.onsets);
      shapes.insert(shape);
      rhythms.insert(b.onsets);
    }
    for (size_t i = 0; i < pitches.size(); ++i) {
      ++notes;
      in_key += in_major_scale(pitches[i], key);
      s.pitch_classes[size_t(((pitches[i] - key) % 12 + 12) % 12)] += 1;
      if (i > 0) s.intervals[size_t(std::clamp(pitches[i] - pitches[i - 1], -12, 12) + 12)] += 1;
    }
  }
  if (s.bars == 0) return s;
  s.melody_repeat = double(melody_repeats) / double(s.bars);
  s.rhythm_repeat = double(rhythm_repeats) / double(s.bars);
  s.notes_per_bar = double(notes) / double(s.bars);
  s.bars_without_onset = 1.0 - double(s.bars) / double(all_bars);
  s.in_key = double(in_key) / double(notes);
  s.pitch_range = ranges / double(s.pieces);
  normalise(s.pitch_classes);
  normalise(s.intervals);
  return s;
}

StructureComparison compare_structure(const std::vector<NoteSequence>& songs, const std::string& data_dir, int bars) {
  if (bars < 1) throw Error("bars", "must be at least 1");
  StructureComparison c;
  c.data = melody_structure(train::corpus_pieces(data_dir, bars), bars);
  if (c.data.pieces == 0) throw Error(data_dir, "has no 4/4 piece of " + std::to_string(bars) + " bars");
  c.samples = melody_structure(songs, bars);
  c.pitch_class_distance = histogram_distance(c.samples.pitch_classes, c.data.pitch_classes);
  c.interval_distance = histogram_distance(c.samples.intervals, c.data.intervals);
  return c;
}

}  // namespace timbrel
