#pragma once
// Notes -> the f0 and loudness curves a DDSP decoder plays (its "performance"): notes split into
// monophonic voices; per voice, f0 per frame (a glide into legato notes, vibrato that grows in
// after the onset, pitch bend) and loudness per frame (velocity, an attack / sustain / release
// envelope, expression and volume controllers) placed inside the model's loudness range. A 4 s
// spectrogram note has none of this: these curves are what makes a DDSP voice expressive.
#include <cstddef>
#include <vector>

#include "timbrel/ddsp.h"

namespace timbrel::synth {

struct VoiceNote {
  double start = 0, end = 0;  // seconds
  int pitch = 60, velocity = 100;
};

// A controller's value over time (seconds, value), sorted by time; a value holds until the next.
struct ControlPoint {
  double time = 0;
  float value = 0;
};

struct VoiceControllers {
  std::vector<ControlPoint> bend;        // semitones (MIDI pitch bend x its range)
  std::vector<ControlPoint> modulation;  // 0..1 (CC 1): adds vibrato depth
  std::vector<ControlPoint> gain;        // 0..1 (CC 7 volume x CC 11 expression)
};

// An instrument's learned held-note loudness shapes (dB below the note's peak, from the onset,
// `rate` values a second: its training notes measured as the decoder heard them), one per pitch
// band: band k is centred at first_pitch + k pitch_step (one band when pitch_step is 0).
struct LearnedEnvelopes {
  double rate = 0;
  int first_pitch = 0, pitch_step = 0;
  std::vector<std::vector<float>> bands;  // each >= 2 values
  bool empty() const { return bands.empty() || rate <= 0; }
  // The shape at `pitch`, `since` seconds after the onset: interpolated in time and between the
  // two nearest bands; beyond a band's end its last second's fall continues (never a rise).
  double db(int pitch, double since) const;
};

// The user's choices (DdspPerformanceOptions: glide, vibrato, envelope, velocity) and what the
// model and the renderer fill in.
struct PerformanceOptions : DdspPerformanceOptions {
  int frame_rate = 250;
  float peak_db = -48.6f;         // the loudness of a velocity-127 note (the model's typical maximum)
  float floor_db = -120.0f;       // silence, as DDSP measures it
  // When given, the held note follows these shapes instead of the attack and the flat hold, so a
  // piano decays as a piano does. Empty: attack, then a flat hold.
  LearnedEnvelopes envelopes;
};

// Notes (any order, may overlap) -> monophonic lines, each in time order: a note joins the line
// that is free (its last note ends no later than `legato_gap` after this one starts) and whose
// last note ended latest, so a legato phrase stays in one line; chords and overlaps open new lines.
std::vector<std::vector<VoiceNote>> split_voices(std::vector<VoiceNote> notes, double legato_gap);

struct ControlCurves {
  std::vector<float> f0_hz, loudness_db;
};

// The curves of one line for frames [first_frame, first_frame + frames) (frame k at k /
// frame_rate s). Before the first note and between notes the f0 holds the nearest note's pitch
// and the loudness falls to floor_db.
ControlCurves performance_curves(const std::vector<VoiceNote>& line, const VoiceControllers& controllers,
                                 size_t first_frame, size_t frames, const PerformanceOptions& options);

// A controller's value at `time` (the last point at or before it; `initial` before the first).
float control_at(const std::vector<ControlPoint>& points, double time, float initial);

}  // namespace timbrel::synth
