#include "render/live_drummer.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "timbrel/error.h"

namespace timbrel {

LiveDrummer::LiveDrummer(const GrooveModel& drumify_model, const Options& o) : model_(drumify_model), o_(o) {
  if (drumify_model.info().task != "drumify") throw Error("tap_model", "is a " + drumify_model.info().task + " model, not a drumify one");
  if (!(o.qpm >= 20 && o.qpm <= 400)) throw Error("tap_qpm", "must be 20..400");
  if (o.tap_key < -1 || o.tap_key > 127) throw Error("tap_key", "must be 0..127, or -1 for every key");
  if (!(o.groove.hit_threshold > 0 && o.groove.hit_threshold < 1)) throw Error("tap_groove.hit_threshold", "must lie between 0 and 1");
  if (!(o.groove.temperature >= 0) || !std::isfinite(o.groove.temperature)) throw Error("tap_groove.temperature", "must be 0 or more");
  bar_ = 4 * 60.0 / o.qpm;
  step_ = bar_ / 16;
}

// A tap within half a step before a bar line is that bar's first step, played early.
int LiveDrummer::bar_of(double time) const { return int(std::floor((time - *origin_ + step_ / 2) / bar_)); }

bool LiveDrummer::note_on(int pitch, int velocity, double time) {
  if (velocity <= 0 || (o_.tap_key >= 0 && pitch != o_.tap_key)) return false;
  if (!origin_) {
    origin_ = time;
    next_bar_ = 0;
  }
  taps_.push_back({time, pitch, velocity});
  return true;
}

bool LiveDrummer::tapped(int bar) const {
  const double from = bar_line(bar) - step_ / 2, to = bar_line(bar + 1) - step_ / 2;
  return std::any_of(taps_.begin(), taps_.end(), [&](const Event& t) { return t.time >= from && t.time < to; });
}

std::optional<LiveDrummer::Bar> LiveDrummer::take_bar(double time) {
  if (!origin_) return std::nullopt;
  const int bar = bar_of(time) - 1;  // the newest bar whose taps are all in (a late caller skips older ones)
  if (bar < next_bar_) return std::nullopt;
  next_bar_ = bar + 1;
  if (!tapped(bar)) {  // an untapped bar rests; after two the grid is forgotten (a tap of the bar begun is kept)
    if (!tapped(bar - 1)) {
      const double keep = bar_line(bar + 1) - step_ / 2;
      taps_.erase(std::remove_if(taps_.begin(), taps_.end(), [keep](const Event& t) { return t.time < keep; }), taps_.end());
      origin_.reset();
      if (!taps_.empty()) origin_ = taps_.front().time, next_bar_ = 0;  // that tap is the new downbeat
    }
    return std::nullopt;
  }
  Bar b;
  b.next_downbeat = bar_line(bar + 1);
  b.seed = o_.groove.seed + taken_++;
  b.taps.tempos = {{0.0, o_.qpm}};
  b.taps.time_signatures = {{0.0, 4, 4}};
  const double from = bar_line(bar - 1) - step_ / 2, to = bar_line(bar + 1) - step_ / 2;
  for (const Event& t : taps_)
    if (t.time >= from && t.time < to) {
      Note n;
      n.pitch = t.pitch;
      n.velocity = t.velocity;
      n.start_time = std::max(0.0, t.time - bar_line(bar - 1));
      n.end_time = n.start_time + step_ / 2;
      b.taps.notes.push_back(n);
    }
  const double keep = bar_line(bar) - step_ / 2;  // the next bar's context
  taps_.erase(std::remove_if(taps_.begin(), taps_.end(), [keep](const Event& t) { return t.time < keep; }), taps_.end());
  return b;
}

std::vector<Note> LiveDrummer::beat_for(const Bar& bar) const {
  if (bar.taps.notes.empty()) return {};
  GrooveOptions g = o_.groove;
  g.seed = bar.seed;
  std::vector<Note> out;
  for (Note n : drumify(model_, bar.taps, g).notes)
    if (n.start_time >= bar_ - step_ / 2 - 1e-9 && n.start_time < 2 * bar_ - step_ / 2) {  // the tapped bar's hits
      n.start_time -= bar_;
      n.end_time -= bar_;
      out.push_back(n);
    }
  return out;
}

void LiveDrummer::schedule(const Bar& bar, const std::vector<Note>& beat) {
  ++beats_;
  pending_.erase(pending_.begin(), pending_.begin() + std::ptrdiff_t(next_));
  next_ = 0;
  for (const Note& n : beat) {
    pending_.push_back({bar.next_downbeat + n.start_time, n.pitch, std::max(1, n.velocity)});
    pending_.push_back({bar.next_downbeat + n.end_time - 1e-4, n.pitch, 0});
  }
  std::stable_sort(pending_.begin(), pending_.end(), [](const Event& a, const Event& b) { return a.time < b.time; });
}

std::vector<LiveDrummer::Event> LiveDrummer::due(double time) {
  if (auto bar = take_bar(time)) schedule(*bar, beat_for(*bar));
  std::vector<Event> out;
  while (next_ < pending_.size() && pending_[next_].time <= time) out.push_back(pending_[next_++]);
  return out;
}

double LiveDrummer::next_event_time() const {
  double t = next_ < pending_.size() ? pending_[next_].time : std::numeric_limits<double>::infinity();
  if (origin_) t = std::min(t, bar_line(next_bar_ + 1) - step_ / 2);
  return t;
}

}  // namespace timbrel
