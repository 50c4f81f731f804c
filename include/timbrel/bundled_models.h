#pragma once
#include <string>

#include "timbrel/export.h"

namespace timbrel {

// A model the project ships (models/NAME): found under $TIMBREL_MODELS, ./models, models/ beside
// (or one level above) the running executable, or PREFIX/share/timbrel/models of the executable
// or of the installed libtimbrel.so. Error naming the places looked when none has it.
TIMBREL_API std::string bundled_model_path(const std::string& name);

}  // namespace timbrel
