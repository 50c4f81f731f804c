#pragma once
// The DDSP decoder of Magenta's DDSP graph models (ddsp's dilated_conv_decoder): controls
// [loudness_db / 120 + 1, midi(f0) / 127] -> a 3-tap conv to `channels` -> `layers` residual
// layers (ReLU, 3-tap conv with dilation 2^(i mod layers_per_stack), a norm over the whole
// window, time and channels together, with a learned per-channel scale and shift, added back)
// -> a dense layer -> DDSP's exp_sigmoid (2 sigmoid(x)^ln 10 + 1e-7; the noise head's input
// shifted by -5): overall amplitude, harmonic distribution, noise magnitudes.
// Tensor names (module paths): conv_in.{weight,bias}, layer_<i>.conv.{weight,bias},
// layer_<i>.norm.{scale,shift}, dense.{weight,bias} (torch layouts: conv [out, in, 3], dense
// [out, in]).
#include <string>

#include <nlohmann/json.hpp>

#include "nn/safetensors.h"

namespace timbrel::nn {

struct DdspConfig {
  int channels = 128;
  int layers = 16;
  int layers_per_stack = 8;  // dilation 2^(i mod this)
  int harmonics = 60;
  int noise_bands = 65;
  // Models trained here: a learned embedding per instrument joins the two controls at the input
  // (`embedding` channels; 0 = none, as in Magenta's single-instrument graphs), and the norm may
  // be per frame (over channels only), so a frame's output does not depend on the window.
  int instruments = 0, embedding = 0;
  bool frame_norm = false;
  int outputs() const { return 1 + harmonics + noise_bands; }
};

nlohmann::json ddsp_config_json(const DdspConfig& config);
DdspConfig ddsp_config_from_json(const nlohmann::json& j, const std::string& subject);

struct DdspOutputs {
  torch::Tensor amplitude;     // [B, T]
  torch::Tensor distribution;  // [B, T, harmonics], before the Nyquist mask and normalisation
  torch::Tensor noise;         // [B, T, noise_bands]
};

class DdspNetImpl : public torch::nn::Module {
 public:
  explicit DdspNetImpl(const DdspConfig& config);
  const DdspConfig& config() const { return config_; }
  // f0_hz, loudness_db: [B, T] -> the decoder's outputs (f0 <= 0 reads as MIDI 0). `condition`:
  // [B, embedding] instrument embeddings (rows of embeddings(), or mixes of them); required when
  // the config has an embedding, else ignored.
  DdspOutputs forward(const torch::Tensor& f0_hz, const torch::Tensor& loudness_db, const torch::Tensor& condition = {}) const;
  // [instruments, embedding] (undefined without instruments).
  const torch::Tensor& embeddings() const { return embeddings_; }
  // Copies module-path tensors into the parameters: every name known, every parameter present,
  // shapes equal, values finite; errors name `subject` and the tensor.
  void load(const TensorMap& tensors, const std::string& subject);
  TensorMap tensors() const;

 private:
  DdspConfig config_;
  torch::nn::Conv1d conv_in_{nullptr};
  std::vector<torch::nn::Conv1d> convs_;
  std::vector<torch::Tensor> scales_, shifts_;
  torch::nn::Linear dense_{nullptr};
  torch::Tensor embeddings_;
};
TORCH_MODULE(DdspNet);

// A Magenta DDSP TF.js graph model folder (model.json with its weightsManifest + shards) ->
// module-path tensors: its 68 learned tensors (the graph names them input/_75 .. input/_142, in
// layer order) converted to torch layouts, each shape checked; errors name the folder.
TensorMap read_ddsp_graph_weights(const std::string& dir, const DdspConfig& config = {});

}  // namespace timbrel::nn
