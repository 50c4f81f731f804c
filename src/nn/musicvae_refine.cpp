#include "nn/musicvae_refine.h"

#include <cmath>

namespace timbrel::nn {
namespace {

// Adam's step size on z, halved over the run (cosine) so that the last steps settle.
constexpr double kLearningRate = 0.05;

}  // namespace

torch::Tensor refine_latents(const MusicVaeNetImpl& net, const torch::Tensor& targets, const torch::Tensor& z, int steps,
                             const torch::Tensor& controls) {
  torch::Tensor x = z.detach().clone().requires_grad_(true);
  if (steps <= 0) return x.detach();
  torch::optim::Adam adam({x}, torch::optim::AdamOptions(kLearningRate));
  const int64_t classes = net.config().classes;
  for (int s = 0; s < steps; ++s) {
    auto& group = adam.param_groups()[0];
    static_cast<torch::optim::AdamOptions&>(group.options()).lr(kLearningRate * (0.75 + 0.25 * std::cos(M_PI * s / steps)));
    torch::Tensor logits = net.teacher_forced_logits(x, targets, 0.0, controls);
    torch::Tensor nll = torch::nn::functional::cross_entropy(logits.reshape({-1, classes}), targets.reshape({-1}),
                                                             torch::nn::functional::CrossEntropyFuncOptions().reduction(torch::kSum));
    torch::Tensor loss = nll + 0.5 * x.pow(2).sum();
    // Only z's gradient (set, not accumulated): the parameters' are neither needed nor touched.
    x.mutable_grad() = torch::autograd::grad({loss}, {x})[0];
    adam.step();
  }
  return x.detach();
}

}  // namespace timbrel::nn
