#pragma once
// The GANSynth generator network (Magenta's progressive GAN generator at full resolution, layer
// for layer as @magenta/music's gansynth/model.js builds it) and its weight names.
//
// Our tensor names (model folders) hold the RAW kernels in torch layout; the equalised-learning-
// rate factor sqrt(2 / (kh kw cin)) is applied when the network is built, as magenta.js does:
//   block{1..7}.conv{0,1}.weight [cout, cin, kh, kw], block{b}.conv{0,1}.bias [cout],
//   to_rgb.weight [2 * 2^K, c7, 1, 1], to_rgb.bias [2 * 2^K] (K = time_depth_blocks, usually 0),
//   pitch_template [pitches, 1024, 2] when the config has one.
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "formats/model_card.h"
#include "models/gansynth_weights.h"
#include "nn/safetensors.h"
#include "timbrel/gansynth.h"

namespace timbrel::nn {

using formats::gansynth_config_from_json;  // model.json "hparams" <-> config (torch-free)
using formats::gansynth_config_json;

using timbrel::gansynth_tensor_shapes;  // our layout's names and shapes for a config (torch-free)

// TF.js GANSynth variables (Generator/progressive_gan_generator/progressive_gan_block_B/...,
// HWIO) -> our layout; infers the widths into *config. Variables magenta.js does not read are
// ignored (as magenta.js ignores them); missing ones are listed in the error.
TensorMap gansynth_from_tf(const TensorMap& tf, const std::string& subject, GansynthConfig* config);
// The TF.js names and HWIO shapes, in magenta.js's setWeights order.
std::vector<std::pair<std::string, std::vector<int64_t>>> gansynth_tf_variables(const GansynthConfig& config);
// TF-named HWIO N(0, stddev) tensors drawn in that order from lcg_gaussians(seed) (float32).
TensorMap gansynth_random_tf(const GansynthConfig& config, uint32_t seed, double stddev);

class GansynthNet {
 public:
  // Validates names (no missing, no unknown), shapes and dtypes (floating point) of `raw`.
  GansynthNet(const GansynthConfig& config, TensorMap raw, const std::string& subject);
  // z [n, latent] float, pitch_index [n] int64 (pitch - min_pitch, already validated)
  // -> [n, 128, 1024, 2] contiguous float.
  torch::Tensor forward(const torch::Tensor& z, const torch::Tensor& pitch_index) const;
  const TensorMap& raw() const { return raw_; }
  int64_t parameters() const;
  // Moves (and casts: float32 or bfloat16) the inference weights (raw() stays float32 on the CPU
  // for saving). On a GPU or in bf16 the fused float32 CPU loops give way to plain torch ops
  // (generic_ops), which tests also run on the CPU. The output is float32 either way.
  void to(const torch::Device& device, torch::ScalarType dtype = torch::kFloat);
  torch::Device device() const { return first_matrix_.device(); }
  void set_generic_ops(bool on) { generic_ops_ = on; }

 private:
  bool generic_ops_ = false;
  struct Conv {
    torch::Tensor weight, bias;  // scaled weight
  };
  GansynthConfig config_;
  TensorMap raw_;
  torch::Tensor first_matrix_, first_bias_;  // block 1 conv0 as one matmul [in, c*2*16]
  std::vector<Conv> convs_;                  // block1.conv1, then block 2..7 conv0 (empty), conv1
  std::vector<Conv> subpixel_;               // block 2..7 conv0 fused with the upsampling
  torch::Tensor template_;                   // pitch_template [pitches, w, 2] or undefined
  Conv to_rgb_;
  struct Weights {  // the float32 CPU originals of the above, which to() converts from
    torch::Tensor first_matrix, first_bias, template_;
    std::vector<Conv> convs, subpixel;
    Conv to_rgb;
  };
  std::shared_ptr<const Weights> master_;
};

}  // namespace timbrel::nn
