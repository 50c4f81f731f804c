// How the event RNNs continue held-out primers, beside what the pieces really do next.
#include <algorithm>
#include <array>
#include <cmath>

#include "music/beat_grid.h"
#include "music/file_split.h"
#include "music/lead_sheet.h"
#include "timbrel/error.h"
#include "timbrel/music.h"
#include "timbrel/bundled_models.h"
#include "timbrel/evaluate.h"
#include "train/event_rnn_trainer.h"
#include "train/musicvae_data.h"
#include "train/torch_trainers.h"
#include "train/train_util.h"

namespace timbrel::train {

namespace {
constexpr std::array<int, 7> kMajor{0, 2, 4, 5, 7, 9, 11};
}

bool in_major_scale(int pitch, int tonic) {
  const int pc = ((pitch - tonic) % 12 + 12) % 12;
  for (int s : kMajor)
    if (pc == s) return true;
  return false;
}

int estimate_key(const std::vector<int>& pitches) {
  int best = -1;
  size_t best_count = 0;
  for (int tonic = 0; tonic < 12; ++tonic) {
    size_t count = 0;
    for (int p : pitches) count += in_major_scale(p, tonic);
    if (count > best_count) best = tonic, best_count = count;
  }
  return best;
}

int estimate_key(const std::vector<Note>& notes) {
  std::vector<int> pitches;
  for (const Note& n : notes) pitches.push_back(n.pitch);
  return estimate_key(pitches);
}

namespace {

// Strong-beat onsets (beats 1 and 3 of 4/4) that are tones of the chord sounding there. Onsets
// count at their sixteenth, as the models read them: a played file's (POP909's) are a few
// milliseconds off the grid, and an exact test would keep only its few exact ones.
struct ChordToneCount {
  size_t strong = 0, tones = 0;
  void add(const std::vector<Note>& notes, const std::vector<ChordSpan>& chords, double qpm) {
    for (const Note& n : notes) {
      const double beat = std::round(n.start_time * qpm / 60.0 * 4) / 4, in_bar = std::fmod(beat + 1e-6, 4.0);
      if (std::fabs(in_bar - std::round(in_bar)) > 2e-6 || int(std::round(in_bar)) % 2 != 0) continue;
      for (const ChordSpan& c : chords)
        if (c.start_beat <= beat + 1e-6 && beat + 1e-6 < c.end_beat && !c.chord.is_none()) {
          ++strong;
          const std::vector<int> pcs = chord_pitch_classes(c.chord);
          tones += std::find(pcs.begin(), pcs.end(), ((n.pitch % 12) + 12) % 12) != pcs.end() || (n.pitch % 12) == c.chord.bass;
          break;
        }
    }
  }
  double share() const { return strong ? double(tones) / double(strong) : -1; }
};

// A held-out file and, for melodies, its chords (empty when it has none), on its beat grid.
bool read_scored_file(const std::string& file, const BeatGrids& grids, bool with_chords, LeadSheet& sheet) {
  try {
    if (!with_chords) sheet.melody = read_midi_on_grid(file, grids);
    else if (!read_lead_sheet(file, grids, sheet)) sheet.chords.clear();
    return true;
  } catch (const Error&) {
    return false;
  }
}

// The chords from `from_beat` on, moved to start there.
std::vector<ChordSpan> chords_after(const std::vector<ChordSpan>& chords, double from_beat, double beats) {
  std::vector<ChordSpan> out;
  for (ChordSpan c : chords)
    if (c.end_beat > from_beat + 1e-9 && c.start_beat < from_beat + beats - 1e-9) {
      c.start_beat = std::max(0.0, c.start_beat - from_beat);
      c.end_beat = std::min(beats, c.end_beat - from_beat);
      out.push_back(c);
    }
  return out;
}

}  // namespace

ContinuationScore score_continuations(const EventRnn& model, const std::vector<std::string>& files, const BeatGrids& grids, int primer_bars, int bars,
                                      double temperature, uint64_t seed, double chord_guidance) {
  const bool drums = model.info().kind == ModelKind::Drums;
  ContinuationScore s;
  size_t in_key = 0, real_in_key = 0, on_grid = 0, primer_notes = 0;
  ChordToneCount tones, real_tones;
  for (size_t i = 0; i < files.size(); ++i) {
    LeadSheet sheet;
    if (!read_scored_file(files[i], grids, !drums, sheet)) continue;
    const NoteSequence& seq = sheet.melody;
    if (model.info().chords && sheet.chords.empty()) continue;
    const bool four_four = seq.time_signatures.empty() || (seq.time_signatures[0].numerator == 4 && seq.time_signatures[0].denominator == 4);
    if (!four_four || seq.time_signatures.size() > 1 || seq.tempos.size() > 1) continue;
    start_at_first_note_bar(sheet.melody, sheet.chords, drums);
    const double bar = 4 * 60.0 / seq.first_qpm(), cut = primer_bars * bar, next_end = cut + bars * bar;
    NoteSequence primer = seq;
    primer.notes.clear();
    std::vector<Note> real;
    for (Note n : seq.notes) {
      if (n.is_drum != drums) continue;
      if (n.start_time < cut - 1e-6) n.end_time = std::min(n.end_time, cut), primer.notes.push_back(n);
      else if (n.start_time < next_end - 1e-6) real.push_back(n);
    }
    if (primer.notes.empty() || real.empty()) continue;
    ContinueOptions o;
    o.bars = bars;
    o.temperature = temperature;
    o.seed = seed + i;
    o.chord_guidance = chord_guidance;
    if (model.info().chords) {  // the continuation starts on the bar after the primer's last (quantized) note
      const double start_beat = 4 * std::ceil(double(quantize(primer, 4).total_quantized_steps) / 16 - 1e-9);
      set_chords(primer, chords_after(sheet.chords, 0, start_beat));
      o.chords = chords_after(sheet.chords, start_beat, bars * 4.0);
      if (o.chords.empty()) continue;
    }
    const std::vector<Note> cont = model.continuation(primer, o);
    ++s.files;
    s.notes += cont.size();
    s.real_notes += real.size();
    primer_notes += primer.notes.size();
    if (drums) {
      const double step = bar / 16;
      for (const Note& n : cont) on_grid += std::fabs(n.start_time / step - std::round(n.start_time / step)) < 1e-6;
    } else {
      const int key = estimate_key(primer.notes);
      for (const Note& n : cont) in_key += in_major_scale(n.pitch, key);
      for (const Note& n : real) real_in_key += in_major_scale(n.pitch, key);
      tones.add(cont, sheet.chords, seq.first_qpm());
      real_tones.add(real, sheet.chords, seq.first_qpm());
    }
  }
  if (s.files == 0) return s;
  if (drums) {
    s.hits_per_bar = double(s.notes) / double(s.files * size_t(bars));
    s.real_hits_per_bar = double(s.real_notes) / double(s.files * size_t(bars));
    s.on_grid = s.notes ? double(on_grid) / double(s.notes) : 1.0;
  } else {
    s.in_key = s.notes ? double(in_key) / double(s.notes) : 0.0;
    s.notes_per_bar = double(s.notes) / double(s.files * size_t(bars));
    s.real_notes_per_bar = double(s.real_notes) / double(s.files * size_t(bars));
    s.primer_notes_per_bar = double(primer_notes) / double(s.files * size_t(primer_bars));
    s.real_in_key = double(real_in_key) / double(s.real_notes);
    s.chord_tones = tones.share();
    s.real_chord_tones = real_tones.share();
  }
  return s;
}

std::string continuation_about(int primer_bars, int bars, double temperature, const std::string& which_files, double chord_guidance) {
  const std::string guidance = chord_guidance >= 0 ? " with chord guidance " + format_fixed(chord_guidance, 2) : "";
  return std::to_string(primer_bars) + " bars of each " + which_files + "4/4 file from its first note's bar continued " +
         std::to_string(bars) + " bars at temperature " + format_fixed(temperature, 2) + guidance + ", beside the file's real next " +
         std::to_string(bars) + " bars";
}

nlohmann::json continuation_json(const ContinuationScore& c, const std::string& about) {
  nlohmann::json j = {{"files", c.files}, {"notes", c.notes}, {"real_notes", c.real_notes}};
  if (c.in_key >= 0) j["in_key"] = c.in_key, j["real_in_key"] = c.real_in_key;
  if (c.notes_per_bar >= 0)
    j["notes_per_bar"] = c.notes_per_bar, j["real_notes_per_bar"] = c.real_notes_per_bar, j["primer_notes_per_bar"] = c.primer_notes_per_bar;
  if (c.chord_tones >= 0) j["strong_beat_chord_tones"] = c.chord_tones, j["real_strong_beat_chord_tones"] = c.real_chord_tones;
  if (c.hits_per_bar >= 0) j["hits_per_bar"] = c.hits_per_bar, j["real_hits_per_bar"] = c.real_hits_per_bar, j["on_grid"] = c.on_grid;
  j["about"] = about.empty() ? continuation_about(4, 4, 1.0, "held-out ") : about;
  return j;
}

}  // namespace timbrel::train

