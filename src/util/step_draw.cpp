#include "timbrel/step_draw.h"

#include "timbrel/error.h"

namespace timbrel {

StepDraw parse_step_draw(const std::string& name, const std::string& subject) {
  std::string n = name;
  for (char& c : n)
    if (c == '-') c = '_';
  if (n == "flat") return StepDraw::Flat;
  if (n == "per_decision") return StepDraw::PerDecision;
  if (n == "keep_density") return StepDraw::KeepDensity;
  throw Error(subject, "\"" + name + "\" is not a way to draw: flat, per_decision or keep_density");
}

std::string to_string(StepDraw draw) {
  switch (draw) {
    case StepDraw::Flat: return "flat";
    case StepDraw::PerDecision: return "per_decision";
    case StepDraw::KeepDensity: return "keep_density";
  }
  return "flat";
}

}  // namespace timbrel
