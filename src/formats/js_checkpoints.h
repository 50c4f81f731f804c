#pragma once
// The two JavaScript checkpoint layouts Magenta published, without any tensor library (torch-free
// so that libFuzzer can run them; nn/tf_checkpoints.cpp reads the files and makes tensors):
//  - TF.js: weights_manifest.json = [{paths: [shard files], weights: [{name, shape, dtype,
//    quantization?}]}]; a group's shards concatenated hold its weights in order; quantized
//    weights are uint8/uint16 (value = q * scale + min) or float16;
//  - deeplearn.js: manifest.json = {variable: {filename, shape}}, each file raw little-endian
//    float32.
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace timbrel::formats {

struct DljsVariable {
  std::string name;
  std::string file;  // a plain file name inside the checkpoint folder
  std::vector<int64_t> shape;
  int64_t numel = 0;
};
std::vector<DljsVariable> parse_dljs_manifest(const std::string& text, const std::string& manifest);
// A variable's file contents -> float32 values; errors name `path`.
std::vector<float> decode_dljs_variable(const DljsVariable& v, const std::vector<uint8_t>& bytes, const std::string& path);

struct TfjsWeight {
  std::string name;
  std::vector<int64_t> shape;
  int64_t numel = 0;
  bool int32 = false;        // dtype "int32" (else "float32")
  std::string quantization;  // "", "uint8", "uint16" or "float16"
  double scale = 1, min = 0;
  size_t stored_bytes() const;
};
struct TfjsGroup {
  std::vector<std::string> paths;  // plain file names inside the checkpoint folder
  std::vector<TfjsWeight> weights;
};
std::vector<TfjsGroup> parse_tfjs_manifest(const std::string& text, const std::string& manifest);

// A decoded weight: float32 values, or int32 ones when `int32`.
struct DecodedWeight {
  std::string name;
  std::vector<int64_t> shape;
  bool int32 = false;
  std::vector<float> floats;
  std::vector<int32_t> ints;
};
// The group's shards concatenated -> its weights. The data must be exactly what the manifest
// describes; errors name `dir`.
std::vector<DecodedWeight> decode_tfjs_group(const TfjsGroup& group, const std::vector<uint8_t>& data,
                                             const std::string& dir);

}  // namespace timbrel::formats
