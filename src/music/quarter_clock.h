#pragma once
#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "timbrel/error.h"
#include "timbrel/note_sequence.h"

namespace timbrel {

// Seconds <-> quarter notes across a sequence's tempo changes.
class QuarterClock {
 public:
  explicit QuarterClock(const NoteSequence& seq) {
    std::vector<Tempo> tempos = seq.tempos;
    std::stable_sort(tempos.begin(), tempos.end(),
                     [](const Tempo& a, const Tempo& b) { return a.time < b.time; });
    double quarters = 0.0, time = 0.0, qpm = 120.0;
    for (const Tempo& t : tempos) {
      if (!(t.qpm > 0) || !std::isfinite(t.qpm) || !std::isfinite(t.time))
        throw Error("", "invalid tempo " + std::to_string(t.qpm) + " qpm at " + std::to_string(t.time) + " s");
      double at = std::max(t.time, time);
      quarters += (at - time) * qpm / 60.0;
      time = at;
      qpm = t.qpm;
      points_.push_back({time, quarters, qpm});
    }
    if (points_.empty() || points_.front().time > 0) points_.insert(points_.begin(), {0.0, 0.0, 120.0});
  }
  double quarters(double seconds) const {
    auto it = std::upper_bound(points_.begin(), points_.end(), seconds,
                               [](double s, const Point& p) { return s < p.time; });
    const Point& p = it == points_.begin() ? points_.front() : *(it - 1);
    return p.quarters + (seconds - p.time) * p.qpm / 60.0;
  }
  double seconds(double quarters) const {
    auto it = std::upper_bound(points_.begin(), points_.end(), quarters,
                               [](double q, const Point& p) { return q < p.quarters; });
    const Point& p = it == points_.begin() ? points_.front() : *(it - 1);
    return p.time + (quarters - p.quarters) * 60.0 / p.qpm;
  }

 private:
  struct Point {
    double time, quarters, qpm;
  };
  std::vector<Point> points_;
};

}  // namespace timbrel
