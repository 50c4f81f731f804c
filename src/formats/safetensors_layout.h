#pragma once
// The safetensors layout (https://github.com/huggingface/safetensors) without any tensor library:
// 8-byte little-endian header length, a JSON header {name: {dtype, shape, data_offsets},
// "__metadata__": {str: str}}, then the raw little-endian data. Torch-free so that libFuzzer
// (clang) can run it; nn/safetensors.cpp turns a layout into tensors.
#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace timbrel::formats {

enum class SafeDtype { F64, F32, F16, BF16, I64, I32, I16, I8, U8, BOOL };
const char* dtype_name(SafeDtype d);
size_t dtype_bytes(SafeDtype d);

struct SafetensorsEntry {
  std::string name;
  SafeDtype dtype;
  std::vector<int64_t> shape;
  uint64_t numel = 0;
  uint64_t begin = 0, end = 0;  // byte range inside the data section
};

struct SafetensorsLayout {
  std::vector<SafetensorsEntry> tensors;        // sorted by name
  std::map<std::string, std::string> metadata;  // "__metadata__"
  uint64_t data_offset = 0;                     // where the data section starts in the file
};

// Validates everything (dtypes, shapes, offsets inside the data, tensors tiling the data without
// gaps or overlaps) before the caller allocates anything; errors name `name` and the tensor.
SafetensorsLayout parse_safetensors_layout(const uint8_t* data, size_t size, const std::string& name);

// Whether every value of `numel` stored elements of `dtype` is finite (true for integer dtypes).
bool values_finite(SafeDtype dtype, const void* data, uint64_t numel);

}  // namespace timbrel::formats
