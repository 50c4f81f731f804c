#pragma once
// GrooVAE (Gillick et al., ICML 2019): a VAE over 2-bar drum performances. Each step is 27 numbers
// (9 drum classes x hit, velocity, offset). The encoder (a bidirectional LSTM) reads the input
// view (a quantized beat for humanize, taps for drumify); an autoregressive LSTM decoder, started
// from z and fed z and its previous output at every step, plays the performance. A humanize
// model also gets the step's hits as controls (Magenta's hits_as_controls): it keeps the beat's
// hits exactly and only chooses how each is played.
#include <nlohmann/json.hpp>
#include <string>

#include "nn/safetensors.h"

namespace timbrel::nn {

struct GrooveVaeConfig {
  std::string task = "humanize";  // or "drumify"
  int steps = 32;                 // 2 bars of 16ths
  int encoder_units = 256;        // per direction
  int decoder_units = 256, decoder_layers = 2;
  int z_size = 128;
  bool hits_as_controls() const { return task == "humanize"; }
  int control_depth() const { return hits_as_controls() ? 9 : 0; }
  nlohmann::json to_json() const;
  static GrooveVaeConfig from_json(const nlohmann::json& j, const std::string& where);
};

inline constexpr int64_t kGrooveClasses = 9, kGrooveDepth = 27;

class GrooveVaeNetImpl : public torch::nn::Module {
 public:
  explicit GrooveVaeNetImpl(const GrooveVaeConfig& config);
  const GrooveVaeConfig& config() const { return config_; }
  // inputs [B, T, 27] -> (mu, sigma), each [B, z].
  std::pair<torch::Tensor, torch::Tensor> encode(const torch::Tensor& inputs) const;
  // Training: step t reads targets[t - 1] (zeros at t = 0). Raw outputs [B, T, 27]: hit logits,
  // velocity and offset before their sigmoid / tanh. `hits` [B, T, 9]: a humanize model's controls.
  torch::Tensor teacher_forced(const torch::Tensor& z, const torch::Tensor& targets, const torch::Tensor& hits) const;
  // Playing: step by step from z; hits are the controls' (humanize) or chosen (drumify: where a
  // class's probability passes `hit_threshold`, and on a step `required` [B, T] marks, at least the
  // likeliest class). Returns [B, T, 27]: hits 0/1, velocity 0..1, offset -1..1.
  torch::Tensor play(const torch::Tensor& z, const torch::Tensor& hits, double hit_threshold = 0.5,
                     const torch::Tensor& required = {}) const;
  void load(const TensorMap& tensors, const std::string& subject);
  TensorMap tensors() const;

 private:
  std::pair<torch::Tensor, torch::Tensor> initial_state(const torch::Tensor& z) const;
  GrooveVaeConfig config_;
  // mutable: a torch module's forward() is not const, though these change no state
  mutable torch::nn::LSTM encoder_{nullptr}, decoder_{nullptr};
  mutable torch::nn::Linear mu_{nullptr}, sigma_{nullptr}, z_to_state_{nullptr}, output_{nullptr};
};
TORCH_MODULE(GrooveVaeNet);

// Magenta's GrooVAE loss: per window, summed over steps and classes, hit cross-entropy + velocity
// and offset squared errors (offsets as -1..1); mean over the batch; + beta * max(KL - free_bits ln 2, 0).
struct GrooveLoss {
  torch::Tensor loss;
  double hits = 0, velocity = 0, offset = 0, kl = 0;
};
GrooveLoss groove_loss(const torch::Tensor& raw, const torch::Tensor& targets, const torch::Tensor& mu, const torch::Tensor& sigma,
                       double beta, double free_bits);

}  // namespace timbrel::nn
