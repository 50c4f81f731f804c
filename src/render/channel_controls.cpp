#include "render/channel_controls.h"

#include <algorithm>
#include <map>

namespace timbrel {

void ChannelTimeline::add(double time, const gm::ChannelControls& state) {
  if (changes_.back().time == time) changes_.back().state = state;
  else changes_.push_back({time, state});
}

size_t ChannelTimeline::index_at(double time) const {
  const auto it = std::upper_bound(changes_.begin(), changes_.end(), time, [](double t, const Change& c) { return t < c.time; });
  return size_t(it - changes_.begin()) - 1;  // the first change is at -inf: never before it
}

bool ChannelTimeline::constant(double from, double to) const { return index_at(from) == index_at(to); }

SequenceControls::SequenceControls(const NoteSequence& seq, double bend_range) {
  gm::ChannelControls power_on;
  power_on.bend_range = bend_range;
  channels_.fill(ChannelTimeline(power_on));
  // Controller and bend events merged in time order (controllers first at equal times: a bend
  // range set together with a bend applies to it).
  struct Event {
    double time;
    int channel, kind, number, value;  // kind 0: controller, 1: bend
  };
  std::vector<Event> events;
  for (const ControlChange& c : seq.control_changes) events.push_back({c.time, c.channel, 0, c.number, c.value});
  for (const PitchBend& b : seq.pitch_bends) events.push_back({b.time, b.channel, 1, 0, b.bend});
  std::stable_sort(events.begin(), events.end(), [](const Event& a, const Event& b) { return a.time != b.time ? a.time < b.time : a.kind < b.kind; });
  std::array<gm::ChannelControls, 16> state;
  state.fill(power_on);
  for (const Event& e : events) {
    gm::ChannelControls& s = state[size_t(e.channel) & 15];
    if (e.kind == 0) s.control_change(e.number, e.value);
    else s.pitch_bend(e.value);
    channels_[size_t(e.channel) & 15].add(e.time, s);
  }
}

void apply_sustain(NoteSequence& seq, const SequenceControls& controls) {
  // Per (channel, pitch): the notes in start order, so a re-struck key ends the sustained one.
  std::map<std::pair<int, int>, std::vector<Note*>> keys;
  double last = 0;  // a pedal still down at the end holds its notes to the end of the music
  for (const Note& n : seq.notes) last = std::max(last, n.end_time);
  for (Note& n : seq.notes)
    if (!n.is_drum) keys[{n.channel, n.pitch}].push_back(&n);
  for (auto& [key, notes] : keys) {
    std::stable_sort(notes.begin(), notes.end(), [](const Note* a, const Note* b) { return a->start_time < b->start_time; });
    const ChannelTimeline& timeline = controls.channel(key.first);
    const auto& changes = timeline.changes();
    for (size_t k = 0; k < notes.size(); ++k) {
      Note& n = *notes[k];
      if (!timeline.at(n.end_time).sustain) continue;
      double end = last;
      for (size_t i = timeline.index_at(n.end_time) + 1; i < changes.size(); ++i)
        if (!changes[i].state.sustain) {
          end = changes[i].time;
          break;
        }
      if (k + 1 < notes.size()) end = std::min(end, std::max(n.end_time, notes[k + 1]->start_time));
      n.end_time = std::max(n.end_time, end);
      seq.total_time = std::max(seq.total_time, n.end_time);
    }
  }
}

}  // namespace timbrel
