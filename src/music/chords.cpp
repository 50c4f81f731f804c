// Chord symbols: parsing a lead sheet's symbol into the pitch classes it names, then reducing
// them to one of the corpora's kinds by the corpora's own rule (../shared/data/README.md).
#include "timbrel/chords.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstring>
#include <set>

#include "timbrel/error.h"

namespace timbrel {
namespace {

struct KindInfo {
  const char* name;
  const char* suffix;  // chord_symbol's spelling after the root
  std::vector<int> intervals;
};

const KindInfo& info(ChordKind kind) {
  static const KindInfo table[kChordKinds] = {
      {"major", "", {0, 4, 7}},           {"minor", "m", {0, 3, 7}},
      {"dominant7", "7", {0, 4, 7, 10}},  {"major7", "maj7", {0, 4, 7, 11}},
      {"minor7", "m7", {0, 3, 7, 10}},    {"diminished", "dim", {0, 3, 6}},
      {"diminished7", "dim7", {0, 3, 6, 9}}, {"half-diminished", "m7b5", {0, 3, 6, 10}},
      {"augmented", "aug", {0, 4, 8}},    {"sus4", "sus4", {0, 5, 7}},
      {"sus2", "sus2", {0, 2, 7}},        {"major6", "6", {0, 4, 7, 9}},
      {"minor6", "m6", {0, 3, 7, 9}},     {"dominant9", "9", {0, 2, 4, 7, 10}},
      {"power", "5", {0, 7}},             {"other", "(other)", {0}},
  };
  return table[int(kind)];
}

const char* const kSharpNames[12] = {"C", "C#", "D", "D#", "E", "F", "F#", "G", "G#", "A", "A#", "B"};

bool starts(const std::string& s, size_t at, const char* word) { return s.compare(at, std::strlen(word), word) == 0; }

// A note name at `at` (letter, then any #, b, ♯, ♭): its pitch class; `at` moves past it.
int note_name(const std::string& s, size_t& at, const std::string& symbol) {
  static const int letters[7] = {9, 11, 0, 2, 4, 5, 7};  // A..G
  if (at >= s.size() || s[at] < 'A' || s[at] > 'G') throw Error(symbol, "is not a chord symbol (no root note A-G)");
  int pc = letters[s[at++] - 'A'];
  for (;;) {
    if (at < s.size() && s[at] == '#') ++at, ++pc;
    else if (at < s.size() && s[at] == 'b') ++at, --pc;
    else if (starts(s, at, "\u266F")) at += 3, ++pc;
    else if (starts(s, at, "\u266D")) at += 3, --pc;
    else return ((pc % 12) + 12) % 12;
  }
}

// What the quality text after the root says: intervals above the root.
struct Quality {
  int third = 4, fifth = 7, seventh = -1;
  bool no_third = false, other = false;
  std::set<int> added;
  std::set<int> pitches() const {
    std::set<int> p = {0, fifth};
    if (!no_third) p.insert(third);
    if (seventh >= 0) p.insert(seventh);
    p.insert(added.begin(), added.end());
    return p;
  }
};

// An extension number (7, 9, 11, 13, 6, 69; 2 and 4 add that note): the seventh it implies and
// the notes it adds. False for any other number.
bool extend(Quality& q, int number, bool major_seventh) {
  const int seventh = major_seventh ? 11 : 10;
  if (number == 2 || number == 4) q.added.insert(number == 2 ? 2 : 5);
  else if (number == 6) q.added.insert(9);
  else if (number == 69) q.added.insert(9), q.added.insert(2);
  else if (number == 7 || number == 9 || number == 11 || number == 13) {
    if (q.seventh < 0) q.seventh = seventh;
    if (number >= 9) q.added.insert(2);
    if (number == 11) q.added.insert(5);
    if (number == 13) q.added.insert(9);
  } else {
    return false;
  }
  return true;
}

// One alteration or addition ("b5", "#9", "add9", ...) at `at`; false when there is none there.
bool alteration(Quality& q, const std::string& s, size_t& at) {
  static const std::pair<const char*, int> degrees[] = {{"13", 9}, {"11", 5}, {"9", 2}, {"6", 9}, {"5", 7}, {"4", 5}, {"2", 2}};
  int shift = 0;
  bool add = false;
  if (starts(s, at, "add")) at += 3, add = true;
  else if (s[at] == 'b' || s[at] == '-') shift = -1, ++at;
  else if (s[at] == '#' || s[at] == '+') shift = 1, ++at;
  else return false;
  for (const auto& [digits, semis] : degrees) {
    if (!starts(s, at, digits)) continue;
    at += std::strlen(digits);
    const int pc = ((semis + shift) % 12 + 12) % 12;
    if (semis == 7 && !add) q.fifth = pc;  // an altered fifth replaces the fifth
    else q.added.insert(pc);
    if (shift != 0 && semis != 7) q.added.erase(semis);  // 13b9: the flat ninth instead of the ninth
    return true;
  }
  return false;
}

// "maj", "Maj", "ma7", "M", "Δ": a major seventh.
bool major_word(const std::string& s, size_t at) {
  const bool ma_digit = starts(s, at, "ma") && at + 2 < s.size() && std::isdigit(static_cast<unsigned char>(s[at + 2]));
  return starts(s, at, "maj") || starts(s, at, "Maj") || ma_digit || s[at] == 'M' || starts(s, at, "\u0394");
}

Quality parse_quality(const std::string& s, const std::string& symbol) {
  Quality q;
  size_t at = 0;
  bool major_seventh = false;
  auto read_number = [&]() {
    int n = 0;
    for (int digits = 0; at < s.size() && std::isdigit(static_cast<unsigned char>(s[at])) && digits < 3; ++digits) n = n * 10 + (s[at++] - '0');
    return n;
  };
  while (at < s.size()) {
    const char c = s[at];
    if (c == '(' || c == ')' || c == ',' || c == ' ') ++at;
    else if (starts(s, at, "other")) at += 5, q.other = true;  // chord_symbol's spelling of kind other
    else if (major_word(s, at)) {
      const bool delta = starts(s, at, "\u0394");
      at += delta ? 2 : starts(s, at, "maj") || starts(s, at, "Maj") ? 3 : starts(s, at, "ma") ? 2 : 1;
      major_seventh = true;  // "maj" and "M" alone are the major triad (as Magenta reads them); "Δ" alone is maj7
      if (delta && (at >= s.size() || !std::isdigit(static_cast<unsigned char>(s[at])))) extend(q, 7, true);
    } else if (starts(s, at, "min") || starts(s, at, "mi") || c == 'm' || (c == '-' && at == 0)) {
      at += starts(s, at, "min") ? 3 : starts(s, at, "mi") ? 2 : 1;
      q.third = 3;
    } else if (starts(s, at, "dim") || c == 'o' || starts(s, at, "\u00B0")) {
      at += starts(s, at, "dim") ? 3 : c == 'o' ? 1 : 2;
      q.third = 3, q.fifth = 6;
      if (at < s.size() && s[at] == '7') ++at, q.seventh = 9;
    } else if (starts(s, at, "\u00F8") || starts(s, at, "\u00D8")) {
      at += 2;
      q.third = 3, q.fifth = 6, q.seventh = 10;
      if (at < s.size() && s[at] == '7') ++at;
    } else if (starts(s, at, "aug") || (c == '+' && (at + 1 >= s.size() || !std::isdigit(static_cast<unsigned char>(s[at + 1])) || s[at + 1] == '7'))) {
      at += c == '+' ? 1 : 3;
      q.fifth = 8;
    } else if (starts(s, at, "sus")) {
      at += 3;
      q.third = at < s.size() && s[at] == '2' ? 2 : 5;
      if (at < s.size() && (s[at] == '2' || s[at] == '4')) ++at;
    } else if (starts(s, at, "alt")) {
      at += 3;
      extend(q, 7, false), q.added.insert(1), q.added.insert(3);
    } else if (c == '5' && at == 0 && s.size() == 1) {
      ++at;
      q.no_third = true;
    } else if (std::isdigit(static_cast<unsigned char>(c))) {
      const size_t number_at = at;
      if (!extend(q, read_number(), major_seventh)) throw Error(symbol, "is not a chord symbol (cannot read '" + s.substr(number_at) + "')");
    } else if (!alteration(q, s, at)) {
      throw Error(symbol, "is not a chord symbol (cannot read '" + s.substr(at) + "')");
    }
  }
  return q;
}

// The corpora's reduction: the exact template, else the largest contained (earlier kinds first
// on a tie), else the same with an altered fifth read as perfect, else other.
ChordKind reduce(std::set<int> pitches) {
  for (int pass = 0; pass < 2; ++pass) {
    int best = -1;
    size_t best_size = 0;
    for (int k = 0; k + 1 < kChordKinds; ++k) {
      const std::vector<int>& t = info(ChordKind(k)).intervals;
      const bool contained = std::all_of(t.begin(), t.end(), [&](int i) { return pitches.count(i) > 0; });
      if (contained && t.size() == pitches.size()) return ChordKind(k);
      if (contained && t.size() > best_size && t.size() >= 3) best = k, best_size = t.size();
    }
    if (best >= 0) return ChordKind(best);
    if (!pitches.count(6) && !pitches.count(8)) break;
    pitches.erase(6), pitches.erase(8), pitches.insert(7);
  }
  return pitches == std::set<int>{0, 7} ? ChordKind::Power : ChordKind::Other;
}

}  // namespace

const char* chord_kind_name(ChordKind kind) { return info(kind).name; }

ChordKind chord_kind_from_name(const std::string& name) {
  for (int k = 0; k < kChordKinds; ++k)
    if (name == info(ChordKind(k)).name) return ChordKind(k);
  throw Error(name, "is not a chord kind (major, minor, dominant7, major7, minor7, diminished, diminished7, "
                    "half-diminished, augmented, sus4, sus2, major6, minor6, dominant9, power, other)");
}

Chord parse_chord(const std::string& symbol) {
  std::string s = symbol;
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.pop_back();
  s.erase(0, std::min(s.size(), s.find_first_not_of(" \t")));
  if (s.empty()) throw Error("chord symbol", "is empty");
  if (s == "N" || s == "NC" || s == "N.C." || s == "N.C") return Chord{};
  size_t at = 0;
  Chord chord;
  chord.root = note_name(s, at, symbol);
  std::string quality = s.substr(at), bass;
  const size_t slash = quality.find('/');
  if (slash != std::string::npos) {
    bass = quality.substr(slash + 1);
    quality = quality.substr(0, slash);
    if (bass.empty()) throw Error(symbol, "is not a chord symbol (nothing after the '/')");
    if (!bass.empty() && std::isdigit(static_cast<unsigned char>(bass[0]))) quality += bass, bass.clear();  // 6/9
  }
  const Quality q = parse_quality(quality, symbol);
  chord.kind = q.other ? ChordKind::Other : reduce(q.pitches());
  chord.bass = chord.root;
  if (!bass.empty()) {
    size_t b = 0;
    chord.bass = note_name(bass, b, symbol);
    if (b != bass.size()) throw Error(symbol, "is not a chord symbol (cannot read the bass '" + bass + "')");
  }
  return chord;
}

std::string chord_symbol(const Chord& chord) {
  if (chord.is_none()) return "N.C.";
  std::string s = std::string(kSharpNames[chord.root % 12]) + info(chord.kind).suffix;
  if (chord.bass >= 0 && chord.bass != chord.root) s += std::string("/") + kSharpNames[chord.bass % 12];
  return s;
}

std::vector<int> chord_pitch_classes(const Chord& chord) {
  std::vector<int> pcs;
  if (chord.is_none()) return pcs;
  for (int i : info(chord.kind).intervals) pcs.push_back((chord.root + i) % 12);
  std::sort(pcs.begin(), pcs.end());
  return pcs;
}

Chord transpose_chord(const Chord& chord, int semitones) {
  if (chord.is_none()) return chord;
  Chord out = chord;
  out.root = ((chord.root + semitones) % 12 + 12) % 12;
  if (chord.bass >= 0) out.bass = ((chord.bass + semitones) % 12 + 12) % 12;
  return out;
}

std::array<float, kChordPitchesDepth> encode_chord_pitches(const Chord& chord) {
  std::array<float, kChordPitchesDepth> v{};
  if (chord.is_none()) {
    v[0] = 1;
    return v;
  }
  v[size_t(1 + chord.root)] = 1;
  for (int pc : chord_pitch_classes(chord)) v[size_t(13 + pc)] = 1;
  v[size_t(25 + (chord.bass >= 0 ? chord.bass : chord.root))] = 1;
  return v;
}

int triad_class(const Chord& chord) {
  if (chord.is_none()) return 0;
  int triad = 0;  // major: also dominant, sus and power chords
  switch (chord.kind) {
    case ChordKind::Minor: case ChordKind::Minor7: case ChordKind::Minor6: triad = 1; break;
    case ChordKind::Augmented: triad = 2; break;
    case ChordKind::Diminished: case ChordKind::Diminished7: case ChordKind::HalfDiminished: triad = 3; break;
    default: break;
  }
  return 1 + 12 * triad + chord.root;
}

Chord triad_chord(int triad_class) {
  if (triad_class < 0 || triad_class >= kTriadClasses) throw Error("triad_class", "must be 0..48, not " + std::to_string(triad_class));
  if (triad_class == 0) return Chord{};
  static const ChordKind triads[4] = {ChordKind::Major, ChordKind::Minor, ChordKind::Augmented, ChordKind::Diminished};
  const int root = (triad_class - 1) % 12;
  return Chord{root, triads[(triad_class - 1) / 12], root};
}

}  // namespace timbrel
