#include "formats/js_checkpoints.h"

#include <cmath>
#include <cstring>
#include <nlohmann/json.hpp>

#include "formats/json_text.h"
#include "timbrel/error.h"
#include "util/half.h"

namespace timbrel::formats {
namespace {

// Dimensions up to 2^32 and 2^34 elements: far beyond any checkpoint, and no product overflows.
std::vector<int64_t> parse_shape(const nlohmann::json& j, const std::string& file, const std::string& var, int64_t* numel) {
  if (!j.is_array()) throw Error(file, "'" + var + "': shape is not an array");
  std::vector<int64_t> shape;
  *numel = 1;
  for (const auto& d : j) {
    if (!d.is_number_unsigned() || d.get<uint64_t>() > (uint64_t(1) << 32))
      throw Error(file, "'" + var + "': invalid dimension in shape");
    const int64_t v = d.get<int64_t>();
    if (v && *numel > (int64_t(1) << 34) / v) throw Error(file, "'" + var + "': absurd shape");
    *numel *= v;
    shape.push_back(v);
  }
  return shape;
}

// Manifest names become file paths: refuse anything that could leave the folder.
void check_file_name(const std::string& name, const std::string& manifest) {
  if (name.empty() || name.find('/') != std::string::npos || name.find('\0') != std::string::npos || name == "." ||
      name == "..")
    throw Error(manifest, "invalid weight file name '" + name + "'");
}

}  // namespace

std::vector<DljsVariable> parse_dljs_manifest(const std::string& text, const std::string& manifest) {
  const nlohmann::json j = parse_json_text(text, manifest);
  if (!j.is_object()) throw Error(manifest, "expected an object of variables");
  std::vector<DljsVariable> out;
  for (auto it = j.begin(); it != j.end(); ++it) {
    const auto& e = *it;
    if (!e.is_object() || !e.contains("filename") || !e["filename"].is_string() || !e.contains("shape"))
      throw Error(manifest, "'" + it.key() + "' needs filename and shape");
    DljsVariable v;
    v.name = it.key();
    v.shape = parse_shape(e["shape"], manifest, it.key(), &v.numel);
    v.file = e["filename"].get<std::string>();
    check_file_name(v.file, manifest);
    out.push_back(std::move(v));
  }
  return out;
}

std::vector<float> decode_dljs_variable(const DljsVariable& v, const std::vector<uint8_t>& bytes, const std::string& path) {
  if (bytes.size() != size_t(v.numel) * 4) {
    std::string shape;
    for (int64_t d : v.shape) shape += (shape.empty() ? "" : ", ") + std::to_string(d);
    throw Error(path, std::to_string(bytes.size()) + " bytes, expected " + std::to_string(v.numel * 4) +
                          " (float32 of shape [" + shape + "])");
  }
  std::vector<float> out(size_t(v.numel));
  if (!out.empty()) std::memcpy(out.data(), bytes.data(), bytes.size());
  return out;
}

size_t TfjsWeight::stored_bytes() const {
  const size_t elem = quantization == "uint8" ? 1 : quantization.empty() ? 4 : 2;
  return size_t(numel) * elem;
}

std::vector<TfjsGroup> parse_tfjs_manifest(const std::string& text, const std::string& manifest) {
  const nlohmann::json j = parse_json_text(text, manifest);
  if (!j.is_array()) throw Error(manifest, "expected an array of weight groups");
  std::vector<TfjsGroup> out;
  for (const auto& group : j) {
    if (!group.is_object() || !group.contains("paths") || !group.contains("weights") || !group["paths"].is_array() ||
        !group["weights"].is_array())
      throw Error(manifest, "each group needs 'paths' and 'weights' arrays");
    TfjsGroup g;
    for (const auto& p : group["paths"]) {
      if (!p.is_string()) throw Error(manifest, "shard path is not a string");
      check_file_name(p.get<std::string>(), manifest);
      g.paths.push_back(p.get<std::string>());
    }
    for (const auto& w : group["weights"]) {
      if (!w.is_object() || !w.contains("name") || !w["name"].is_string() || !w.contains("shape") || !w.contains("dtype"))
        throw Error(manifest, "each weight needs name, shape and dtype");
      TfjsWeight t;
      t.name = w["name"].get<std::string>();
      t.shape = parse_shape(w["shape"], manifest, t.name, &t.numel);
      const std::string dtype = w["dtype"].is_string() ? w["dtype"].get<std::string>() : "";
      if (dtype != "float32" && dtype != "int32")
        throw Error(manifest, "'" + t.name + "': unsupported dtype '" + dtype + "'");
      t.int32 = dtype == "int32";
      if (w.contains("quantization")) {
        const auto& q = w["quantization"];
        if (!q.is_object() || !q.contains("dtype") || !q["dtype"].is_string())
          throw Error(manifest, "'" + t.name + "': malformed quantization");
        t.quantization = q["dtype"].get<std::string>();
        if (t.quantization != "uint8" && t.quantization != "uint16" && t.quantization != "float16")
          throw Error(manifest, "'" + t.name + "': unsupported quantization dtype '" + t.quantization + "'");
        if (t.quantization != "float16") {
          if (!q.contains("scale") || !q["scale"].is_number() || !q.contains("min") || !q["min"].is_number())
            throw Error(manifest, "'" + t.name + "': quantization needs numeric scale and min");
          t.scale = q["scale"].get<double>();
          t.min = q["min"].get<double>();
          if (!std::isfinite(t.scale) || !std::isfinite(t.min))
            throw Error(manifest, "'" + t.name + "': quantization scale and min must be finite");
        }
      }
      g.weights.push_back(std::move(t));
    }
    out.push_back(std::move(g));
  }
  return out;
}

std::vector<DecodedWeight> decode_tfjs_group(const TfjsGroup& group, const std::vector<uint8_t>& data, const std::string& dir) {
  std::vector<DecodedWeight> out;
  size_t offset = 0;
  for (const TfjsWeight& w : group.weights) {
    const size_t n = w.stored_bytes();
    if (n > data.size() - offset)
      throw Error(dir, "'" + w.name + "' ends at byte " + std::to_string(offset + n) + " but the shards hold " +
                           std::to_string(data.size()));
    const uint8_t* src = data.data() + offset;
    DecodedWeight d;
    d.name = w.name;
    d.shape = w.shape;
    d.int32 = w.int32;
    const size_t count = size_t(w.numel);
    if (w.quantization.empty()) {
      if (w.int32) {
        d.ints.resize(count);
        if (n) std::memcpy(d.ints.data(), src, n);
      } else {
        d.floats.resize(count);
        if (n) std::memcpy(d.floats.data(), src, n);
      }
    } else {
      // Dequantised as TF.js does, in float32 (float16 -> float32 exactly).
      std::vector<float> values(count);
      if (w.quantization == "float16") {
        for (size_t i = 0; i < count; ++i) values[i] = half_to_float(uint16_t(src[2 * i] | src[2 * i + 1] << 8));
      } else if (w.quantization == "uint16") {
        for (size_t i = 0; i < count; ++i) values[i] = float(double(src[2 * i] | src[2 * i + 1] << 8) * w.scale + w.min);
      } else {
        for (size_t i = 0; i < count; ++i) values[i] = float(double(src[i]) * w.scale + w.min);
      }
      if (w.int32) {
        d.ints.resize(count);
        for (size_t i = 0; i < count; ++i) {
          const float r = std::nearbyint(values[i]);
          if (!(r >= -2147483648.0f && r < 2147483648.0f))
            throw Error(dir, "'" + w.name + "': dequantised value " + std::to_string(values[i]) + " is not an int32");
          d.ints[i] = int32_t(r);
        }
      } else {
        d.floats = std::move(values);
      }
    }
    offset += n;
    out.push_back(std::move(d));
  }
  if (offset != data.size())
    throw Error(dir, std::to_string(data.size() - offset) + " bytes of shard data are not described by the manifest");
  return out;
}

}  // namespace timbrel::formats
