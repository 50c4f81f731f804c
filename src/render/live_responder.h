#pragma once
// Call and response for live play: listens to the notes a player plays, and when the player has
// rested for a bar after a phrase, has a Melody RNN continue that phrase and schedules its answer
// on the player's bar grid. Not for the audio thread: composing takes milliseconds. A threaded
// caller takes the phrase and schedules the answer under its lock, and composes between them
// (answer_to) without it, so the MIDI thread never waits on the RNN.
#include <cstdint>
#include <map>
#include <optional>
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

  // A finished phrase, taken out of the responder: the primer for the RNN and where it sits.
  struct Phrase {
    NoteSequence primer;   // the last bars played, from their first bar line
    double keep_from = 0;  // that bar line, on the calls' clock
    double taken_at = 0;
    uint64_t seed = 0;
  };

  LiveResponder(const EventRnn& melody_rnn, const Options& options);

  // What the player plays, at `time` seconds of any steady clock.
  void note_on(int pitch, int velocity, double time);
  void note_off(int pitch, double time);
  // The answer's events due by `time` (in order). When nothing is pending and the player has
  // rested a bar after a phrase, the answer is composed first, from the next bar line of the
  // phrase's grid (its first note's onset = the downbeat).
  std::vector<Event> due(double time);
  // due() in three parts: the phrase (when nothing is pending and the player has rested a bar),
  // its answer (the RNN: slow, reads no state a note_on() changes), and the answer's scheduling.
  std::optional<Phrase> take_phrase(double time);
  std::vector<Note> answer_to(const Phrase& phrase) const;
  void schedule(const Phrase& phrase, const std::vector<Note>& answer);
  bool answering() const { return next_ < pending_.size(); }
  size_t answers() const { return answers_; }
  double next_event_time() const;  // of the pending answer (infinity when none)

 private:
  const EventRnn& rnn_;
  Options o_;
  double bar_ = 2.0;
  std::vector<Note> phrase_;
  std::map<int, size_t> sounding_;  // pitch -> index in phrase_
  double last_activity_ = 0;
  std::vector<Event> pending_;
  size_t next_ = 0, answers_ = 0;
  uint64_t phrases_ = 0;
};

}  // namespace timbrel
