#include "formats/safetensors_layout.h"

#include <algorithm>
#include <nlohmann/json.hpp>

#include "timbrel/error.h"

namespace timbrel::formats {
namespace {

// Header sizes above this are refused before any allocation: real headers are a few KB.
constexpr uint64_t kMaxHeaderBytes = uint64_t(100) << 20;
// More elements than this in one tensor is not a model this engine can run.
constexpr uint64_t kMaxElements = uint64_t(1) << 40;

struct DtypeInfo {
  SafeDtype dtype;
  const char* name;
  size_t bytes;
};
constexpr DtypeInfo kDtypes[] = {
    {SafeDtype::F64, "F64", 8}, {SafeDtype::F32, "F32", 4}, {SafeDtype::F16, "F16", 2}, {SafeDtype::BF16, "BF16", 2},
    {SafeDtype::I64, "I64", 8}, {SafeDtype::I32, "I32", 4}, {SafeDtype::I16, "I16", 2}, {SafeDtype::I8, "I8", 1},
    {SafeDtype::U8, "U8", 1},   {SafeDtype::BOOL, "BOOL", 1},
};

const DtypeInfo& info(SafeDtype d) {
  for (const auto& i : kDtypes)
    if (i.dtype == d) return i;
  return kDtypes[0];  // unreachable: every enumerator is in the table
}

}  // namespace

const char* dtype_name(SafeDtype d) { return info(d).name; }
size_t dtype_bytes(SafeDtype d) { return info(d).bytes; }

SafetensorsLayout parse_safetensors_layout(const uint8_t* data, size_t size, const std::string& name) {
  if (size < 8) throw Error(name, "not a safetensors file: " + std::to_string(size) + " bytes, shorter than the 8-byte header length");
  uint64_t header_len = 0;
  for (int i = 7; i >= 0; --i) header_len = header_len << 8 | data[i];
  if (header_len > kMaxHeaderBytes || header_len > size - 8)
    throw Error(name, "safetensors header length " + std::to_string(header_len) + " exceeds the file (" +
                          std::to_string(size) + " bytes)");
  nlohmann::json header;
  try {
    header = nlohmann::json::parse(data + 8, data + 8 + header_len);
  } catch (const nlohmann::json::exception& e) {
    throw Error(name, std::string("safetensors header is not valid JSON: ") + e.what());
  }
  if (!header.is_object()) throw Error(name, "safetensors header is not a JSON object");
  SafetensorsLayout out;
  out.data_offset = 8 + header_len;
  const uint64_t payload_size = size - out.data_offset;
  for (auto it = header.begin(); it != header.end(); ++it) {
    const std::string& key = it.key();
    if (key == "__metadata__") {
      if (!it->is_object()) throw Error(name, "__metadata__ is not an object");
      for (auto m = it->begin(); m != it->end(); ++m) {
        if (!m->is_string()) throw Error(name, "__metadata__ value of '" + m.key() + "' is not a string");
        out.metadata[m.key()] = m->get<std::string>();
      }
      continue;
    }
    const std::string where = "tensor '" + key + "'";
    if (key.empty()) throw Error(name, "a tensor has an empty name");
    const auto& e = *it;
    if (!e.is_object() || !e.contains("dtype") || !e.contains("shape") || !e.contains("data_offsets"))
      throw Error(name, where + " needs dtype, shape and data_offsets");
    if (!e["dtype"].is_string()) throw Error(name, where + ": dtype is not a string");
    const std::string dtype = e["dtype"].get<std::string>();
    const auto dt = std::find_if(std::begin(kDtypes), std::end(kDtypes), [&](const DtypeInfo& d) { return dtype == d.name; });
    if (dt == std::end(kDtypes)) throw Error(name, where + ": unsupported dtype " + dtype);
    if (!e["shape"].is_array()) throw Error(name, where + ": shape is not an array");
    SafetensorsEntry entry;
    entry.name = key;
    entry.dtype = dt->dtype;
    entry.numel = 1;
    for (const auto& d : e["shape"]) {
      if (!d.is_number_unsigned()) throw Error(name, where + ": shape has a non-integer or negative dimension");
      const uint64_t v = d.get<uint64_t>();
      if (v > kMaxElements || (v && entry.numel > kMaxElements / v)) throw Error(name, where + ": absurd shape");
      entry.numel *= v;
      entry.shape.push_back(int64_t(v));
    }
    const auto& off = e["data_offsets"];
    if (!off.is_array() || off.size() != 2 || !off[0].is_number_unsigned() || !off[1].is_number_unsigned())
      throw Error(name, where + ": data_offsets must be two non-negative integers");
    entry.begin = off[0].get<uint64_t>();
    entry.end = off[1].get<uint64_t>();
    if (entry.begin > entry.end || entry.end > payload_size)
      throw Error(name, where + ": data_offsets [" + std::to_string(entry.begin) + ", " + std::to_string(entry.end) +
                            "] outside the data (" + std::to_string(payload_size) + " bytes)");
    if (entry.end - entry.begin != entry.numel * dt->bytes)
      throw Error(name, where + ": " + std::to_string(entry.end - entry.begin) + " bytes for " +
                            std::to_string(entry.numel) + " elements of " + dt->name);
    out.tensors.push_back(std::move(entry));
  }
  // The format requires the tensors to tile the data section without gaps or overlaps.
  std::vector<std::pair<uint64_t, uint64_t>> ranges;
  for (const auto& t : out.tensors) ranges.push_back({t.begin, t.end});
  std::sort(ranges.begin(), ranges.end());
  uint64_t pos = 0;
  for (const auto& r : ranges) {
    if (r.first != pos) throw Error(name, "tensor data overlaps or leaves a gap at byte " + std::to_string(pos));
    pos = r.second;
  }
  if (pos != payload_size) throw Error(name, std::to_string(payload_size - pos) + " trailing bytes after the last tensor");
  return out;
}

namespace {

// No value with every exponent bit set (inf or NaN), for 16-bit floats whose exponent is `mask`.
bool exponents_finite(const uint16_t* p, uint64_t n, uint16_t mask) {
  bool bad = false;
  for (uint64_t i = 0; i < n; ++i) bad |= (p[i] & mask) == mask;
  return !bad;
}

template <typename T>
bool all_finite(const T* p, uint64_t n) {
  bool bad = false;
  for (uint64_t i = 0; i < n; ++i) bad |= !(p[i] - p[i] == T(0));  // NaN and inf give NaN
  return !bad;
}

}  // namespace

bool values_finite(SafeDtype dtype, const void* data, uint64_t numel) {
  switch (dtype) {
    case SafeDtype::F32: return all_finite(static_cast<const float*>(data), numel);
    case SafeDtype::F64: return all_finite(static_cast<const double*>(data), numel);
    case SafeDtype::F16: return exponents_finite(static_cast<const uint16_t*>(data), numel, 0x7C00);
    case SafeDtype::BF16: return exponents_finite(static_cast<const uint16_t*>(data), numel, 0x7F80);
    default: return true;
  }
}

}  // namespace timbrel::formats
