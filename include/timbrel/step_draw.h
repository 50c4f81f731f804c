#pragma once
// How a sampling temperature draws each step of a MusicVAE window (MusicVae::decode, the model
// card's "sampling", SampleOptions and SongOptions).
#include <string>

#include "timbrel/export.h"

namespace timbrel {

// How a temperature other than 0 and 1 draws each step of a window (MusicVae::decode).
enum class StepDraw {
  // softmax(logits / temperature) over every class at once, as Magenta samples. A low temperature
  // then favours holding a note over starting one whenever the next pitch is uncertain (the onset's
  // chance is spread over many pitches, the hold's is one class): melodies thin out.
  Flat,
  // What the step does (start a note or a hit, hold, end a note) drawn at the temperature from each
  // choice's whole chance, then which note at the temperature: a low temperature makes rhythm and
  // pitches surer without favouring holds.
  PerDecision,
  // Whether the step starts a note drawn at temperature 1, which note at the temperature: the
  // model's own density at any temperature, with looser rhythms.
  KeepDensity,
};
// "flat", "per_decision", "keep_density" (hyphens accepted); throws Error naming `subject` else.
TIMBREL_API StepDraw parse_step_draw(const std::string& name, const std::string& subject = "draw");
TIMBREL_API std::string to_string(StepDraw draw);

}  // namespace timbrel
