#pragma once
// The .npy header layer behind timbrel/npy.h (half-float writers reuse it).
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "timbrel/npy.h"

namespace timbrel {

// The .npy header (magic, version 1.0, dict padded to 64 bytes) for C-order data of `descr`
// ("<f4", "<f2") and `shape`; the data follows it directly.
// min_size pads the header to at least that many bytes (to rewrite it in place once the final
// shape is known).
std::string npy_header(const std::string& descr, const std::vector<int64_t>& shape, size_t min_size = 0);

struct NpyHeader {
  std::string descr;  // "<f4", "<f8" or "<f2"
  size_t item = 4, count = 0, data_offset = 0;
  std::vector<int64_t> shape;
};
// Parses and checks the header only (dtype among the supported ones, C order, count * item <= max_bytes).
NpyHeader parse_npy_header(const uint8_t* bytes, size_t size, const std::string& name, size_t max_bytes);

}  // namespace timbrel
