// Engine::part_levels and balance_parts: each part of a song rendered alone, measured, and set
// beside the melody by its channel volume.
#include <algorithm>
#include <cmath>
#include <map>

#include "music/arrangement_parts.h"
#include "timbrel/engine.h"
#include "timbrel/error.h"

namespace timbrel {
namespace {

// Scales `instrument`'s loudness by `change_db`: its channels' volume (CC7; 100 where none is set,
// as players default; 40 log10(v / 127) dB), and its velocities for what CC7 127 cannot give
// (they stop at 127).
void change_gain(NoteSequence& seq, int instrument, double change_db) {
  std::vector<int> channels;
  for (const Note& n : seq.notes)
    if (n.instrument == instrument && std::find(channels.begin(), channels.end(), n.channel) == channels.end()) channels.push_back(n.channel);
  for (int channel : channels) {
    for (const Note& n : seq.notes)
      if (n.channel == channel && n.instrument != instrument)
        throw Error("instrument " + std::to_string(instrument), "shares MIDI channel " + std::to_string(channel + 1) +
                                                                    " with another part; its volume cannot be set alone");
    std::vector<ControlChange*> volumes;
    for (ControlChange& c : seq.control_changes)
      if (c.channel == channel && c.number == 7) volumes.push_back(&c);
    if (volumes.empty()) {
      seq.control_changes.insert(seq.control_changes.begin(), ControlChange{0.0, 7, 100, channel, instrument});
      volumes.push_back(&seq.control_changes.front());
    }
    const double factor = std::pow(10.0, change_db / 40);
    double over = 1;  // what CC7 cannot give, as an amplitude factor
    for (ControlChange* c : volumes) {
      const double wanted = c->value * factor;
      c->value = std::clamp(int(std::lround(wanted)), 1, 127);
      over = std::max(over, std::pow(wanted / 127.0, 2));
    }
    if (over > 1)
      for (Note& n : seq.notes)
        if (n.instrument == instrument && n.channel == channel) n.velocity = std::clamp(int(std::lround(n.velocity * over)), 1, 127);
  }
}

}  // namespace

std::vector<PartLevel> Engine::part_levels(const NoteSequence& sequence, NoteRenderOptions options) {
  options.loudness.reset();
  options.progress = nullptr;
  std::map<int, PartLevel> parts;
  for (const Note& n : sequence.notes) {
    PartLevel& p = parts[n.instrument];
    if (p.notes++ == 0) p.instrument = n.instrument, p.program = n.program, p.drums = n.is_drum;
  }
  for (const TrackInfo& t : sequence.tracks)
    if (parts.count(t.instrument)) parts[t.instrument].name = t.name;
  std::vector<PartLevel> out;
  for (auto& [instrument, level] : parts) {
    NoteSequence alone = sequence;
    alone.notes.erase(std::remove_if(alone.notes.begin(), alone.notes.end(), [&](const Note& n) { return n.instrument != instrument; }),
                      alone.notes.end());
    NoteRenderReport r;
    render(alone, options, &r);
    level.lufs = r.integrated_lufs;
    out.push_back(level);
  }
  return out;
}

std::vector<PartLevel> Engine::balance_parts(NoteSequence& sequence, int melody, const std::vector<std::pair<int, double>>& offsets_db,
                                             NoteRenderOptions options) {
  std::vector<PartLevel> levels = part_levels(sequence, options);
  auto level_of = [&](int instrument) {
    auto it = std::find_if(levels.begin(), levels.end(), [&](const PartLevel& p) { return p.instrument == instrument; });
    if (it == levels.end()) throw Error("instrument " + std::to_string(instrument), "has no notes in the sequence to balance");
    return it;
  };
  const double reference = level_of(melody)->lufs;
  for (const auto& [instrument, offset] : offsets_db) {
    auto part = level_of(instrument);
    if (!std::isfinite(offset)) throw Error("offsets_db", "must be finite numbers of dB");
    if (!std::isfinite(reference) || !std::isfinite(part->lufs)) continue;  // a silent part: nothing to measure
    change_gain(sequence, instrument, reference + offset - part->lufs);
    part->lufs = reference + offset;
  }
  return levels;
}

void Engine::balance_arrangement(NoteSequence& song, const NoteRenderOptions& options, bool drums) {
  const arrangement::ArrangedTracks named = arrangement::arranged_tracks(song);
  const int bass = named.bass, accompaniment = named.accompaniment;
  int melody = -1, kit = -1;
  for (const Note& n : song.notes) {
    if (melody < 0 && !n.is_drum && n.instrument != bass && n.instrument != accompaniment) melody = n.instrument;
    if (kit < 0 && n.is_drum) kit = n.instrument;
  }
  std::vector<std::pair<int, double>> offsets;
  if (drums && kit >= 0) offsets.push_back({kit, kArrangedDrumsDb});
  if (bass >= 0) offsets.push_back({bass, kArrangedBassDb});
  if (accompaniment >= 0) offsets.push_back({accompaniment, kArrangedAccompanimentDb});
  if (melody >= 0 && !offsets.empty()) balance_parts(song, melody, offsets, options);
}

}  // namespace timbrel
