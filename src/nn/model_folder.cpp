#include "nn/model_folder.h"

#include <filesystem>
#include <fstream>
#include <iterator>

#include "timbrel/error.h"
#include "util/atomic_file.h"

namespace timbrel::nn {

bool is_model_folder(const std::string& dir) { return std::filesystem::exists(dir + "/model.json"); }

ModelFolder read_model_folder(const std::string& dir, const std::string& architecture) {
  const std::string card_path = dir + "/model.json";
  std::ifstream in(card_path);
  if (!in) throw Error(card_path, "cannot open");
  ModelFolder out;
  try {
    out.card = nlohmann::json::parse(std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>()));
  } catch (const nlohmann::json::exception& e) {
    throw Error(card_path, std::string("invalid JSON: ") + e.what());
  }
  if (!out.card.is_object() || !out.card.contains("architecture") || !out.card["architecture"].is_string())
    throw Error(card_path, "needs a string \"architecture\"");
  if (!architecture.empty() && out.card["architecture"] != architecture)
    throw Error(card_path, "architecture is \"" + out.card["architecture"].get<std::string>() + "\", expected \"" +
                               architecture + "\"");
  out.tensors = read_safetensors(dir + "/weights.safetensors").tensors;
  require_finite(out.tensors, dir + "/weights.safetensors");
  return out;
}

void write_model_folder(const std::string& dir, const nlohmann::json& card, const TensorMap& tensors,
                        torch::ScalarType float_dtype) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) throw Error(dir, "cannot create the folder: " + ec.message());
  write_safetensors(dir + "/weights.safetensors", tensors, {{"format", "pt"}}, float_dtype);
  std::string text = card.dump(2) + "\n";
  write_file_atomically(dir + "/model.json", text.data(), text.size());
}

}  // namespace timbrel::nn
