#pragma once
// What the public GrooveModel wraps: the network and its card.
#include "nn/groove_vae_net.h"
#include "models/model_impls.h"
#include "timbrel/groove.h"

namespace timbrel {

struct TorchGroove final : detail::GrooveImpl {
  GrooveSteps perform(const GrooveSteps& input, const GrooveOptions& options) const override;
  void save(const std::string& folder) const override;

  nn::GrooveVaeNet net{nullptr};
  nlohmann::json card;  // model.json
};

inline TorchGroove& groove_impl(const GrooveModel& model) { return static_cast<TorchGroove&>(detail::ModelAccess::impl(model)); }

namespace nn {
// A network as the public model (after training); `card` is kept for save().
GrooveModel wrap_groove(GrooveVaeNet net, nlohmann::json card = {});
std::unique_ptr<detail::GrooveImpl> load_groove(const std::string& folder);
// Grooves <-> the model's tensors: [windows, steps, 27] (hits, velocities, offsets x 2), padded
// with empty steps to whole windows of `steps`.
torch::Tensor groove_to_tensor(const GrooveSteps& g, int steps);
void tensor_to_groove(const torch::Tensor& t, GrooveSteps& g);
// The input the model reads for a task: the hits alone (humanize) or the taps (drumify).
GrooveSteps model_view(const GrooveSteps& g, const std::string& task);
}  // namespace nn

}  // namespace timbrel
