#pragma once
// What a symbolic model (MusicVAE, event RNN) plays: a monophonic melody or a drum kit.
#include <string>

#include "timbrel/export.h"

namespace timbrel {

enum class ModelKind { Melody, Drums };

// "melody" | "drums"; Error naming `parameter` otherwise.
TIMBREL_API ModelKind parse_model_kind(const std::string& text, const std::string& parameter = "kind");
TIMBREL_API std::string to_string(ModelKind kind);

}  // namespace timbrel
