#include "models/gansynth_weights.h"

#include <cstdio>
#include <map>
#include <set>

#include "formats/safetensors_layout.h"
#include "timbrel/error.h"
#include "util/file_io.h"

namespace timbrel {
namespace {

using formats::SafeDtype;

TorchDtypeCode torch_code(SafeDtype d) {
  switch (d) {
    case SafeDtype::F64: return TorchDtypeCode::F64;
    case SafeDtype::F32: return TorchDtypeCode::F32;
    case SafeDtype::F16: return TorchDtypeCode::F16;
    case SafeDtype::BF16: return TorchDtypeCode::BF16;
    case SafeDtype::I64: return TorchDtypeCode::I64;
    case SafeDtype::I32: return TorchDtypeCode::I32;
    case SafeDtype::I16: return TorchDtypeCode::I16;
    case SafeDtype::I8: return TorchDtypeCode::I8;
    case SafeDtype::U8: return TorchDtypeCode::U8;
    case SafeDtype::BOOL: return TorchDtypeCode::Bool;
  }
  return TorchDtypeCode::F32;
}

bool is_float(SafeDtype d) { return d == SafeDtype::F64 || d == SafeDtype::F32 || d == SafeDtype::F16 || d == SafeDtype::BF16; }

std::string shape_text(const std::vector<int64_t>& shape) {
  std::string t = "[";
  for (size_t i = 0; i < shape.size(); ++i) t += (i ? ", " : "") + std::to_string(shape[i]);
  return t + "]";
}

// What the network's constructor checks, in its order and words.
void check_layout(const formats::SafetensorsLayout& layout, const GansynthConfig& c, const std::string& subject) {
  if (c.channels.empty() || c.latent_size < 1 || c.pitches < 1) throw Error(subject, "invalid GANSynth configuration");
  std::map<std::string, const formats::SafetensorsEntry*> by_name;
  for (const auto& e : layout.tensors) by_name[e.name] = &e;
  std::set<std::string> known;
  for (const auto& [name, shape] : gansynth_tensor_shapes(c)) {
    known.insert(name);
    auto it = by_name.find(name);
    if (it == by_name.end()) throw Error(subject, "lacks the tensor " + name);
    if (!is_float(it->second->dtype)) throw Error(subject, name + " is not floating point");
    if (it->second->shape != shape) throw Error(subject, name + " has shape " + shape_text(it->second->shape) + ", expected " + shape_text(shape));
  }
  for (const auto& e : layout.tensors)
    if (!known.count(e.name)) throw Error(subject, "unexpected tensor " + e.name + " for this configuration");
}

}  // namespace

std::vector<std::pair<std::string, std::vector<int64_t>>> gansynth_tensor_shapes(const GansynthConfig& c) {
  std::vector<std::pair<std::string, std::vector<int64_t>>> out;
  int64_t cin = c.latent_size + c.pitches;
  for (size_t b = 0; b < c.channels.size(); ++b) {
    const int64_t co = c.channels[b];
    const std::string p = "block" + std::to_string(b + 1) + ".";
    out.push_back({p + "conv0.weight", b == 0 ? std::vector<int64_t>{co, cin, 2, 16} : std::vector<int64_t>{co, cin, 3, 3}});
    out.push_back({p + "conv0.bias", {co}});
    out.push_back({p + "conv1.weight", {co, co, 3, 3}});
    out.push_back({p + "conv1.bias", {co}});
    cin = co;
  }
  const int64_t rgb = int64_t(2) << c.time_depth_blocks;
  out.push_back({"to_rgb.weight", {rgb, cin, 1, 1}});
  out.push_back({"to_rgb.bias", {rgb}});
  if (c.pitch_template) out.push_back({"pitch_template", {c.pitches, int64_t(16) << (c.channels.size() - 1), 2}});
  return out;
}

GansynthWeights check_gansynth_weights(const std::string& file, const GansynthConfig& c, const std::string& subject) {
  const std::vector<uint8_t> bytes = read_file_bytes(file, kMaxWeightFileBytes);
  const formats::SafetensorsLayout layout = formats::parse_safetensors_layout(bytes.data(), bytes.size(), file);
  const uint8_t* data = bytes.data() + layout.data_offset;
  for (const auto& e : layout.tensors)  // sorted by name, as the fingerprint takes them
    if (is_float(e.dtype) && e.numel > 0 && !formats::values_finite(e.dtype, data + e.begin, e.numel))
      throw Error(file, "tensor '" + e.name + "' has NaN or infinite values");
  check_layout(layout, c, subject);
  GansynthWeights out;
  GansynthFingerprint fingerprint(c);
  for (const auto& e : layout.tensors) {
    fingerprint.add(e.name, e.shape, torch_code(e.dtype), data + e.begin, size_t(e.end - e.begin));
    out.parameters += int64_t(e.numel);
  }
  out.fingerprint = fingerprint.hex();
  return out;
}

GansynthFingerprint::GansynthFingerprint(const GansynthConfig& c) {
  for (int v : {c.latent_size, c.min_pitch, c.pitches, int(c.pitch_template), c.time_depth_blocks}) hash_.add_value(v);
  for (int v : c.channels) hash_.add_value(v);
}

void GansynthFingerprint::add(const std::string& name, const std::vector<int64_t>& shape, TorchDtypeCode dtype, const void* data,
                              size_t bytes) {
  hash_.add(name.data(), name.size() + 1);
  for (int64_t d : shape) hash_.add_value(d);
  hash_.add_value(int(dtype));
  hash_.add(data, bytes);
}

std::string GansynthFingerprint::hex() const {
  char text[17];
  std::snprintf(text, sizeof text, "%016llx", static_cast<unsigned long long>(hash_.digest()));
  return text;
}

}  // namespace timbrel
