#pragma once
// The GANSynth generator as a trainable libtorch graph: the same computation as nn::GansynthNet
// (which is inference-only and fuses layers), on the same raw tensors, so a trained TensorMap
// loads straight into every command.
#include "nn/safetensors.h"
#include "timbrel/gansynth.h"

namespace timbrel::train {

class TrainableGansynth {
 public:
  // Magenta's initialisation: raw kernels N(0, 1) (the equalised learning-rate scale is applied
  // in forward), zero biases, zero pitch template.
  TrainableGansynth(const GansynthConfig& config, uint64_t seed);
  // From existing raw tensors (a checkpoint); shapes are checked.
  TrainableGansynth(const GansynthConfig& config, const nn::TensorMap& raw, const std::string& subject);

  // z [n, latent], pitch_index [n] (int64) -> [n, 128, 1024, 2] in (-1, 1).
  torch::Tensor forward(const torch::Tensor& z, const torch::Tensor& pitch_index) const;
  // Every tensor but the pitch template (which trains with its own learning rate).
  std::vector<torch::Tensor> network_parameters() const;
  torch::Tensor pitch_template() const;
  // Detached copies, ready for write_model_folder / GansynthNet.
  nn::TensorMap raw() const;
  const GansynthConfig& config() const { return config_; }

 private:
  GansynthConfig config_;
  nn::TensorMap params_;
};

struct ReconstructionLoss {
  torch::Tensor total;
  double magnitude, frequency, linear, band, flux;  // the terms' values (linear, band, flux: 0 when their weight is 0)
};
// Weights of the timbre training loss's terms (see reconstruction_loss).
struct LossWeights {
  double frequency = 1.0;  // L1 on the IF, weighted by the true magnitude
  double loud = 0;         // magnitude error weighted towards loud bins
  double linear = 0;       // spectral convergence of linear magnitudes
  double band = 0;         // log band-energy envelope
  double band_floor_db = 70;  // how far below the note's loudest bin the band and flux terms look
  double flux = 0;         // frame-to-frame change of the log band energies
};
// The timbre training loss on [n, 128, 1024, 2] spectrograms: L1 on the log-mel magnitude +
// frequency x L1 on the IF weighted by the true magnitude mapped to [0, 1] (IF of silent bins is
// the phase of noise and does not matter). loud > 0 weights the magnitude error by
// (1 + loud x that same [0, 1] magnitude) / (1 + loud / 2): a drum hit fills a few of 128 frames
// and harmonics a few of 1024 bins, and an unweighted mean is ruled by the easy floor.
// linear > 0 adds that weight x the spectral convergence of the linear (mel-binned) magnitudes,
// ||exp(m) - exp(m')|| / ||exp(m)|| per note: a log loss forgives a wrong harmonic and a bright
// kick as much as a wrong floor, what the ear and the centroid do not.
// band > 0 adds that weight x the L1 distance of the log energies of 16 equal-mel bands per frame,
// within band_floor_db (70) of the note's loudest bin, as a fraction of that range: the spectral balance over
// time (a tom's attack 20 dB too bright above 2 kHz), which the loud partials rule in the linear
// term and thousands of single bins dilute in the log term.
// flux > 0 adds that weight x the L1 distance of the frame-to-frame changes of those band log
// energies (same floor and scale): a decay drawn in 4-frame steps (the generator's depth-to-space
// blocks), which phase reconstruction turns into broadband clicks, costs at every step, while an
// offset that the band term already counts costs nothing here.
ReconstructionLoss reconstruction_loss(const torch::Tensor& pred, const torch::Tensor& target, const LossWeights& weights = {});

}  // namespace timbrel::train
