#pragma once
// Latent refinement: the encoder's mean is a one-shot guess of z (the amortisation gap); a few
// Adam steps on z itself toward the maximum a posteriori latent make the decoder bring the window
// back far more faithfully, with the network unchanged.
#include "nn/musicvae_net.h"

namespace timbrel::nn {

// z [B, z] (e.g. the encoder's means) after `steps` Adam steps minimising, per window, the
// teacher-forced cross entropy of `targets` [B, T] plus 0.5 |z|^2 (MAP under the VAE's N(0, 1)
// prior). Rows are independent; the network's parameters are not touched.
// `controls`: a chord-conditioned model's chords (MusicVaeNetImpl::encode).
torch::Tensor refine_latents(const MusicVaeNetImpl& net, const torch::Tensor& targets, const torch::Tensor& z, int steps,
                             const torch::Tensor& controls = {});

}  // namespace timbrel::nn
