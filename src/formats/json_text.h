#pragma once
// JSON text of a model file -> nlohmann::json, a syntax error becoming Error(file, ...).
#include <nlohmann/json.hpp>
#include <string>

#include "timbrel/error.h"

namespace timbrel::formats {

inline nlohmann::json parse_json_text(const std::string& text, const std::string& file) {
  try {
    return nlohmann::json::parse(text);
  } catch (const nlohmann::json::exception& e) {
    throw Error(file, std::string("invalid JSON: ") + e.what());
  }
}

}  // namespace timbrel::formats
