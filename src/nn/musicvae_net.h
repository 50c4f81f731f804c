#pragma once
// MusicVAE (Roberts et al. 2018) as Magenta's cat-mel_2bar_small / cat-drums_2bar_small:
// bidirectional LSTM encoder -> (mu, sigma) -> z -> autoregressive LSTM decoder over one-hot
// classes. LSTM cells follow TensorFlow's LSTMCell so that Magenta's weights load unchanged:
// kernel [input + units, 4 units] with rows = [input; hidden], gates i, j, f, o, forget bias +1
// added at run time. Tensor names (module paths):
//   encoder.layer_<L>.{fw,bw}.{kernel,bias}, encoder.{mu,sigma}.{kernel,bias},
//   decoder.cell_<i>.{kernel,bias}, decoder.{z_to_initial_state,output_projection}.{kernel,bias}
// Hierarchical models (Magenta's hierdec) add conductor.cell_<i>.{kernel,bias} and
// conductor.z_to_initial_state.{kernel,bias} (and, with a hierarchical encoder,
// encoder.bar_layer_<L>.{fw,bw}.{kernel,bias} over the bars): the conductor runs `bars` steps from z (zero
// inputs) and each of its outputs takes z's place for one bar of the decoder (its initial state
// and the input beside the previous token); the previous token carries across bar lines.
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "formats/model_card.h"
#include "nn/safetensors.h"
#include "timbrel/musicvae.h"

namespace timbrel::nn {

using MusicVaeConfig = formats::MusicVaeConfig;  // torch-free: formats/model_card.h

// Dense layer with TensorFlow's layout: y = x kernel + bias, kernel [in, out].
struct TfDenseImpl : torch::nn::Module {
  TfDenseImpl(int64_t in, int64_t out);
  torch::Tensor forward(const torch::Tensor& x) const { return torch::addmm(bias, x, kernel); }
  torch::Tensor kernel, bias;
};
TORCH_MODULE(TfDense);

struct TfLstmCellImpl : torch::nn::Module {
  TfLstmCellImpl(int64_t input, int64_t units);
  // One step; `gates_in` = input projection + bias, [B, 4 units]. Updates h and c.
  void step(const torch::Tensor& gates_in, torch::Tensor& h, torch::Tensor& c) const;
  // Inference only (no autograd): `gates` already holds the whole pre-activation
  // (input + hidden projections + bias) and is overwritten; c is updated in place.
  void activate_inplace(torch::Tensor& gates, torch::Tensor& h, torch::Tensor& c) const;
  torch::Tensor input_kernel() const { return kernel.narrow(0, 0, input); }
  torch::Tensor hidden_kernel() const { return kernel.narrow(0, input, units); }
  int64_t input, units;
  torch::Tensor kernel, bias;
};
TORCH_MODULE(TfLstmCell);

// One sampled class per row of a step's logits [B, C] at `temperature` (> 0), drawn as `draw`
// says; classes >= first_onset_class start a note (or hit a drum). Draws from `generator` (null:
// the global one).
torch::Tensor draw_step(const torch::Tensor& logits, double temperature, int64_t first_onset_class, StepDraw draw,
                        at::Generator* generator);

class MusicVaeNetImpl : public torch::nn::Module {
 public:
  explicit MusicVaeNetImpl(const MusicVaeConfig& config);
  const MusicVaeConfig& config() const { return config_; }

  // Chord-conditioned models (config().control) take `controls` [B, T, control_depth] (each
  // step's chord, one-hot) beside the tokens in encode, decode and teacher forcing; others none.
  // tokens [B, T] int64 -> (mu, sigma), each [B, z].
  std::pair<torch::Tensor, torch::Tensor> encode(const torch::Tensor& tokens, const torch::Tensor& controls = {}) const;
  // Autoregressive decoding from z [B, z]: temperature 0 = argmax, else sampling from
  // the logits at `temperature` as `draw` says (draw_step). Returns tokens [B, T];
  // logits [B, T, C] into *logits if given.
  torch::Tensor decode(const torch::Tensor& z, double temperature, torch::Tensor* logits = nullptr,
                       const torch::Tensor& controls = {}, StepDraw draw = StepDraw::Flat) const;
  // Training decoder: step t's input is targets[t-1] (zeros at t = 0), replaced by the model's
  // own sample with probability `sampling_probability` (scheduled sampling). Logits [B, T, C].
  // A hierarchical model without scheduled sampling runs every bar at once (the bars as one
  // batch: 16 steps instead of 256); the step-by-step form is the reference.
  torch::Tensor teacher_forced_logits(const torch::Tensor& z, const torch::Tensor& targets,
                                      double sampling_probability = 0.0, const torch::Tensor& controls = {}) const;
  torch::Tensor teacher_forced_logits_by_steps(const torch::Tensor& z, const torch::Tensor& targets,
                                               double sampling_probability = 0.0, const torch::Tensor& controls = {}) const;

