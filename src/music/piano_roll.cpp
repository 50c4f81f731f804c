// write_piano_roll: a NoteSequence drawn as a PNG, each instrument in its own colour.
#include <algorithm>
#include <cmath>
#include <map>

#include "music/quarter_clock.h"
#include "timbrel/error.h"
#include "timbrel/music.h"
#include "util/png.h"

namespace timbrel {
namespace {

constexpr int kDrumBand = 40;  // pixels for the drum hits, below the pitches
constexpr double kMaxSeconds = 3600;
constexpr double kMaxPixels = 1e8;  // 300 MB of RGB

struct Canvas {
  int width, height;
  std::vector<uint8_t> rgb;
  void fill(int x0, int y0, int x1, int y1, const uint8_t* colour) {
    for (int y = std::max(0, y0); y < std::min(height, y1); ++y)
      for (int x = std::max(0, x0); x < std::min(width, x1); ++x) std::copy(colour, colour + 3, &rgb[3 * (size_t(y) * size_t(width) + size_t(x))]);
  }
};

// Distinct colours for instruments in order of appearance (a qualitative palette).
const uint8_t* colour_of(size_t index) {
  static const uint8_t palette[8][3] = {{230, 85, 13}, {49, 130, 189}, {49, 163, 84}, {117, 107, 177},
                                        {214, 39, 40}, {140, 86, 75}, {227, 119, 194}, {188, 189, 34}};
  return palette[index % 8];
}

void draw_grid(Canvas& c, const NoteSequence& seq, const QuarterClock& clock, double pps) {
  const TimeSignature ts = seq.time_signatures.empty() ? TimeSignature{} : seq.time_signatures.front();
  const double beat = 4.0 / std::max(1, ts.denominator), bar = beat * std::max(1, ts.numerator);
  const uint8_t bar_line[3] = {120, 120, 120}, beat_line[3] = {55, 55, 55};
  for (double q = 0;; q += beat) {
    const int x = int(std::lround(clock.seconds(q) * pps));
    if (x >= c.width) break;
    const bool on_bar = std::fabs(std::remainder(q, bar)) < 1e-6;
    c.fill(x, 0, x + 1, c.height, on_bar ? bar_line : beat_line);
  }
}

}  // namespace

void write_piano_roll(const NoteSequence& seq, const std::string& path, const PianoRollOptions& o) {
  if (o.pixels_per_second < 1 || o.pixels_per_second > 1000) throw Error("pixels_per_second", "must be 1..1000");
  if (o.pixels_per_semitone < 1 || o.pixels_per_semitone > 40) throw Error("pixels_per_semitone", "must be 1..40");
  if (seq.notes.empty()) throw Error("sequence", "has no notes to draw");
  if (!(seq.total_time <= kMaxSeconds)) throw Error("sequence", "lasts over an hour; a piano roll draws at most " + std::to_string(int(kMaxSeconds)) + " s");
  int low = 127, high = 0;
  for (const Note& n : seq.notes)
    if (!n.is_drum) low = std::min(low, std::clamp(n.pitch, 0, 127)), high = std::max(high, std::clamp(n.pitch, 0, 127));
  if (low > high) low = 60, high = 72;
  low = std::max(0, low - 2), high = std::min(127, high + 2);
  const int pitch_rows = (high - low + 1) * o.pixels_per_semitone;
  const double width = std::ceil(seq.total_time * o.pixels_per_second) + 1;
  if (width * (pitch_rows + kDrumBand) > kMaxPixels)
    throw Error("pixels_per_second", "draws " + std::to_string(int(width)) + " x " + std::to_string(pitch_rows + kDrumBand) +
                                         " pixels; at most 100 million (lower pixels_per_second or pixels_per_semitone)");
  Canvas c{std::max(1, int(width)), pitch_rows + kDrumBand, {}};
  c.rgb.assign(3 * size_t(c.width) * size_t(c.height), 18);
  const QuarterClock clock(seq);
  draw_grid(c, seq, clock, o.pixels_per_second);
  std::map<int, size_t> order;  // instrument -> colour index
  for (const Note& n : seq.notes) {
    const size_t index = order.emplace(n.instrument, order.size()).first->second;
    const double bright = 0.45 + 0.55 * std::clamp(n.velocity, 1, 127) / 127.0;
    uint8_t colour[3];
    for (int k = 0; k < 3; ++k) colour[k] = uint8_t(colour_of(index)[k] * bright);
    const int x0 = int(n.start_time * o.pixels_per_second), x1 = std::max(x0 + 2, int(n.end_time * o.pixels_per_second));
    if (n.is_drum) {
      const int y = pitch_rows + 2 + (std::clamp(n.pitch, 35, 81) - 35) * (kDrumBand - 6) / 46;
      c.fill(x0, y, x0 + 3, y + 3, colour);
      continue;
    }
    const int y = (high - std::clamp(n.pitch, low, high)) * o.pixels_per_semitone;
    c.fill(x0, y, x1 - 1, y + o.pixels_per_semitone - (o.pixels_per_semitone > 2), colour);
  }
  write_png(path, c.width, c.height, c.rgb);
}

}  // namespace timbrel
