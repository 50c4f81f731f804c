#pragma once
// Magenta's event encodings for the Melody RNN and the Drums RNN, so that its published
// hyper-parameters carry over (note_seq's MelodyOneHotEncoding, MultiDrumOneHotEncoding and
// LookbackEventSequenceEncoderDecoder):
//  - melody events: a pitch starts a note, kMelodyNoteOff ends one, kMelodyNoEvent holds; one-hot
//    over [min_pitch, max_pitch) + the two specials (index 0 no event, 1 note off);
//  - drum events: a 9-bit mask of the drum classes hit on the step; 512-way one-hot;
//  - input per step: the current event, the event that would come next if the piece repeated
//    1 and 2 bars back, a 5-bit counter of the next step's place in the bar (+1/-1), and whether
//    the current event repeats those lookbacks;
//  - labels: the event's class, or "repeat 1 bar / 2 bars back" when it does;
//  - chord-conditioned melodies (ImprovRNN, Magenta's ConditionalEventSequenceEncoderDecoder):
//    the chord-pitches encoding of the chord at the next step, after the event inputs.
// No torch: the trainer, the generator and the tests share it.
#include <cstddef>
#include <string>
#include <vector>

#include "timbrel/chords.h"
#include "timbrel/note_sequence.h"

namespace timbrel::nn {

struct EventCodec {
  std::string kind = "melody";         // "melody" or "drums"
  int min_pitch = 48, max_pitch = 84;  // melody one-hot range [min_pitch, max_pitch) (Magenta's)
  std::vector<int> lookbacks{16, 32};  // steps: one and two 4/4 bars of sixteenths
  int counter_bits = 5;
  bool chord_control = false;          // inputs end with the next step's chord (melody only)

  static EventCodec melody() { return EventCodec{}; }
  static EventCodec drums() { return EventCodec{"drums"}; }

  int one_hot_classes() const;  // melody: pitches + 2; drums: 512
  int classes() const;          // + one "repeat" class per lookback
  int input_size() const;
  int default_event() const;    // no event / no hit
  int encode_event(int event) const;  // one-hot index; throws Error for an event outside the encoding
  int decode_event(int index) const;

  // Magenta's events_to_input: writes input_size() floats for `position` of `events`. With
  // chord_control, `chords` holds the chord of every step up to position + 1 at least.
  void input(const std::vector<int>& events, size_t position, float* out, const std::vector<Chord>& chords = {}) const;
  // Magenta's events_to_label for `position`.
  int label(const std::vector<int>& events, size_t position) const;
  // Magenta's class_index_to_event: the event a class means after `events` (repeats look back).
  int class_to_event(int cls, const std::vector<int>& events) const;
};

// Event lists of a sequence quantized at 4 steps per quarter (quantized here when it is not):
// melody: extract_melody (highest onset wins); drums: the mask of Magenta's drum classes hit on
// each step (pitches it does not map skipped).
std::vector<int> melody_events(const NoteSequence& seq);
std::vector<int> drum_events(const NoteSequence& seq);
// The codec's events of a sequence: drums as drum_events; a melody moved into the codec's range
// (fit_melody_range). Training and evaluation read files through this.
std::vector<int> events_of(const NoteSequence& seq, const EventCodec& codec);

// A pitch moved by whole octaves into [min_pitch, max_pitch).
int fold_pitch(int pitch, int min_pitch, int max_pitch);
// Melody events moved by whole octaves so that their pitch span is centred in the codec's range
// (Magenta's squash), then any pitch still outside folded in; returns the shift of the whole list.
int fit_melody_range(std::vector<int>& events, const EventCodec& codec);

// Events back to notes, event i at start_time + i x step_seconds: melody notes (on `channel`,
// with `program`) last until the next onset or note-off, or the end of the list; drum hits
// last one step, on channel 10.
struct NoteStyle {
  int velocity = 100, program = 0, channel = 0, instrument = 0;
};
void append_events(const std::vector<int>& events, const EventCodec& codec, double start_time, double step_seconds,
                   const NoteStyle& style, NoteSequence& out);

}  // namespace timbrel::nn
