#pragma once
// Primer continuation with an event RNN: Magenta's Melody RNN and Drums RNN (lookback
// configuration: LSTM layers over Magenta's lookback inputs, "repeat 1 / 2 bars back" labels).
// Give it the first bars of a piece; it writes what comes next, note by note, sampling (with a
// temperature) or by Magenta's beam search.
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "timbrel/chords.h"
#include "timbrel/export.h"
#include "timbrel/model_kind.h"
#include "timbrel/note_sequence.h"

namespace timbrel {

struct EventRnnInfo {
  ModelKind kind = ModelKind::Melody;
  std::vector<int> layers;  // LSTM sizes
  int classes = 0, input_size = 0;
  int min_pitch = 0, max_pitch = 0;  // melody range [min, max): the primer is moved into it by octaves
  std::vector<int> lookbacks;        // steps
  bool chords = false;               // conditioned on chords (ImprovRNN): it plays over ContinueOptions::chords
  double chord_guidance = 0;         // its card's guidance towards the chords (ContinueOptions::chord_guidance)
  // The guidance a sample plays with when `asked` (ContinueOptions::chord_guidance): 0 without chords.
  double guidance_for(double asked) const { return !chords ? 0.0 : asked >= 0 ? asked : chord_guidance; }
};

struct ContinueOptions {
  int bars = 8;              // of continuation, 16 sixteenth steps each
  double temperature = 1.0;  // softmax temperature; 0 = most likely class every step
  // With a temperature other than 0 and 1: whether each step starts a note (or a hit) is drawn at
  // temperature 1 and only what it plays at `temperature`, so that a low temperature makes the
  // pitches surer without thinning the music out (false: both at once, as Magenta samples).
  bool keep_density = true;
  int beam_size = 1;         // > 1: Magenta's beam search (keep the most likely of beam x branch)
  int branch_factor = 1;     // sequences sampled from each beam per iteration
  int steps_per_iteration = 1;
  uint64_t seed = 0;
  // For a chord-conditioned model: the progression the continuation plays over, in quarter-note
  // beats from its first bar (parse_progression makes one from "C G Am F"), repeated as often as
  // the continuation needs. A primer without chord symbols is read as playing the same
  // progression, repeated, up to where the continuation starts. Unused by other models.
  std::vector<ChordSpan> chords;
  // A chord-conditioned model's guidance towards the chords (classifier-free guidance): each
  // choice of pitch is moved this many times further from what the model plays over no chord,
  // so melodies land on chord tones as often as the music it learned from; each step's chance of
  // starting a note stays the model's own (guidance always draws as keep_density does; at
  // temperature 0, the likeliest guided class). 0: none (Magenta's ImprovRNN); < 0: the model's
  // own (EventRnnInfo::chord_guidance). Doubles the network's work. Unused by other models.
  double chord_guidance = -1;
};

class TIMBREL_API EventRnn {
 public:
  // A model folder (model.json with architecture "event_rnn" + weights.safetensors). Throws Error naming it.
  static EventRnn load(const std::string& path);
  ~EventRnn();
  EventRnn(EventRnn&&) noexcept;
  EventRnn& operator=(EventRnn&&) noexcept;
  const EventRnnInfo& info() const;

  // `steps` events after `primer` (melody events of music.h or 9-bit drum masks), sampled as
  // `options` say. The primer's events must be inside the model's encoding. A chord-conditioned
  // model needs options.chords (the primer's steps read the progression repeated back from them).
  std::vector<int> continue_events(const std::vector<int>& primer, int steps, const ContinueOptions& options) const;
  // Natural-log likelihood the model gives events[1..] after events[0]; a chord-conditioned
  // model reads `chords` (quarter-note beats from events[0], repeated to cover them).
  double log_likelihood(const std::vector<int>& events, const std::vector<ChordSpan>& chords = {}) const;

  // The notes of options.bars bars (of the primer's last time signature) that continue the
  // primer's melody (or drums) from the bar after its last note ends, at its last tempo; melody
  // notes take the program and channel of the primer's last melody note, drums go to channel 10.
  // A melody outside the model's range is moved by octaves for the model and the continuation
  // moved back. Error naming "primer" when it has nothing of the model's kind.
  std::vector<Note> continuation(const NoteSequence& primer, const ContinueOptions& options) const;
  // The primer as it is, with continuation() appended; with options.chords, their symbols
  // annotate the continuation (and the primer, when it had none).
  NoteSequence continue_sequence(const NoteSequence& primer, const ContinueOptions& options) const;
  // A chord-conditioned model's melody of options.bars 4/4 bars over options.chords, from
  // silence, at `qpm`, with its chord symbols (ImprovRNN's generation without a primer melody).
  NoteSequence improvise(const ContinueOptions& options, double qpm = 120) const;

  void save(const std::string& dir) const;


 private:
  struct Impl;  // the library's (src/models/model_impls.h; the network src/nn/event_rnn_model.h)
  friend struct detail::ModelAccess;
  explicit EventRnn(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace timbrel
