#pragma once
// What the public MusicVae wraps: the network and where it came from.
#include "nn/musicvae_net.h"
#include "nn/model_access.h"
#include "timbrel/musicvae.h"

namespace timbrel {

struct MusicVae::Impl {
  nn::MusicVaeNet net{nullptr};
  MusicVaeInfo info;
  nlohmann::json card;  // model.json of a model folder (empty for checkpoints)
  std::optional<formats::LatentPrior> latent_prior;  // the card's, validated at load
};

// The network behind a public model (the trainers and tests reach it; the public header does not).
inline detail::MusicVaeImpl& musicvae_impl(const MusicVae& model) { return detail::ModelAccess::impl(model); }

namespace nn {
// Tokens <-> tensors, validating every class against the model.
torch::Tensor tokens_to_tensor(const std::vector<Tokens>& windows, const MusicVaeConfig& config, const std::string& subject);
std::vector<Tokens> tensor_to_tokens(const torch::Tensor& t);
// Each step's chord as the model's one-hot controls [windows, steps, depth] (chords: one list per
// window, or one for all); undefined for a model without chords. Errors name "chords".
torch::Tensor chords_to_controls(const std::vector<StepChords>& chords, size_t windows, const MusicVaeConfig& config,
                                 const std::string& subject);
// A network (weights + config) as the public model, e.g. after training.
MusicVae wrap_musicvae(MusicVaeNet net, const std::string& format, nlohmann::json card = {});
// The model card skeleton written with a model folder.
nlohmann::json musicvae_card(const MusicVaeConfig& config);
// How a model trained here from `config` is best sampled (the card's "sampling").
formats::SamplingAdvice trained_sampling(const MusicVaeConfig& config);
}  // namespace nn

}  // namespace timbrel
