#include "timbrel/model_kind.h"

#include "timbrel/error.h"

namespace timbrel {

ModelKind parse_model_kind(const std::string& text, const std::string& parameter) {
  if (text == "melody") return ModelKind::Melody;
  if (text == "drums") return ModelKind::Drums;
  throw Error(parameter + " " + text, "must be melody or drums");
}

std::string to_string(ModelKind kind) { return kind == ModelKind::Drums ? "drums" : "melody"; }

}  // namespace timbrel
