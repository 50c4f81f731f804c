#pragma once
// Tap to drums for live play: a rhythm tapped on a key is answered, bar by bar, with a drum beat
// (a GrooVAE drumify model). The first tap is a downbeat and sets the bar grid at `qpm`; as each
// bar ends, the taps of that bar (with the bar before it as the model's context: its window is two
// bars) become a beat that plays through the next bar, every tapped step keeping a hit at the tap's
// place in the bar. A bar without taps is answered with silence; two make the next tap a new
// downbeat. Not for the audio thread: the model takes milliseconds. A threaded caller takes the
// bar and schedules its beat under its lock and runs the model (beat_for) without it.
#include <cstdint>
#include <optional>
#include <vector>

#include "render/live_responder.h"
#include "timbrel/groove.h"

namespace timbrel {

class LiveDrummer {
 public:
  struct Options {
    double qpm = 120;
    int tap_key = -1;  // the key that taps (0..127); -1: every key
    GrooveOptions groove;
  };
  using Event = LiveResponder::Event;
  // A tapped bar, taken out of the drummer: the taps of it and of the bar before, from that bar's line.
  struct Bar {
    NoteSequence taps;
    double next_downbeat = 0;  // where its beat plays, on the calls' clock
    uint64_t seed = 0;  // the options' seed + the bars taken before it
  };

  LiveDrummer(const GrooveModel& drumify_model, const Options& options);

  // A note-on at `time` seconds of any steady clock; true when it is a tap.
  bool note_on(int pitch, int velocity, double time);
  // The beat's events due by `time` (in order), taking and answering a finished bar first.
  std::vector<Event> due(double time);
  // due() in three parts: the bar (once its last step's taps are in), its beat (the model: slow,
  // reads no state note_on() changes), and the beat's scheduling.
  std::optional<Bar> take_bar(double time);
  std::vector<Note> beat_for(const Bar& bar) const;
  void schedule(const Bar& bar, const std::vector<Note>& beat);
  size_t beats() const { return beats_; }  // bars answered with a beat
  // When due() next has something to do: a pending event or a bar to take (infinity when neither).
  double next_event_time() const;

 private:
  const GrooveModel& model_;
  Options o_;
  double bar_ = 2.0, step_ = 0.125;
  std::optional<double> origin_;  // the first tap's time: bar 0's line
  std::vector<Event> taps_;       // of the bar being tapped and the one before
  int next_bar_ = 0;              // the next bar to take
  std::vector<Event> pending_;
  size_t next_ = 0, beats_ = 0;
  uint64_t taken_ = 0;
  double bar_line(int bar) const { return *origin_ + bar * bar_; }
  int bar_of(double time) const;
  bool tapped(int bar) const;  // a tap in the bar (from half a step before its line)
};

}  // namespace timbrel
