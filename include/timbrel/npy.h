#pragma once
// NumPy .npy files of float32 (read: float32/float64/float16 little-endian, C order; write:
// float32), for latent vectors, curves and spectrograms exchanged with Python tools.
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "timbrel/export.h"

namespace timbrel {

struct TIMBREL_API NpyArray {
  std::vector<int64_t> shape;
  std::vector<float> data;  // C order
  size_t size() const;
};

TIMBREL_API NpyArray read_npy(const std::string& path);  // throws Error naming the file and the problem
TIMBREL_API NpyArray parse_npy(const uint8_t* bytes, size_t size, const std::string& name);
TIMBREL_API void write_npy(const std::string& path, const NpyArray& array);  // atomic
TIMBREL_API std::vector<uint8_t> encode_npy(const NpyArray& array);

}  // namespace timbrel
