#pragma once
// A DDSP folder's model.json, read leniently: telling a DDSP model from others needs no torch.
#include <nlohmann/json.hpp>
#include <string>

namespace timbrel {

nlohmann::json ddsp_card_of(const std::string& path);  // null when absent or not a JSON object
std::string card_text(const nlohmann::json& j, const char* key);  // "" unless a string

}  // namespace timbrel
