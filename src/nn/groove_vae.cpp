// GrooveModel: load, save and play a GrooVAE model folder; humanize and drumify on NoteSequences.
#include <cmath>
#include <random>

#include "nn/groove_model.h"
#include "nn/model_folder.h"
#include "timbrel/error.h"

namespace timbrel {
namespace nn {

torch::Tensor groove_to_tensor(const GrooveSteps& g, int steps) {
  const int64_t windows = std::max<int64_t>(1, (g.steps + steps - 1) / steps), C = kGrooveClasses;
  torch::Tensor t = torch::zeros({windows * steps, kGrooveDepth});
  auto a = t.accessor<float, 2>();
  for (int s = 0; s < g.steps; ++s)
    for (int c = 0; c < C; ++c) {
      const size_t i = g.index(s, c);
      a[s][c] = g.hit[i], a[s][C + c] = g.velocity[i], a[s][2 * C + c] = 2.f * g.offset[i];
    }
  return t.view({windows, steps, kGrooveDepth});
}

void tensor_to_groove(const torch::Tensor& t, GrooveSteps& g) {
  const torch::Tensor flat = t.reshape({-1, kGrooveDepth}).contiguous();
  auto a = flat.accessor<float, 2>();
  const int64_t C = kGrooveClasses;
  for (int s = 0; s < g.steps; ++s)
    for (int c = 0; c < C; ++c) {
      const size_t i = g.index(s, c);
      const bool hit = a[s][c] > 0.5f;
      g.hit[i] = hit ? 1.f : 0.f;
      g.velocity[i] = hit ? std::clamp(a[s][C + c], 1.f / 127.f, 1.f) : 0.f;
      g.offset[i] = hit ? std::clamp(a[s][2 * C + c] / 2.f, -0.5f, 0.5f) : 0.f;
    }
}

GrooveSteps model_view(const GrooveSteps& g, const std::string& task) { return task == "humanize" ? quantized_groove(g) : tap_groove(g); }

GrooveModel wrap_groove(GrooveVaeNet net, nlohmann::json card) {
  auto impl = std::make_unique<TorchGroove>();
  impl->info.task = net->config().task;
  impl->info.steps = net->config().steps;
  impl->info.z_size = net->config().z_size;
  impl->net = std::move(net);
  impl->net->eval();
  impl->card = std::move(card);
  return detail::ModelAccess::wrap<GrooveModel>(std::move(impl));
}

}  // namespace nn

namespace {

void check_groove(const GrooveSteps& g, const std::string& name) {
  const size_t n = size_t(std::max(g.steps, 0)) * GrooveSteps::kClasses;
  if (g.steps <= 0 || g.hit.size() != n || g.velocity.size() != n || g.offset.size() != n)
    throw Error(name, "has " + std::to_string(g.steps) + " steps but arrays of another size (steps x 9 each)");
  if (!(g.qpm > 0) || !std::isfinite(g.qpm)) throw Error(name, "has no positive tempo");
}

// z around each window's encoder mean: N(mu, (temperature sigma)^2), from `seed`.
torch::Tensor latents(const torch::Tensor& mu, const torch::Tensor& sigma, double temperature, uint64_t seed) {
  if (temperature <= 0) return mu;
  std::mt19937_64 rng(seed);
  std::normal_distribution<float> normal;
  torch::Tensor eps = torch::empty_like(mu);
  float* e = eps.data_ptr<float>();
  for (int64_t i = 0; i < eps.numel(); ++i) e[i] = normal(rng);
  return mu + float(temperature) * sigma * eps;
}

}  // namespace

std::unique_ptr<detail::GrooveImpl> nn::load_groove(const std::string& folder) {
  nn::ModelFolder f = nn::read_model_folder(folder, "groovae");
  const nn::GrooveVaeConfig config = nn::GrooveVaeConfig::from_json(f.card.value("hparams", nlohmann::json::object()), folder + "/model.json");
  nn::GrooveVaeNet net(config);
  net->load(f.tensors, folder);
  return detail::ModelAccess::release(nn::wrap_groove(std::move(net), std::move(f.card)));
}

void TorchGroove::save(const std::string& folder) const {
  nlohmann::json out = card.is_object() ? card : nlohmann::json::object();
  out["architecture"] = "groovae";
  out["hparams"] = net->config().to_json();
  nn::write_model_folder(folder, out, net->tensors());
}

GrooveSteps TorchGroove::perform(const GrooveSteps& input, const GrooveOptions& o) const {
  check_groove(input, "input");
  if (!(o.hit_threshold > 0 && o.hit_threshold < 1)) throw Error("GrooveOptions.hit_threshold", "must lie between 0 and 1");
  if (!(o.temperature >= 0) || !std::isfinite(o.temperature)) throw Error("GrooveOptions.temperature", "must be 0 or more");
  torch::NoGradGuard no_grad;
  const GrooveSteps view = nn::model_view(input, info.task);
  const torch::Tensor x = nn::groove_to_tensor(view, info.steps);
  const auto [mu, sigma] = net->encode(x);
  const torch::Tensor z = latents(mu, sigma, o.temperature, o.seed);
  const torch::Tensor hits = x.narrow(2, 0, nn::kGrooveClasses);
  const torch::Tensor tapped = hits.sum(2) > 0;  // drumify keeps a hit on every tapped step
  GrooveSteps out = input;
  nn::tensor_to_groove(net->play(z, hits, o.hit_threshold, tapped), out);
  if (info.task == "drumify")  // the taps' own timing on the steps they were played
    for (int s = 0; s < out.steps; ++s)
      if (view.hit[view.index(s, kTapClass)] > 0.5f)
        for (int c = 0; c < GrooveSteps::kClasses; ++c)
          if (out.hit[out.index(s, c)] > 0.5f) out.offset[out.index(s, c)] = view.offset[view.index(s, kTapClass)];
  return out;
}

}  // namespace timbrel
