#pragma once
// A NoteSequence's controllers as each MIDI channel's state over time (render/gm_controls.h
// gives the meaning of every controller). Channels are shared by all tracks, as in any MIDI synth
// (FluidSynth included): a format-1 file's volume change on channel 3 acts on every track playing
// on channel 3.
#include <array>
#include <cstddef>
#include <vector>

#include "render/gm_controls.h"
#include "timbrel/note_sequence.h"

namespace timbrel {

class ChannelTimeline {
 public:
  struct Change {
    double time;
    gm::ChannelControls state;  // after every event at `time`
  };
  explicit ChannelTimeline(const gm::ChannelControls& power_on = {}) : changes_{{-1e300, power_on}} {}
  void add(double time, const gm::ChannelControls& state);
  // The state in effect at `time` (events at exactly `time` included).
  const gm::ChannelControls& at(double time) const { return changes_[index_at(time)].state; }
  size_t index_at(double time) const;
  const std::vector<Change>& changes() const { return changes_; }
  // True when nothing changes in (from, to].
  bool constant(double from, double to) const;

 private:
  std::vector<Change> changes_;  // sorted by time; the first is the power-on state
};

class SequenceControls {
 public:
  // `bend_range`: semitones at full bend until a file sets its RPN 0 (GM's default: 2).
  explicit SequenceControls(const NoteSequence& seq, double bend_range = gm::kDefaultBendRange);
  const ChannelTimeline& channel(int channel) const { return channels_[size_t(channel) & 15]; }

 private:
  std::array<ChannelTimeline, 16> channels_;
};

// Walks a timeline forward in time (one note's samples): the state at t, with t non-decreasing.
class TimelineCursor {
 public:
  TimelineCursor(const ChannelTimeline& timeline, double time) : changes_(timeline.changes()), at_(timeline.index_at(time)) {}
  const gm::ChannelControls& at(double time) {
    while (at_ + 1 < changes_.size() && changes_[at_ + 1].time <= time) ++at_;
    return changes_[at_].state;
  }

 private:
  const std::vector<ChannelTimeline::Change>& changes_;
  size_t at_;
};

// The sustain pedal applied to the notes (as Magenta's apply_sustain_control_changes): a note whose
// key is released while its channel's pedal is down sounds on until the pedal lifts, or until the
// same key is struck again on that channel. Drum notes are left as they are.
void apply_sustain(NoteSequence& seq, const SequenceControls& controls);

}  // namespace timbrel
