// Chords over time: the corpora's chords CSV, and chord symbols as a NoteSequence's text
// annotations (each lasting until the next, as Magenta's chord progressions do).
#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <fstream>
#include <sstream>

#include "music/quarter_clock.h"
#include "timbrel/chords.h"
#include "timbrel/error.h"
#include "util/atomic_file.h"
#include "util/csv.h"

namespace timbrel {
namespace {

constexpr double kBeatEpsilon = 1e-6;

// A CSV line's fields; a field in double quotes may hold commas ("" is a quote).
int pitch_class_field(const std::string& field, const std::string& where) {
  char* end = nullptr;
  const long v = std::strtol(field.c_str(), &end, 10);
  if (field.empty() || *end || v < 0 || v > 11) throw Error(where, "'" + field + "' is not a pitch class 0..11");
  return int(v);
}

double beat_field(const std::string& field, const std::string& where) {
  char* end = nullptr;
  const double v = std::strtod(field.c_str(), &end);
  if (field.empty() || *end || !std::isfinite(v) || v < 0) throw Error(where, "'" + field + "' is not a beat >= 0");
  return v;
}

// One data row: the columns when they are given, else what the symbol says.
ChordSpan chord_row(const std::vector<std::string>& f, const std::string& where) {
  if (f.size() != 6) throw Error(where, "has " + std::to_string(f.size()) + " fields, not 6 (start_beat,end_beat,root,kind,bass,symbol)");
  ChordSpan span;
  span.start_beat = beat_field(f[0], where);
  span.end_beat = beat_field(f[1], where);
  if (span.end_beat <= span.start_beat) throw Error(where, "ends (beat " + f[1] + ") before it starts (beat " + f[0] + ")");
  span.symbol = f[5];
  if (f[2].empty() && f[3].empty()) {
    try {
      span.chord = parse_chord(f[5]);
    } catch (const Error& e) {
      throw Error(where, e.what());
    }
  } else {
    span.chord.root = pitch_class_field(f[2], where);
    try {
      span.chord.kind = chord_kind_from_name(f[3]);
    } catch (const Error& e) {
      throw Error(where, e.what());
    }
    span.chord.bass = f[4].empty() ? span.chord.root : pitch_class_field(f[4], where);
  }
  if (span.symbol.empty()) span.symbol = chord_symbol(span.chord);
  return span;
}

std::string csv_quoted(const std::string& text) {
  if (text.find_first_of(",\"\r\n") == std::string::npos) return text;
  std::string q = "\"";
  for (char c : text) q += c == '"' ? std::string("\"\"") : std::string(1, c);
  return q + "\"";
}

std::string beat_text(double beat) {
  std::ostringstream s;
  s.precision(10);
  s << beat;
  return s.str();
}

// The chord-symbol annotations of `seq`, in time order.
std::vector<const TextAnnotation*> chord_marks(const NoteSequence& seq) {
  std::vector<const TextAnnotation*> marks;
  for (const TextAnnotation& a : seq.text_annotations)
    if (a.type == TextAnnotation::ChordSymbol) marks.push_back(&a);
  std::stable_sort(marks.begin(), marks.end(), [](auto* a, auto* b) { return a->time < b->time; });
  return marks;
}

}  // namespace

std::vector<ChordSpan> read_chords_csv(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw Error(path, "cannot be read");
  std::string line;
  if (!std::getline(in, line) || csv_fields(line) != std::vector<std::string>{"start_beat", "end_beat", "root", "kind", "bass", "symbol"})
    throw Error(path, "is not a chords CSV (its header must be start_beat,end_beat,root,kind,bass,symbol)");
  std::vector<ChordSpan> chords;
  for (int number = 2; std::getline(in, line); ++number) {
    if (line.empty() || line == "\r") continue;
    chords.push_back(chord_row(csv_fields(line), path + " line " + std::to_string(number)));
  }
  std::stable_sort(chords.begin(), chords.end(), [](const ChordSpan& a, const ChordSpan& b) { return a.start_beat < b.start_beat; });
  return chords;
}

void write_chords_csv(const std::vector<ChordSpan>& chords, const std::string& path) {
  std::ostringstream out;
  out << "start_beat,end_beat,root,kind,bass,symbol\n";
  for (const ChordSpan& c : chords) {
    out << beat_text(c.start_beat) << ',' << beat_text(c.end_beat) << ',';
    if (c.chord.is_none()) out << ",,,";
    else out << c.chord.root << ',' << chord_kind_name(c.chord.kind) << ',' << (c.chord.bass >= 0 ? c.chord.bass : c.chord.root) << ',';
    out << csv_quoted(c.symbol.empty() ? chord_symbol(c.chord) : c.symbol) << '\n';
  }
  AtomicFile file(path);
  const std::string text = out.str();
  file.write(text.data(), text.size());
  file.commit();
}

std::vector<ChordSpan> chord_spans(const NoteSequence& seq) {
  const QuarterClock clock(seq);
  const std::vector<const TextAnnotation*> marks = chord_marks(seq);
  const double end = clock.quarters(seq.total_time);
  std::vector<ChordSpan> spans;
  for (size_t i = 0; i < marks.size(); ++i) {
    ChordSpan s;
    s.start_beat = clock.quarters(marks[i]->time);
    s.end_beat = i + 1 < marks.size() ? clock.quarters(marks[i + 1]->time) : std::max(end, s.start_beat);
    s.chord = parse_chord(marks[i]->text);
    s.symbol = marks[i]->text;
    if (s.end_beat - s.start_beat > kBeatEpsilon) spans.push_back(std::move(s));
  }
  return spans;
}

void set_chords(NoteSequence& seq, const std::vector<ChordSpan>& chords) {
  const QuarterClock clock(seq);
  std::vector<TextAnnotation> kept;
  for (TextAnnotation& a : seq.text_annotations)
    if (a.type != TextAnnotation::ChordSymbol) kept.push_back(std::move(a));
  auto mark = [&](double beat, std::string text) {
    TextAnnotation a;
    a.time = clock.seconds(beat), a.text = std::move(text), a.type = TextAnnotation::ChordSymbol;
    kept.push_back(std::move(a));
  };
  std::vector<ChordSpan> sorted = chords;
  std::stable_sort(sorted.begin(), sorted.end(), [](const ChordSpan& a, const ChordSpan& b) { return a.start_beat < b.start_beat; });
  for (size_t i = 0; i < sorted.size(); ++i) {
    const ChordSpan& c = sorted[i];
    const bool text_reads = !c.symbol.empty() && [&] { try { return parse_chord(c.symbol) == c.chord; } catch (const Error&) { return false; } }();
    mark(c.start_beat, text_reads ? c.symbol : chord_symbol(c.chord));
    const bool gap = i + 1 == sorted.size() || sorted[i + 1].start_beat > c.end_beat + kBeatEpsilon;
    if (gap && !c.chord.is_none()) mark(c.end_beat, "N.C.");
  }
  std::stable_sort(kept.begin(), kept.end(), [](const TextAnnotation& a, const TextAnnotation& b) { return a.time < b.time; });
  seq.text_annotations = std::move(kept);
}

std::vector<ChordSpan> parse_progression(const std::string& text, double beats_per_bar) {
  if (!(beats_per_bar > 0)) throw Error("beats_per_bar", "must be positive");
  std::vector<ChordSpan> out;
  std::string spaced = text;
  std::replace(spaced.begin(), spaced.end(), '|', ' ');  // bar lines, as lead sheets draw them
  std::istringstream bars(spaced);
  std::string bar;
  for (double start = 0; bars >> bar; start += beats_per_bar) {
    std::vector<std::string> symbols;
    std::istringstream parts(bar);
    for (std::string s; std::getline(parts, s, ',');) symbols.push_back(s);
    const double each = beats_per_bar / double(symbols.size());
    for (size_t i = 0; i < symbols.size(); ++i) {
      ChordSpan span{start + double(i) * each, start + double(i + 1) * each, {}, symbols[i]};
      try {
        span.chord = parse_chord(symbols[i]);
      } catch (const Error& e) {
        throw Error("chords", "'" + symbols[i] + "' in \"" + text + "\": " + e.problem());
      }
      out.push_back(span);
    }
  }
  if (out.empty()) throw Error("chords", "the progression is empty (give chord symbols such as \"C G Am F\")");
  return out;
}

std::vector<Chord> chords_per_step(const NoteSequence& quantized, int64_t steps) {
  if (!quantized.is_quantized()) throw Error("sequence", "must be quantized before its chords are read per step");
  const std::vector<const TextAnnotation*> marks = chord_marks(quantized);  // steps follow times
  std::vector<Chord> out(size_t(std::max<int64_t>(0, steps)));
  size_t next = 0;
  Chord now;
  for (int64_t s = 0; s < steps; ++s) {
    for (; next < marks.size() && marks[next]->quantized_step <= s; ++next) now = parse_chord(marks[next]->text);
    out[size_t(s)] = now;
  }
  return out;
}

}  // namespace timbrel
