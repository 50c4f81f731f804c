// POP909-style beat grids: info.csv rows of beat offsets and bar lengths, and the shift onto them.
#include "music/beat_grid.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "music/quarter_clock.h"
#include "timbrel/error.h"
#include "timbrel/music.h"
#include "util/csv.h"

namespace timbrel {
namespace {

namespace fs = std::filesystem;

double number_field(const std::string& field, const std::string& where, double low, double high) {
  char* end = nullptr;
  const double v = std::strtod(field.c_str(), &end);
  if (field.empty() || *end || !std::isfinite(v) || v < low || v > high)
    throw Error(where, "'" + field + "' is not a number in " + std::to_string(low) + " .. " + std::to_string(high));
  return v;
}

// Moves a list of timed events `shift` seconds earlier; events before 0 land on 0.
template <typename Events>
void move_earlier(Events& events, double shift) {
  for (auto& e : events) e.time = std::max(0.0, e.time - shift);
}

}  // namespace

BeatGrids::BeatGrids(const std::string& folder) {
  std::string path;
  std::error_code ec;
  fs::path dir = fs::path(folder).lexically_normal();
  if (dir.filename().empty()) dir = dir.parent_path();  // "pop909/midi/": its parent is pop909
  for (const fs::path& p : {dir / "info.csv", dir.parent_path() / "info.csv"})
    if (path.empty() && fs::is_regular_file(p, ec)) path = p.string();
  if (path.empty()) return;
  std::ifstream in(path);
  std::string line;
  if (!in || !std::getline(in, line)) return;
  const std::vector<std::string> header = csv_fields(line);
  auto col = [&](const char* name) { return size_t(std::find(header.begin(), header.end(), name) - header.begin()); };
  const size_t song = col("song"), offset = col("beat_offset"), bar = col("bar_beats"), downbeat = col("first_downbeat");
  if (song >= header.size() || offset >= header.size()) return;  // another kind of info.csv (Groove's)
  for (int number = 2; std::getline(in, line); ++number) {
    if (line.empty() || line == "\r") continue;
    const std::vector<std::string> f = csv_fields(line);
    const std::string where = path + " line " + std::to_string(number);
    if (f.size() != header.size()) throw Error(where, "has " + std::to_string(f.size()) + " fields; the header has " + std::to_string(header.size()));
    BeatGrid g;
    g.offset = number_field(f[offset], where, 0, 1e6);
    if (bar < header.size()) g.bar_quarters = int(number_field(f[bar], where, 1, 64));
    if (downbeat < header.size()) g.first_bar = number_field(f[downbeat], where, 0, 1e6);
    grids_[f[song]] = g;
  }
}

const BeatGrid* BeatGrids::find(const std::string& midi_path) const {
  const auto it = grids_.find(fs::path(midi_path).stem().string());
  return it == grids_.end() ? nullptr : &it->second;
}

double BeatGrid::shift() const {
  if (first_bar >= 0 && bar_quarters > 0) return std::fmod(first_bar, double(bar_quarters));
  return offset;
}

void start_at_first_note_bar(NoteSequence& seq, std::vector<ChordSpan>& chords, bool drums) {
  double first = -1;
  for (const Note& n : seq.notes)
    if (n.is_drum == drums && (first < 0 || n.start_time < first)) first = n.start_time;
  if (first <= 0) return;
  const TimeSignature* ts = seq.time_signatures.empty() ? nullptr : &seq.time_signatures.front();
  const double bar = ts ? 4.0 * ts->numerator / ts->denominator : 4.0;  // quarter notes
  const double bars_before = std::floor(QuarterClock(seq).quarters(first) / bar + 1e-6);  // along the tempo map
  if (bars_before < 1) return;
  BeatGrid from;
  from.offset = bar * bars_before;
  align_to_grid(seq, chords, from);
}

NoteSequence read_midi_on_grid(const std::string& path, const BeatGrids& grids) {
  NoteSequence seq = read_midi(path);
  if (const BeatGrid* grid = grids.find(path)) {
    std::vector<ChordSpan> none;
    align_to_grid(seq, none, *grid);
  }
  return seq;
}

void align_to_grid(NoteSequence& seq, std::vector<ChordSpan>& chords, const BeatGrid& grid) {
  const double quarters = grid.shift(), shift = QuarterClock(seq).seconds(quarters);
  seq.notes.erase(std::remove_if(seq.notes.begin(), seq.notes.end(), [&](const Note& n) { return n.end_time <= shift; }), seq.notes.end());
  for (Note& n : seq.notes) n.start_time = std::max(0.0, n.start_time - shift), n.end_time -= shift;
  // The tempo in effect at the first beat starts the song.
  std::vector<Tempo> tempos;
  for (const Tempo& t : seq.tempos) {
    if (t.time <= shift && !tempos.empty()) tempos.pop_back();
    tempos.push_back({std::max(0.0, t.time - shift), t.qpm});
  }
  seq.tempos = tempos;
  move_earlier(seq.pitch_bends, shift), move_earlier(seq.control_changes, shift), move_earlier(seq.key_signatures, shift);
  move_earlier(seq.text_annotations, shift), move_earlier(seq.time_signatures, shift);
  if (grid.bar_quarters > 0) seq.time_signatures = {TimeSignature{0.0, grid.bar_quarters, 4}};
  seq.total_time = std::max(0.0, seq.total_time - shift);
  chords.erase(std::remove_if(chords.begin(), chords.end(), [&](const ChordSpan& c) { return c.end_beat <= quarters; }), chords.end());
  for (ChordSpan& c : chords) c.start_beat = std::max(0.0, c.start_beat - quarters), c.end_beat -= quarters;
}

}  // namespace timbrel
