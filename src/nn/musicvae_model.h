#pragma once
// What the public MusicVae wraps: the network and where it came from.
#include "nn/musicvae_net.h"
#include "models/model_impls.h"
#include "timbrel/musicvae.h"

namespace timbrel {

struct TorchMusicVae final : detail::MusicVaeImpl {
  std::vector<Tokens> decode(const std::vector<float>& z, double temperature, uint64_t seed, const std::vector<StepChords>& chords,
                             StepDraw draw) const override;
  std::vector<float> encode(const std::vector<Tokens>& windows, int refine_steps, const std::vector<StepChords>& chords) const override;
  std::vector<float> random_z(size_t n, uint64_t seed, bool standard_prior) const override;
  std::vector<float> random_z_related(size_t n, uint64_t seed) const override;
  bool has_latent_prior() const override { return latent_prior.has_value(); }
  void save(const std::string& dir, bool float16) const override;

  nn::MusicVaeNet net{nullptr};
  nlohmann::json card;  // model.json of a model folder (empty for checkpoints)
  std::optional<formats::LatentPrior> latent_prior;  // the card's, validated at load
};

// The network behind a public model (the trainers and tests reach it; the public header does not).
inline TorchMusicVae& musicvae_impl(const MusicVae& model) { return static_cast<TorchMusicVae&>(detail::ModelAccess::impl(model)); }

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
std::unique_ptr<TorchMusicVae> musicvae_backend(MusicVaeNet net, const std::string& format, nlohmann::json card = {});
std::unique_ptr<TorchMusicVae> load_musicvae(const std::string& path);
// The model card skeleton written with a model folder.
nlohmann::json musicvae_card(const MusicVaeConfig& config);
// How a model trained here from `config` is best sampled (the card's "sampling").
formats::SamplingAdvice trained_sampling(const MusicVaeConfig& config);
}  // namespace nn

}  // namespace timbrel