  // Copies tensors named by module path into the parameters, checking every shape. Unknown names
  // are an error; missing decoder tensors are an error; missing encoder tensors are recorded
  // (decoding still works, encode() then throws naming them).
  void load(const TensorMap& tensors, const std::string& subject);
  TensorMap tensors() const;  // module path -> parameter (detached)
  const std::vector<std::string>& missing_encoder_tensors() const { return missing_encoder_; }
  // The encoder's missing tensors keep their random initialisation (training an encoder).
  void accept_initialised_encoder() { missing_encoder_.clear(); }
  std::string model_name;  // used in error messages

 private:
  // The decoder's state from a conditioning vector (z, or a bar's conductor embedding).
  void initial_state(const torch::Tensor& cond, std::vector<torch::Tensor>& h, std::vector<torch::Tensor>& c) const;
  // What conditions each decoded segment: z for a flat model ([B, 1, z]); the conductor's
  // embeddings for a hierarchical one ([B, bars, conductor units]).
  torch::Tensor segment_conditions(const torch::Tensor& z) const;
  MusicVaeConfig config_;
  torch::Tensor teacher_forced_logits_by_bars(const torch::Tensor& z, const torch::Tensor& targets) const;
  std::vector<std::pair<TfLstmCell, TfLstmCell>> encoder_;      // (fw, bw) per layer
  std::vector<std::pair<TfLstmCell, TfLstmCell>> bar_encoder_;  // over the bars (hierarchical encoder)
  TfDense mu_{nullptr}, sigma_{nullptr};
  // decode() for one slice of the batch; sampling draws from `generator` (null: the global one).
  torch::Tensor decode_rows(const torch::Tensor& z, double temperature, torch::Tensor* logits, at::Generator* generator,
                            const torch::Tensor& controls, StepDraw draw) const;
  // Throws unless `controls` suits the model (none, or [batch, steps, control_depth]).
  void check_controls(const torch::Tensor& controls, int64_t batch, int64_t steps) const;
  // controls [B, T, D] -> their part of the first decoder layer's gates, [B, T, 4H] (undefined: none).
  torch::Tensor control_projection(const torch::Tensor& controls) const;
  std::vector<TfLstmCell> decoder_;
  TfDense z_to_initial_state_{nullptr}, output_projection_{nullptr};
  std::vector<TfLstmCell> conductor_;
  TfDense conductor_initial_state_{nullptr};
  std::vector<std::string> missing_encoder_;
};
TORCH_MODULE(MusicVaeNet);

// Magenta's loss: mean over the batch of (summed cross entropy over steps) + beta * mean of
// max(KL - free_bits ln 2, 0), beta = (1 - beta_rate^step) max_beta. Also reports its parts.
struct VaeLoss {
  torch::Tensor loss;
  double reconstruction = 0, kl = 0, beta = 0, accuracy = 0;
};
VaeLoss musicvae_loss(const MusicVaeConfig& config, const torch::Tensor& logits, const torch::Tensor& targets,
                      const torch::Tensor& mu, const torch::Tensor& sigma, int64_t step);

// TensorFlow variable names (Magenta checkpoints) -> module paths; names outside encoder/ and
// decoder/ (global_step, optimiser slots) are dropped.
TensorMap tf_names_to_module_paths(const TensorMap& tf, const std::string& subject);
// Sizes from tensor shapes (for checkpoints that carry no hyper-parameters).
MusicVaeConfig infer_musicvae_config(const TensorMap& tensors, const std::string& kind, const std::string& subject);

}  // namespace timbrel::nn
