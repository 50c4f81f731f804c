#include "nn/groove_vae_net.h"

#include <cmath>

#include "timbrel/error.h"

namespace timbrel::nn {

nlohmann::json GrooveVaeConfig::to_json() const {
  return {{"task", task},
          {"steps", steps},
          {"encoder_units", encoder_units},
          {"decoder_units", decoder_units},
          {"decoder_layers", decoder_layers},
          {"z_size", z_size}};
}

GrooveVaeConfig GrooveVaeConfig::from_json(const nlohmann::json& j, const std::string& where) {
  GrooveVaeConfig c;
  try {
    c.task = j.at("task").get<std::string>();
    c.steps = j.at("steps").get<int>();
    c.encoder_units = j.at("encoder_units").get<int>();
    c.decoder_units = j.at("decoder_units").get<int>();
    c.decoder_layers = j.at("decoder_layers").get<int>();
    c.z_size = j.at("z_size").get<int>();
  } catch (const nlohmann::json::exception& e) {
    throw Error(where, std::string("has no valid GrooVAE hyper-parameters: ") + e.what());
  }
  if (c.task != "humanize" && c.task != "drumify") throw Error(where, "has task '" + c.task + "' (humanize or drumify)");
  if (c.steps < 16 || c.steps % 16 || c.encoder_units < 1 || c.decoder_units < 1 || c.decoder_layers < 1 || c.z_size < 1)
    throw Error(where, "has GrooVAE sizes out of range (steps whole bars of 16, every size >= 1)");
  return c;
}

GrooveVaeNetImpl::GrooveVaeNetImpl(const GrooveVaeConfig& c) : config_(c) {
  using torch::nn::LSTMOptions;
  encoder_ = register_module("encoder", torch::nn::LSTM(LSTMOptions(kGrooveDepth, c.encoder_units).batch_first(true).bidirectional(true)));
  mu_ = register_module("mu", torch::nn::Linear(2 * c.encoder_units, c.z_size));
  sigma_ = register_module("sigma", torch::nn::Linear(2 * c.encoder_units, c.z_size));
  z_to_state_ = register_module("z_to_initial_state", torch::nn::Linear(c.z_size, 2 * c.decoder_layers * c.decoder_units));
  const int64_t in = kGrooveDepth + c.z_size + c.control_depth();  // [previous step; z; the step's hits]
  decoder_ = register_module("decoder", torch::nn::LSTM(LSTMOptions(in, c.decoder_units).num_layers(c.decoder_layers).batch_first(true)));
  output_ = register_module("output", torch::nn::Linear(c.decoder_units, kGrooveDepth));
}

std::pair<torch::Tensor, torch::Tensor> GrooveVaeNetImpl::encode(const torch::Tensor& inputs) const {
  auto out = encoder_->forward(inputs);
  const torch::Tensor h = std::get<0>(std::get<1>(out));  // [2, B, H]: the last state each way
  const torch::Tensor both = torch::cat({h[0], h[1]}, 1);
  return {mu_->forward(both), torch::softplus(sigma_->forward(both))};
}

std::pair<torch::Tensor, torch::Tensor> GrooveVaeNetImpl::initial_state(const torch::Tensor& z) const {
  const int64_t L = config_.decoder_layers, U = config_.decoder_units;
  const torch::Tensor s = torch::tanh(z_to_state_->forward(z)).view({z.size(0), 2, L, U}).permute({1, 2, 0, 3});
  return {s[0].contiguous(), s[1].contiguous()};
}

torch::Tensor GrooveVaeNetImpl::teacher_forced(const torch::Tensor& z, const torch::Tensor& targets, const torch::Tensor& hits) const {
  const int64_t B = targets.size(0), T = targets.size(1);
  const torch::Tensor previous = torch::cat({torch::zeros({B, 1, kGrooveDepth}, targets.options()), targets.narrow(1, 0, T - 1)}, 1);
  std::vector<torch::Tensor> parts = {previous, z.unsqueeze(1).expand({B, T, z.size(1)})};
  if (config_.hits_as_controls()) parts.push_back(hits);
  const auto [h0, c0] = initial_state(z);
  auto out = decoder_->forward(torch::cat(parts, 2), std::make_tuple(h0, c0));
  return output_->forward(std::get<0>(out));
}

namespace {

// Drumify's hits for one step: probable ones, and the likeliest on a required step.
torch::Tensor chosen_hits(const torch::Tensor& logits, double threshold, const torch::Tensor& required) {
  const torch::Tensor p = torch::sigmoid(logits);  // [B, 1, 9]
  torch::Tensor hit = p > threshold;
  if (required.defined()) hit = hit | ((p == std::get<0>(p.max(2, true))) & required.unsqueeze(2).to(torch::kBool));
  return hit.to(logits.dtype());
}

}  // namespace

torch::Tensor GrooveVaeNetImpl::play(const torch::Tensor& z, const torch::Tensor& hits, double hit_threshold, const torch::Tensor& required) const {
  const int64_t B = z.size(0), T = config_.steps;
  auto [h, c] = initial_state(z);
  torch::Tensor previous = torch::zeros({B, 1, kGrooveDepth}, z.options());
  std::vector<torch::Tensor> steps;
  for (int64_t t = 0; t < T; ++t) {
    std::vector<torch::Tensor> parts = {previous, z.unsqueeze(1)};
    if (config_.hits_as_controls()) parts.push_back(hits.narrow(1, t, 1));
    auto out = decoder_->forward(torch::cat(parts, 2), std::make_tuple(h, c));
    std::tie(h, c) = std::get<1>(out);
    const torch::Tensor raw = output_->forward(std::get<0>(out));  // [B, 1, 27]
    const torch::Tensor hit = config_.hits_as_controls()
                                  ? hits.narrow(1, t, 1)
                                  : chosen_hits(raw.narrow(2, 0, kGrooveClasses), hit_threshold, required.defined() ? required.narrow(1, t, 1) : required);
    previous = torch::cat({hit, torch::sigmoid(raw.narrow(2, kGrooveClasses, kGrooveClasses)) * hit,
                           torch::tanh(raw.narrow(2, 2 * kGrooveClasses, kGrooveClasses)) * hit},
                          2);
    steps.push_back(previous);
  }
  return torch::cat(steps, 1);
}

TensorMap GrooveVaeNetImpl::tensors() const { return parameter_map(*this); }

void GrooveVaeNetImpl::load(const TensorMap& tensors, const std::string& subject) { load_parameters(*this, tensors, subject, "this GrooVAE architecture"); }

GrooveLoss groove_loss(const torch::Tensor& raw, const torch::Tensor& targets, const torch::Tensor& mu, const torch::Tensor& sigma,
                       double beta, double free_bits) {
  const int64_t C = kGrooveClasses;
  const torch::Tensor hit = targets.narrow(2, 0, C);
  const torch::Tensor hit_loss =
      torch::binary_cross_entropy_with_logits(raw.narrow(2, 0, C), hit, {}, {}, at::Reduction::None).sum({1, 2});
  // Velocity and offset count where the drummer hit: elsewhere the output is never played.
  const torch::Tensor velocity_loss = ((torch::sigmoid(raw.narrow(2, C, C)) - targets.narrow(2, C, C)).pow(2) * hit).sum({1, 2});
  const torch::Tensor offset_loss = ((torch::tanh(raw.narrow(2, 2 * C, C)) - targets.narrow(2, 2 * C, C)).pow(2) * hit).sum({1, 2});
  const torch::Tensor kl = 0.5 * (mu.pow(2) + sigma.pow(2) - 1.0 - 2.0 * torch::log(sigma + 1e-12)).sum(1);
  GrooveLoss out;
  out.loss = (hit_loss + velocity_loss + offset_loss).mean() + beta * torch::clamp_min(kl - free_bits * std::log(2.0), 0.0).mean();
  out.hits = hit_loss.mean().item<double>();
  out.velocity = velocity_loss.mean().item<double>();
  out.offset = offset_loss.mean().item<double>();
  out.kl = kl.mean().item<double>();
  return out;
}

}  // namespace timbrel::nn
