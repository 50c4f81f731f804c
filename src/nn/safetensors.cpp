#include "nn/safetensors.h"

#include <cstring>
#include <fstream>
#include <iterator>
#include <nlohmann/json.hpp>
#include <vector>

#include "timbrel/error.h"
#include "util/atomic_file.h"
#include "util/file_io.h"

namespace timbrel::nn {
namespace {

// Header sizes above this are refused before any allocation: real headers are a few KB.
constexpr uint64_t kMaxHeaderBytes = uint64_t(100) << 20;

struct DtypeInfo {
  const char* name;
  torch::ScalarType type;
  size_t bytes;
};
const DtypeInfo kDtypes[] = {
    {"F64", torch::kDouble, 8}, {"F32", torch::kFloat, 4}, {"F16", torch::kHalf, 2},
    {"BF16", torch::kBFloat16, 2}, {"I64", torch::kLong, 8}, {"I32", torch::kInt, 4},
    {"I16", torch::kShort, 2}, {"I8", torch::kChar, 1}, {"U8", torch::kByte, 1},
    {"BOOL", torch::kBool, 1},
};

const DtypeInfo* dtype_by_name(const std::string& n) {
  for (const auto& d : kDtypes)
    if (n == d.name) return &d;
  return nullptr;
}
const DtypeInfo& dtype_by_type(torch::ScalarType t) {
  for (const auto& d : kDtypes)
    if (d.type == t) return d;
  throw Error("", std::string("dtype ") + c10::toString(t) + " cannot be stored in safetensors");
}

}  // namespace

Safetensors parse_safetensors(const uint8_t* data, size_t size, const std::string& name) {
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
  const uint8_t* payload = data + 8 + header_len;
  const uint64_t payload_size = size - 8 - header_len;
  Safetensors out;
  std::vector<std::pair<uint64_t, uint64_t>> ranges;
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
    const DtypeInfo* dt = dtype_by_name(e["dtype"].get<std::string>());
    if (!dt) throw Error(name, where + ": unsupported dtype " + e["dtype"].get<std::string>());
    if (!e["shape"].is_array()) throw Error(name, where + ": shape is not an array");
    std::vector<int64_t> shape;
    uint64_t numel = 1;
    for (const auto& d : e["shape"]) {
      if (!d.is_number_unsigned()) throw Error(name, where + ": shape has a non-integer or negative dimension");
      uint64_t v = d.get<uint64_t>();
      if (v > (uint64_t(1) << 40) || (v && numel > (uint64_t(1) << 40) / v)) throw Error(name, where + ": absurd shape");
      numel *= v;
      shape.push_back(int64_t(v));
    }
    const auto& off = e["data_offsets"];
    if (!off.is_array() || off.size() != 2 || !off[0].is_number_unsigned() || !off[1].is_number_unsigned())
      throw Error(name, where + ": data_offsets must be two non-negative integers");
    uint64_t begin = off[0].get<uint64_t>(), end = off[1].get<uint64_t>();
    if (begin > end || end > payload_size)
      throw Error(name, where + ": data_offsets [" + std::to_string(begin) + ", " + std::to_string(end) +
                            "] outside the data (" + std::to_string(payload_size) + " bytes)");
    if (end - begin != numel * dt->bytes)
      throw Error(name, where + ": " + std::to_string(end - begin) + " bytes for " + std::to_string(numel) +
                            " elements of " + dt->name);
    ranges.push_back({begin, end});
    torch::Tensor t = torch::empty(shape, torch::TensorOptions().dtype(dt->type));
    if (numel) std::memcpy(t.data_ptr(), payload + begin, end - begin);
    out.tensors[key] = t;
  }
  // The format requires the tensors to tile the data buffer without gaps or overlaps.
  std::sort(ranges.begin(), ranges.end());
  uint64_t pos = 0;
  for (const auto& r : ranges) {
    if (r.first != pos) throw Error(name, "tensor data overlaps or leaves a gap at byte " + std::to_string(pos));
    pos = r.second;
  }
  if (pos != payload_size) throw Error(name, std::to_string(payload_size - pos) + " trailing bytes after the last tensor");
  return out;
}

Safetensors read_safetensors(const std::string& path) {
  std::vector<uint8_t> bytes = read_file_bytes(path);
  return parse_safetensors(bytes.data(), bytes.size(), path);
}

std::string encode_safetensors(const TensorMap& tensors, const std::map<std::string, std::string>& metadata,
                               torch::ScalarType float_dtype) {
  if (float_dtype != torch::kFloat && float_dtype != torch::kHalf)
    throw Error("", "safetensors floats are stored as F32 or F16");
  nlohmann::json header = nlohmann::json::object();
  if (!metadata.empty()) header["__metadata__"] = metadata;
  std::vector<torch::Tensor> stored;
  uint64_t offset = 0;
  for (const auto& [key, t0] : tensors) {  // std::map: sorted names, as the reference writer
    if (key.empty() || key == "__metadata__") throw Error("", "invalid tensor name '" + key + "'");
    torch::Tensor t = t0.detach().to(torch::kCPU);
    if (t.is_floating_point()) t = t.to(float_dtype);
    t = t.contiguous();
    const DtypeInfo& dt = dtype_by_type(t.scalar_type());
    uint64_t n = uint64_t(t.numel()) * dt.bytes;
    header[key] = {{"dtype", dt.name}, {"shape", t.sizes().vec()}, {"data_offsets", {offset, offset + n}}};
    offset += n;
    stored.push_back(t);
  }
  std::string h = header.dump();
  h.append((8 - h.size() % 8) % 8, ' ');  // align the data to 8 bytes
  std::string out(8, '\0');
  for (int i = 0; i < 8; ++i) out[size_t(i)] = char(uint64_t(h.size()) >> (8 * i) & 0xff);
  out += h;
  for (const auto& t : stored) out.append(static_cast<const char*>(t.data_ptr()), t.numel() * t.element_size());
  return out;
}

void write_safetensors(const std::string& path, const TensorMap& tensors,
                       const std::map<std::string, std::string>& metadata, torch::ScalarType float_dtype) {
  std::string bytes;
  try {
    bytes = encode_safetensors(tensors, metadata, float_dtype);
  } catch (const Error& e) {
    throw Error(path, e.problem());
  }
  write_file_atomically(path, bytes.data(), bytes.size());
}

void require_finite(const TensorMap& tensors, const std::string& subject) {
  for (const auto& [name, t] : tensors)
    if (t.is_floating_point() && t.numel() > 0 && !torch::isfinite(t).all().item<bool>())
      throw Error(subject, "tensor '" + name + "' has NaN or infinite values");
}

}  // namespace timbrel::nn
