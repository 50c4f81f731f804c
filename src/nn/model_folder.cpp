#include "nn/model_folder.h"

#include <filesystem>

#include "formats/model_card.h"
#include "timbrel/error.h"
#include "util/atomic_file.h"
#include "util/file_io.h"

namespace timbrel::nn {

bool is_model_folder(const std::string& dir) { return std::filesystem::exists(dir + "/model.json"); }

ModelFolder read_model_folder(const std::string& dir, const std::string& architecture) {
  const std::string card_path = dir + "/model.json";
  ModelFolder out;
  out.card = formats::parse_model_card(read_text_file(card_path), card_path, architecture);
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
