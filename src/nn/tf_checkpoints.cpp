#include "nn/tf_checkpoints.h"

#include <cstring>
#include <filesystem>

#include "formats/js_checkpoints.h"
#include "timbrel/error.h"
#include "util/file_io.h"

namespace timbrel::nn {
namespace {

template <typename T>
torch::Tensor to_tensor(const std::vector<T>& values, const std::vector<int64_t>& shape, torch::ScalarType type) {
  torch::Tensor t = torch::empty(shape, type);
  if (!values.empty()) std::memcpy(t.data_ptr(), values.data(), values.size() * sizeof(T));
  return t;
}

}  // namespace

TensorMap read_dljs_checkpoint(const std::string& dir) {
  const std::string manifest = dir + "/manifest.json";
  TensorMap out;
  for (const auto& v : formats::parse_dljs_manifest(read_text_file(manifest), manifest)) {
    const std::string path = dir + "/" + v.file;
    if (!std::filesystem::exists(path)) continue;  // absent variables are reported by the model loader
    const std::vector<float> values = formats::decode_dljs_variable(v, read_file_bytes(path, kMaxWeightFileBytes), path);
    out[v.name] = to_tensor(values, v.shape, torch::kFloat);
  }
  return out;
}

TensorMap read_tfjs_checkpoint(const std::string& dir) {
  const std::string manifest = dir + "/weights_manifest.json";
  return read_tfjs_weights(dir, read_text_file(manifest), manifest);
}

TensorMap read_tfjs_weights(const std::string& dir, const std::string& manifest_text, const std::string& manifest) {
  TensorMap out;
  for (const auto& group : formats::parse_tfjs_manifest(manifest_text, manifest)) {
    std::vector<uint8_t> data;  // the group's shards, concatenated
    std::string missing;
    for (const auto& p : group.paths) {
      const std::string path = dir + "/" + p;
      if (!std::filesystem::exists(path)) {
        missing += (missing.empty() ? "" : ", ") + p;
        continue;
      }
      const std::vector<uint8_t> bytes = read_file_bytes(path, kMaxWeightFileBytes);
      if (bytes.size() > kMaxWeightFileBytes - data.size())
        throw Error(dir, "the shards of a weight group exceed " + std::to_string(kMaxWeightFileBytes) + " bytes");
      data.insert(data.end(), bytes.begin(), bytes.end());
    }
    if (!missing.empty()) throw Error(dir, "TF.js checkpoint lacks shard files: " + missing);
    for (const auto& w : formats::decode_tfjs_group(group, data, dir))
      out[w.name] = w.int32 ? to_tensor(w.ints, w.shape, torch::kInt) : to_tensor(w.floats, w.shape, torch::kFloat);
  }
  return out;
}

}  // namespace timbrel::nn
