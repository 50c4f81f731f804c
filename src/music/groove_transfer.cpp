// Groove transfer: one performance's feel (timing and dynamics per step of the bar) on another beat.
#include <array>

#include "timbrel/error.h"
#include "timbrel/groove.h"

namespace timbrel {
namespace {

constexpr int kBarSteps = 16, kClasses = GrooveSteps::kClasses;

// Mean offset and velocity of a performance's hits per step of the bar and class, and per step.
struct FeelTemplate {
  std::array<double, kBarSteps * kClasses> offset{}, velocity{}, hits{};
  std::array<double, kBarSteps> step_offset{}, step_velocity{}, step_hits{};

  explicit FeelTemplate(const GrooveSteps& g) {
    for (int s = 0; s < g.steps; ++s)
      for (int c = 0; c < kClasses; ++c) {
        const size_t i = g.index(s, c), k = size_t((s % kBarSteps) * kClasses + c);
        if (g.hit[i] <= 0.5f) continue;
        offset[k] += g.offset[i], velocity[k] += g.velocity[i], hits[k] += 1;
        step_offset[size_t(s % kBarSteps)] += g.offset[i], step_velocity[size_t(s % kBarSteps)] += g.velocity[i];
        step_hits[size_t(s % kBarSteps)] += 1;
      }
  }
  // The feel of class c on step s of a bar: its own mean, else the step's, else none (false).
  bool at(int s, int c, float& off, float& vel) const {
    const size_t k = size_t((s % kBarSteps) * kClasses + c), b = size_t(s % kBarSteps);
    if (hits[k] > 0) return off = float(offset[k] / hits[k]), vel = float(velocity[k] / hits[k]), true;
    if (step_hits[b] > 0) return off = float(step_offset[b] / step_hits[b]), vel = float(step_velocity[b] / step_hits[b]), true;
    return false;
  }
};

}  // namespace

NoteSequence transfer_groove(const NoteSequence& beat, const NoteSequence& performance) {
  const GrooveSteps played = encode_groove(performance);
  if (played.hits() == 0) throw Error("performance", "has no drum hits to take a groove from");
  const FeelTemplate feel_of(played);
  GrooveSteps feel = encode_groove(beat);
  for (int s = 0; s < feel.steps; ++s)
    for (int c = 0; c < kClasses; ++c) {
      const size_t i = feel.index(s, c);
      if (feel.hit[i] > 0.5f && !feel_of.at(s, c, feel.offset[i], feel.velocity[i])) feel.hit[i] = 0.f;  // left as written
    }
  return apply_groove(beat, feel);
}

}  // namespace timbrel
