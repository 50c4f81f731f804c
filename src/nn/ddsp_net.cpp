#include "nn/ddsp_net.h"

#include <cmath>

#include <nlohmann/json.hpp>

#include "nn/tf_checkpoints.h"
#include "timbrel/error.h"
#include "util/file_io.h"

namespace timbrel::nn {
namespace {

// DDSP's exp_sigmoid: 2 sigmoid(x)^ln(10) + 1e-7.
torch::Tensor exp_sigmoid(const torch::Tensor& x) { return 2.0 * torch::pow(torch::sigmoid(x), std::log(10.0)) + 1e-7; }

}  // namespace

DdspNetImpl::DdspNetImpl(const DdspConfig& c) : config_(c) {
  if (c.channels < 1 || c.layers < 0 || c.layers_per_stack < 1 || c.harmonics < 1 || c.noise_bands < 2)
    throw Error("ddsp_config", "channels, harmonics and noise bands must be positive, layers non-negative");
  if (c.instruments < 0 || c.embedding < 0 || (c.instruments > 0) != (c.embedding > 0))
    throw Error("ddsp_config", "instruments and embedding must both be positive or both 0");
  conv_in_ = register_module("conv_in", torch::nn::Conv1d(torch::nn::Conv1dOptions(2 + c.embedding, c.channels, 3).padding(1)));
  if (c.instruments > 0) embeddings_ = register_parameter("instrument_embedding", 0.1 * torch::randn({c.instruments, c.embedding}));
  for (int i = 0; i < c.layers; ++i) {
    const int dilation = 1 << (i % c.layers_per_stack);
    auto layer = register_module("layer_" + std::to_string(i), std::make_shared<torch::nn::Module>());
    convs_.push_back(layer->register_module(
        "conv", torch::nn::Conv1d(torch::nn::Conv1dOptions(c.channels, c.channels, 3).padding(dilation).dilation(dilation))));
    auto norm = layer->register_module("norm", std::make_shared<torch::nn::Module>());
    scales_.push_back(norm->register_parameter("scale", torch::ones({c.channels})));
    shifts_.push_back(norm->register_parameter("shift", torch::zeros({c.channels})));
  }
  dense_ = register_module("dense", torch::nn::Linear(c.channels, c.outputs()));
}

DdspOutputs DdspNetImpl::forward(const torch::Tensor& f0_hz, const torch::Tensor& loudness_db, const torch::Tensor& condition) const {
  // midi = 12 (log2 f0 - log2 440) + 69, 0 where f0 <= 0 (the graph's select).
  const torch::Tensor midi = torch::where(f0_hz <= 0, torch::zeros_like(f0_hz),
                                          12.0 * (torch::log2(f0_hz.clamp_min(1e-7)) - std::log2(440.0)) + 69.0);
  torch::Tensor x = torch::stack({loudness_db / 120.0 + 1.0, midi / 127.0}, 1);  // [B, 2, T]
  if (config_.embedding > 0) {
    if (!condition.defined() || condition.dim() != 2 || condition.size(0) != x.size(0) || condition.size(1) != config_.embedding)
      throw Error("condition", "must be [batch, " + std::to_string(config_.embedding) + "] instrument embeddings");
    x = torch::cat({x, condition.unsqueeze(2).expand({-1, -1, x.size(2)})}, 1);
  }
  torch::Tensor h = torch::conv1d(x, conv_in_->weight, conv_in_->bias, 1, 1);          // [B, C, T]
  for (size_t i = 0; i < convs_.size(); ++i) {
    const int64_t dilation = int64_t(1) << (int64_t(i) % config_.layers_per_stack);
    torch::Tensor y = torch::conv1d(torch::relu(h), convs_[i]->weight, convs_[i]->bias, 1, dilation, dilation);
    // One mean and variance per window over time and channels (ddsp's "layer" norm), or per frame.
    const std::vector<int64_t> dims = config_.frame_norm ? std::vector<int64_t>{1} : std::vector<int64_t>{1, 2};
    const torch::Tensor mean = y.mean(dims, true);
    const torch::Tensor var = (y - mean).square().mean(dims, true);
    y = (y - mean) * torch::rsqrt(var + 1e-5) * scales_[i].view({1, -1, 1}) + shifts_[i].view({1, -1, 1});
    h = h + y;
  }
  const torch::Tensor out = torch::linear(h.transpose(1, 2), dense_->weight, dense_->bias);  // [B, T, outputs]
  const int64_t H = config_.harmonics, N = config_.noise_bands;
  return {exp_sigmoid(out.select(2, 0)), exp_sigmoid(out.narrow(2, 1, H)), exp_sigmoid(out.narrow(2, 1 + H, N) - 5.0)};
}

nlohmann::json ddsp_config_json(const DdspConfig& c) {
  return {{"channels", c.channels}, {"layers", c.layers}, {"layers_per_stack", c.layers_per_stack}, {"harmonics", c.harmonics},
          {"noise_bands", c.noise_bands}, {"instruments", c.instruments}, {"embedding", c.embedding}, {"frame_norm", c.frame_norm}};
}

DdspConfig ddsp_config_from_json(const nlohmann::json& j, const std::string& subject) {
  DdspConfig c;
  auto get = [&](const char* key, int& v, int lo, int hi) {
    if (!j.contains(key)) return;
    if (!j[key].is_number_integer() || j[key].get<int64_t>() < lo || j[key].get<int64_t>() > hi)
      throw Error(subject, std::string("hparams.") + key + " must be an integer in " + std::to_string(lo) + ".." + std::to_string(hi));
    v = j[key].get<int>();
  };
  if (!j.is_object()) throw Error(subject, "hparams must be an object");
  get("channels", c.channels, 1, 4096);
  get("layers", c.layers, 0, 64);
  get("layers_per_stack", c.layers_per_stack, 1, 16);
  get("harmonics", c.harmonics, 1, 512);
  get("noise_bands", c.noise_bands, 2, 1024);
  get("instruments", c.instruments, 0, 100000);
  get("embedding", c.embedding, 0, 1024);
  if (j.contains("frame_norm")) {
    if (!j["frame_norm"].is_boolean()) throw Error(subject, "hparams.frame_norm must be true or false");
    c.frame_norm = j["frame_norm"].get<bool>();
  }
  return c;
}

void DdspNetImpl::load(const TensorMap& tensors, const std::string& subject) { load_parameters(*this, tensors, subject, "this DDSP decoder"); }

TensorMap DdspNetImpl::tensors() const {
  TensorMap out;
  for (const auto& p : named_parameters(true)) out[p.key()] = p.value().detach().contiguous();
  return out;
}

TensorMap read_ddsp_graph_weights(const std::string& dir, const DdspConfig& c) {
  const std::string model_json = dir + "/model.json";
  const nlohmann::json card = nlohmann::json::parse(read_text_file(model_json), nullptr, false);
  if (card.is_discarded() || !card.is_object()) throw Error(model_json, "is not a JSON object");
  if (card.value("format", "") != "graph-model" || !card.contains("weightsManifest"))
    throw Error(model_json, "is not a TF.js graph model (format \"graph-model\" with a weightsManifest)");
  // The learned tensors: input/_<first> .. in layer order (conv_in kernel, bias; per layer
  // kernel, bias, scale, shift; dense kernel, bias).
  const std::string prefix = "Func/StatefulPartitionedCall/autoencoder/StatefulPartitionedCall/input/_";
  std::map<int, torch::Tensor> learned;
  for (const auto& [name, t] : read_tfjs_weights(dir, card["weightsManifest"].dump(), model_json)) {
    if (name.rfind(prefix, 0) != 0) continue;  // the graph's constants (windows, indices, ...)
    if (t.scalar_type() != torch::kFloat) throw Error(dir, "learned tensor " + name + " is not float32");
    learned[std::stoi(name.substr(prefix.size()))] = t;
  }
  const int expected = 2 + 4 * c.layers + 2;
  if (int(learned.size()) != expected)
    throw Error(dir, "holds " + std::to_string(learned.size()) + " learned tensors, a " + std::to_string(c.layers) +
                         "-layer DDSP decoder has " + std::to_string(expected));
  std::vector<torch::Tensor> order;
  for (const auto& [index, t] : learned) order.push_back(t);
  auto shaped = [&](size_t i, std::vector<int64_t> shape, const std::string& role) {
    if (order[i].sizes().vec() != shape)
      throw Error(dir, role + " has shape " + shape_text(order[i].sizes()) + ", expected " + shape_text(shape));
    return order[i];
  };
  const int64_t C = c.channels;
  // TF conv kernels [3, 1, in, out] -> torch [out, in, 3]; dense [in, out] -> [out, in].
  auto conv = [](const torch::Tensor& k) { return k.select(1, 0).permute({2, 1, 0}).contiguous(); };
  TensorMap out;
  out["conv_in.weight"] = conv(shaped(0, {3, 1, 2, C}, "the input conv kernel"));
  out["conv_in.bias"] = shaped(1, {C}, "the input conv bias");
  for (int i = 0; i < c.layers; ++i) {
    const size_t at = 2 + 4 * size_t(i);
    const std::string name = "layer_" + std::to_string(i);
    out[name + ".conv.weight"] = conv(shaped(at, {3, 1, C, C}, name + "'s conv kernel"));
    out[name + ".conv.bias"] = shaped(at + 1, {C}, name + "'s conv bias");
    out[name + ".norm.scale"] = shaped(at + 2, {1, 1, 1, C}, name + "'s norm scale").reshape({C});
    out[name + ".norm.shift"] = shaped(at + 3, {1, 1, 1, C}, name + "'s norm shift").reshape({C});
  }
  out["dense.weight"] = shaped(order.size() - 2, {C, c.outputs()}, "the dense kernel").t().contiguous();
  out["dense.bias"] = shaped(order.size() - 1, {c.outputs()}, "the dense bias");
  return out;
}

}  // namespace timbrel::nn
