#pragma once
// Call and response for live play: listens to the notes a player plays, and when the player has
// rested for a bar after a phrase, has a Melody RNN continue that phrase and schedules its answer
// on the player's bar grid. Not for the audio thread: it composes (milliseconds) in due().
#include <cstdint>
#include <map>
#include <vector>

#include "timbrel/event_rnn.h"

namespace timbrel {

class LiveResponder {
 public:
  struct Options {
    double qpm = 120;         // the player's tempo: bars, the grid and the rest that ends a phrase
    int answer_bars = 2;
    double temperature = 1.0;
    int max_phrase_bars = 8;  // the answer continues at most this many of the last bars played
    uint64_t seed = 0;
  };
  struct Event {
    double time = 0;  // seconds, the clock of the calls
    int pitch = 0, velocity = 0;  // velocity 0: note off
  };

  LiveResponder(const EventRnn& melody_rnn, const Options& options);

  // What the player plays, at `time` seconds of any steady clock.
  void note_on(int pitch, int velocity, double time);
  void note_off(int pitch, double time);
  // The answer's events due by `time` (in order). When nothing is pending and the player has
  // rested a bar after a phrase, the answer is composed first, from the next bar line of the
  // phrase's grid (its first note's onset = the downbeat).
  std::vector<Event> due(double time);
  bool answering() const { return next_ < pending_.size(); }
  size_t answers() const { return answers_; }
  double next_event_time() const;  // of the pending answer (infinity when none)

 private:
  void compose(double time);

  const EventRnn& rnn_;
  Options o_;
  double bar_ = 2.0;
  std::vector<Note> phrase_;
  std::map<int, size_t> sounding_;  // pitch -> index in phrase_
  double last_activity_ = 0;
  std::vector<Event> pending_;
  size_t next_ = 0, answers_ = 0;
};

}  // namespace timbrel
