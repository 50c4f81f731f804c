#include "render/live_responder.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "timbrel/error.h"

namespace timbrel {

LiveResponder::LiveResponder(const EventRnn& melody_rnn, const Options& o) : rnn_(melody_rnn), o_(o) {
  if (melody_rnn.info().kind != ModelKind::Melody) throw Error("answer_model", "must be a melody RNN");
  if (!(o.qpm >= 20 && o.qpm <= 400)) throw Error("answer_qpm", "must be 20..400");
  if (o.answer_bars < 1 || o.max_phrase_bars < 1) throw Error("answer_bars", "must be at least 1");
  bar_ = 4 * 60.0 / o.qpm;
}

void LiveResponder::note_on(int pitch, int velocity, double time) {
  if (velocity <= 0) return note_off(pitch, time);
  note_off(pitch, time);  // a repeated key without its note-off ends the earlier note
  Note n;
  n.pitch = pitch;
  n.velocity = velocity;
  n.start_time = n.end_time = time;
  sounding_[pitch] = phrase_.size();
  phrase_.push_back(n);
  last_activity_ = time;
}

void LiveResponder::note_off(int pitch, double time) {
  auto it = sounding_.find(pitch);
  if (it == sounding_.end()) return;
  phrase_[it->second].end_time = std::max(time, phrase_[it->second].start_time);
  sounding_.erase(it);
  last_activity_ = time;
}

double LiveResponder::next_event_time() const {
  return answering() ? pending_[next_].time : std::numeric_limits<double>::infinity();
}

std::vector<LiveResponder::Event> LiveResponder::due(double time) {
  if (auto phrase = take_phrase(time)) schedule(*phrase, answer_to(*phrase));
  std::vector<Event> out;
  while (answering() && pending_[next_].time <= time) out.push_back(pending_[next_++]);
  return out;
}

std::optional<LiveResponder::Phrase> LiveResponder::take_phrase(double time) {
  if (answering() || phrase_.empty() || !sounding_.empty() || time - last_activity_ < bar_) return std::nullopt;
  const double start = phrase_.front().start_time;
  Phrase p;
  p.keep_from = start + std::max(0.0, std::floor((last_activity_ - start) / bar_) - o_.max_phrase_bars + 1) * bar_;
  p.taken_at = time;
  p.seed = o_.seed + phrases_++;
  p.primer.tempos = {{0.0, o_.qpm}};
  p.primer.time_signatures = {{0.0, 4, 4}};
  for (const Note& n : phrase_)
    if (n.end_time > p.keep_from + 1e-9) {  // a note held into the kept bars starts with them
      Note m = n;
      m.start_time = std::max(m.start_time, p.keep_from) - p.keep_from;
      m.end_time = std::max(m.end_time - p.keep_from, m.start_time + 0.01);
      p.primer.notes.push_back(m);
    }
  phrase_.clear();
  if (p.primer.notes.empty()) return std::nullopt;
  return p;
}

std::vector<Note> LiveResponder::answer_to(const Phrase& phrase) const {
  ContinueOptions c;
  c.bars = o_.answer_bars;
  c.temperature = o_.temperature;
  c.seed = phrase.seed;
  return rnn_.continuation(phrase.primer, c);
}

void LiveResponder::schedule(const Phrase& phrase, const std::vector<Note>& answer) {
  ++answers_;
  if (answer.empty()) return;
  // The bar of the answer's first note (a silent bar before it is skipped) goes to the next bar
  // line of the phrase's grid from now on: the player's beat and the answer's place in the bar hold.
  const double first_bar = std::floor(answer.front().start_time / bar_ + 1e-9) * bar_;
  const double downbeat = phrase.keep_from + std::ceil((phrase.taken_at + 0.02 - phrase.keep_from) / bar_ - 1e-9) * bar_;
  pending_.clear();
  next_ = 0;
  for (const Note& n : answer) {
    pending_.push_back({downbeat + n.start_time - first_bar, n.pitch, std::max(1, n.velocity)});
    pending_.push_back({downbeat + n.end_time - first_bar - 1e-4, n.pitch, 0});
  }
  std::stable_sort(pending_.begin(), pending_.end(), [](const Event& a, const Event& b) { return a.time < b.time; });
}

}  // namespace timbrel
