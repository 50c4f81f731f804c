#pragma once
// The melodic notes of a NoteSequence played by DDSP models: each track's notes (moved by whole
// octaves when their mean pitch lies outside the model's range) are split into monophonic voices, each
// voice becomes f0 and loudness curves (synth/ddsp_performance.h) with the track's pitch bends and
// controllers, the model decodes and synthesises them into one stem per voice. Levels are
// calibrated per model: a velocity-127 note at the model's mean pitch peaks where the GANSynth
// renderer's loudest notes peak (kMasterGain).
#include <functional>
#include <string>
#include <vector>

#include "render/note_renderer.h"
#include "synth/ddsp_performance.h"
#include "timbrel/ddsp.h"
#include "timbrel/note_sequence.h"
#include "timbrel/render.h"

namespace timbrel {

// The DDSP model that plays a General MIDI program (and its name, for the report).
struct DdspVoice {
  const Ddsp* model = nullptr;
  std::string name;                // model (and preset): voices of one name share a level calibration
  std::vector<float> instrument;   // the preset's embedding (models with presets)
  synth::LearnedEnvelopes envelopes;  // the preset's learned loudness shapes (empty: none)
};
using DdspModelForProgram = std::function<DdspVoice(int program)>;

// Each voice's mono audio at its model's rate, bent by its channel's pitch bend (RPN 0 range) and
// modulation, not yet levelled by volume and expression, panned or limited: stems for the
// NoteRenderer's mix. Drum notes are left out. Fills report.notes, ddsp_voices and octave_shifts.
std::vector<Stem> render_ddsp_notes(const NoteSequence& seq, const DdspModelForProgram& model_for, const NoteRenderOptions& options,
                                    NoteRenderReport& report);

// The stems summed in mono at their rate (they share one), from time 0, as they are (no pan, no
// channel gain): what a voice cache or a test needs.
std::vector<float> sum_stems(const std::vector<Stem>& stems);

// Struck and plucked General MIDI instruments (pianos, chromatic percussion, guitars, basses,
// pizzicato, harp, timpani, plucked ethnic, percussive): their notes neither glide nor take
// vibrato, and held live they die away.
bool struck_or_plucked(int program);

// A preset's learned envelopes from its model's card (empty when it has none).
synth::LearnedEnvelopes learned_envelopes(const DdspInfo& info, const std::string& preset);

}  // namespace timbrel
