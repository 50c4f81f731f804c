#include "nn/safetensors.h"

#include <cstring>
#include <fstream>
#include <iterator>
#include <nlohmann/json.hpp>
#include <vector>

#include "formats/safetensors_layout.h"
#include "timbrel/error.h"
#include "util/atomic_file.h"
#include "util/file_io.h"

namespace timbrel::nn {
namespace {

using formats::SafeDtype;

constexpr std::pair<SafeDtype, torch::ScalarType> kTorchTypes[] = {
    {SafeDtype::F64, torch::kDouble}, {SafeDtype::F32, torch::kFloat}, {SafeDtype::F16, torch::kHalf},
    {SafeDtype::BF16, torch::kBFloat16}, {SafeDtype::I64, torch::kLong}, {SafeDtype::I32, torch::kInt},
    {SafeDtype::I16, torch::kShort}, {SafeDtype::I8, torch::kChar}, {SafeDtype::U8, torch::kByte},
    {SafeDtype::BOOL, torch::kBool},
};

torch::ScalarType torch_type(SafeDtype d) {
  for (const auto& [s, t] : kTorchTypes)
    if (s == d) return t;
  throw Error("", "unmapped safetensors dtype");
}
SafeDtype safe_dtype(torch::ScalarType t) {
  for (const auto& [s, tt] : kTorchTypes)
    if (tt == t) return s;
  throw Error("", std::string("dtype ") + c10::toString(t) + " cannot be stored in safetensors");
}

}  // namespace

Safetensors parse_safetensors(const uint8_t* data, size_t size, const std::string& name) {
  const formats::SafetensorsLayout layout = formats::parse_safetensors_layout(data, size, name);
  Safetensors out;
  out.metadata = layout.metadata;
  const uint8_t* payload = data + layout.data_offset;
  for (const auto& e : layout.tensors) {
    torch::Tensor t = torch::empty(e.shape, torch::TensorOptions().dtype(torch_type(e.dtype)));
    if (e.numel) std::memcpy(t.data_ptr(), payload + e.begin, e.end - e.begin);
    out.tensors[e.name] = t;
  }
  return out;
}

Safetensors read_safetensors(const std::string& path) {
  std::vector<uint8_t> bytes = read_file_bytes(path, kMaxWeightFileBytes);
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
    const SafeDtype dt = safe_dtype(t.scalar_type());
    uint64_t n = uint64_t(t.numel()) * formats::dtype_bytes(dt);
    header[key] = {{"dtype", formats::dtype_name(dt)}, {"shape", t.sizes().vec()}, {"data_offsets", {offset, offset + n}}};
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

std::string shape_text(torch::IntArrayRef shape) {
  std::string t = "[";
  for (size_t i = 0; i < shape.size(); ++i) t += (i ? ", " : "") + std::to_string(shape[i]);
  return t + "]";
}

void copy_parameter(torch::Tensor& parameter, const torch::Tensor& stored, const std::string& name, const std::string& subject) {
  if (!stored.is_floating_point()) throw Error(subject, "tensor '" + name + "' is not floating point");
  if (stored.sizes() != parameter.sizes())
    throw Error(subject, "tensor '" + name + "' has shape " + shape_text(stored.sizes()) + ", expected " + shape_text(parameter.sizes()));
  auto f = stored.to(torch::kFloat);
  if (!torch::isfinite(f).all().item<bool>()) throw Error(subject, "tensor '" + name + "' has non-finite values");
  torch::NoGradGuard no_grad;
  parameter.copy_(f);
}

TensorMap parameter_map(const torch::nn::Module& module) {
  TensorMap out;
  for (const auto& p : module.named_parameters(true)) out[p.key()] = p.value().detach();
  return out;
}

void load_parameters(torch::nn::Module& module, const TensorMap& tensors, const std::string& subject, const std::string& architecture) {
  torch::NoGradGuard no_grad;
  auto params = module.named_parameters(true);
  for (const auto& [name, t] : tensors)
    if (!params.contains(name)) throw Error(subject, "unexpected tensor '" + name + "' for " + architecture);
  for (auto& p : params) {
    auto it = tensors.find(p.key());
    if (it == tensors.end()) throw Error(subject, "has no tensor '" + p.key() + "'");
    copy_parameter(p.value(), it->second, p.key(), subject);
  }
}

namespace {

// Read straight from the data for the types weights come in (a torch reduction per tensor costs
// more than the load itself).
bool all_finite(const torch::Tensor& tensor) {
  const torch::ScalarType type = tensor.scalar_type();
  if (!tensor.is_cpu() || (type != torch::kFloat && type != torch::kHalf && type != torch::kBFloat16))
    return torch::isfinite(tensor).all().item<bool>();
  const torch::Tensor t = tensor.contiguous();
  return formats::values_finite(safe_dtype(type), t.data_ptr(), uint64_t(t.numel()));
}

}  // namespace

void require_finite(const TensorMap& tensors, const std::string& subject) {
  for (const auto& [name, t] : tensors)
    if (t.is_floating_point() && t.numel() > 0 && !all_finite(t))
      throw Error(subject, "tensor '" + name + "' has NaN or infinite values");
}

}  // namespace timbrel::nn