namespace timbrel {

EventRnnEvalReport evaluate_event_rnn(const EventRnnEvalOptions& o) {
  EventRnnEvalReport r;
  r.model = o.model.empty() ? bundled_model_path(to_string(o.kind) + "-rnn") : o.model;
  const EventRnn model = EventRnn::load(r.model);
  if (model.info().kind != o.kind)
    throw Error(r.model, "is a " + to_string(model.info().kind) + " RNN, not a " + to_string(o.kind) + " RNN");
  if (o.held_out && o.training_files) throw Error("training_files", "and held_out exclude each other");
  const std::vector<std::string> files = o.held_out         ? split_files(o.data, o.validation_fraction).validation
                                         : o.training_files ? split_files(o.data, o.validation_fraction).train
                                                            : train::list_midi_files(o.data);
  if (files.empty()) throw Error(o.data, o.held_out ? "holds no held-out files" : "holds no MIDI files to evaluate");
  r.next = torch_trainers().score_event_rnn(model, o.data, files, 128);
  r.continuation = train::score_continuations(model, files, BeatGrids(o.data), o.primer_bars, o.bars, o.temperature, o.seed, o.chord_guidance);
  const double guidance = model.info().chords ? model.info().guidance_for(o.chord_guidance) : -1;
  const char* which = o.held_out ? "held-out " : o.training_files ? "training " : "";
  r.continuation_about = train::continuation_about(o.primer_bars, o.bars, o.temperature, which, guidance);
  return r;
}

std::string to_json(const ContinuationScore& score, const std::string& about) { return train::continuation_json(score, about).dump(); }

}  // namespace timbrel
