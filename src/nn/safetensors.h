#pragma once
// safetensors (https://github.com/huggingface/safetensors): 8-byte little-endian header length,
// a JSON header {name: {dtype, shape, data_offsets}, "__metadata__": {str: str}}, then the raw
// little-endian data. Every entry is validated; errors name the file and the tensor.
#include <cstdint>
#include <map>
#include <string>

#include <torch/torch.h>

namespace timbrel::nn {

using TensorMap = std::map<std::string, torch::Tensor>;

struct Safetensors {
  TensorMap tensors;                            // CPU, contiguous, in the stored dtype
  std::map<std::string, std::string> metadata;  // "__metadata__"
};

// Supported dtypes: F64, F32, F16, BF16, I64, I32, I16, I8, U8, BOOL.
Safetensors read_safetensors(const std::string& path);
// Error naming `subject` and the first tensor with a NaN or infinite value (weights must be finite).
void require_finite(const TensorMap& tensors, const std::string& subject);
Safetensors parse_safetensors(const uint8_t* data, size_t size, const std::string& name);
// Copies a stored tensor into a module parameter: floating point, the parameter's shape and finite,
// else Error naming `subject` and the tensor.
void copy_parameter(torch::Tensor& parameter, const torch::Tensor& stored, const std::string& name, const std::string& subject);
// Every parameter of `module` by its path, detached.
TensorMap parameter_map(const torch::nn::Module& module);
// `tensors` into every parameter of `module` (copy_parameter each); a tensor no parameter takes, or
// a parameter without its tensor, is an Error naming `subject` (and `architecture`, e.g. "this GrooVAE").
void load_parameters(torch::nn::Module& module, const TensorMap& tensors, const std::string& subject, const std::string& architecture);
// "[4, 256]"
std::string shape_text(torch::IntArrayRef shape);

// Floating-point tensors are stored as `float_dtype` (torch::kFloat or torch::kHalf); others as
// they are. Atomic (temp file + rename).
void write_safetensors(const std::string& path, const TensorMap& tensors,
                       const std::map<std::string, std::string>& metadata = {},
                       torch::ScalarType float_dtype = torch::kFloat);
std::string encode_safetensors(const TensorMap& tensors, const std::map<std::string, std::string>& metadata,
                               torch::ScalarType float_dtype);

}  // namespace timbrel::nn
