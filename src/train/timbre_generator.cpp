#include "train/timbre_generator.h"

#include <cmath>

#include "nn/gansynth_net.h"
#include "spectral/gansynth_contract.h"
#include "timbrel/error.h"

namespace timbrel::train {
namespace {

torch::Tensor leaky_pixel_norm(const torch::Tensor& x) {
  torch::Tensor a = torch::leaky_relu(x, 0.2);
  return a * torch::rsqrt(a.square().mean(1, true) + 1e-8);
}

double equalised_scale(const torch::Tensor& w) { return std::sqrt(2.0 / double(w.size(1) * w.size(2) * w.size(3))); }

}  // namespace

TrainableGansynth::TrainableGansynth(const GansynthConfig& config, uint64_t seed) : config_(config) {
  torch::manual_seed(seed);
  for (const auto& [name, shape] : nn::gansynth_tensor_shapes(config)) {
    const bool kernel = name.size() > 7 && name.compare(name.size() - 7, 7, ".weight") == 0;
    params_[name] = (kernel ? torch::randn(shape) : torch::zeros(shape)).set_requires_grad(true);
  }
}

TrainableGansynth::TrainableGansynth(const GansynthConfig& config, const nn::TensorMap& raw, const std::string& subject)
    : config_(config) {
  for (const auto& [name, shape] : nn::gansynth_tensor_shapes(config)) {
    auto it = raw.find(name);
    if (it == raw.end() || it->second.sizes().vec() != shape) throw Error(subject, "lacks " + name + " of the expected shape");
    params_[name] = it->second.to(torch::kFloat).clone().set_requires_grad(true);
  }
}

torch::Tensor TrainableGansynth::forward(const torch::Tensor& z, const torch::Tensor& pitch_index) const {
  const int64_t n = z.size(0);
  auto p = [this](const std::string& name) -> const torch::Tensor& { return params_.at(name); };
  torch::Tensor x = torch::cat({z, torch::one_hot(pitch_index, config_.pitches).to(torch::kFloat)}, 1);
  x = x * torch::rsqrt(x.square().mean(1, true) + 1e-8);
  // Block 1: the 1x1 input padded to 2x16 and a VALID 2x16 conv = a matmul with the flipped kernel.
  const torch::Tensor& w0 = p("block1.conv0.weight");
  const int64_t c1 = w0.size(0);
  torch::Tensor m = (w0 * equalised_scale(w0)).flip({2, 3}).permute({1, 0, 2, 3}).reshape({w0.size(1), c1 * 32});
  x = leaky_pixel_norm(torch::matmul(x, m).view({n, c1, 2, 16}) + p("block1.conv0.bias").view({1, c1, 1, 1}));
  auto conv = [&](const torch::Tensor& t, const std::string& name) {
    const torch::Tensor& w = p(name + ".weight");
    return leaky_pixel_norm(torch::conv2d(t, w * equalised_scale(w), p(name + ".bias"), 1, 1));
  };
  x = conv(x.contiguous(at::MemoryFormat::ChannelsLast), "block1.conv1");
  const int blocks = int(config_.channels.size());
  for (int b = 2; b <= blocks; ++b) {
    const bool both = b <= blocks - config_.time_depth_blocks;
    x = torch::upsample_nearest2d(x, {x.size(2) * (both ? 2 : 1), x.size(3) * 2});
    const std::string prefix = "block" + std::to_string(b);
    x = conv(conv(x, prefix + ".conv0"), prefix + ".conv1");
  }
  const torch::Tensor& wr = p("to_rgb.weight");
  torch::Tensor rgb = torch::conv2d(x, wr * equalised_scale(wr), p("to_rgb.bias"));
  const int64_t sub = int64_t(1) << config_.time_depth_blocks, h = rgb.size(2), w = rgb.size(3);
  // Channel s * 2 + k -> frame h * sub + s, channel k (as GansynthNet does).
  rgb = rgb.view({n, sub, 2, h, w}).permute({0, 3, 1, 4, 2}).reshape({n, h * sub, w, 2});
  if (config_.pitch_template) rgb = rgb + p("pitch_template").index_select(0, pitch_index).unsqueeze(1);
  return torch::tanh(rgb);
}

std::vector<torch::Tensor> TrainableGansynth::network_parameters() const {
  std::vector<torch::Tensor> out;
  for (const auto& [name, t] : params_)
    if (name != "pitch_template") out.push_back(t);
  return out;
}

torch::Tensor TrainableGansynth::pitch_template() const {
  auto it = params_.find("pitch_template");
  return it == params_.end() ? torch::Tensor() : it->second;
}

nn::TensorMap TrainableGansynth::raw() const {
  nn::TensorMap out;
  for (const auto& [name, t] : params_) out[name] = t.detach().clone().contiguous();
  return out;
}

namespace {

// Log magnitudes (nepers) of normalised magnitudes [n, ...], each note shifted so that the
// target's loudest bin is 0 (ratios are unchanged; exp stays finite).
std::pair<torch::Tensor, torch::Tensor> relative_log_magnitudes(const torch::Tensor& pred_mag, const torch::Tensor& target_mag) {
  const int64_t n = pred_mag.size(0);
  torch::Tensor p = (pred_mag.reshape({n, -1}) - gansynth::kMagnitudeShift) / gansynth::kMagnitudeScale;
  torch::Tensor t = (target_mag.reshape({n, -1}) - gansynth::kMagnitudeShift) / gansynth::kMagnitudeScale;
  torch::Tensor top = std::get<0>(t.max(1, true));
  return {(p - top).reshape(pred_mag.sizes()), (t - top).reshape(target_mag.sizes())};
}

// Per note ||exp(m) - exp(m')||_F / ||exp(m)||_F of the denormalised log magnitudes, averaged.
torch::Tensor spectral_convergence(const torch::Tensor& pred_mag, const torch::Tensor& target_mag) {
  auto [p, t] = relative_log_magnitudes(pred_mag, target_mag);
  const int64_t n = p.size(0);
  torch::Tensor lp = torch::exp(p.reshape({n, -1})), lt = torch::exp(t.reshape({n, -1}));
  return ((lp - lt).square().sum(1).sqrt() / (lt.square().sum(1).sqrt() + 1e-8)).mean();
}

constexpr int64_t kLossBands = 16;

// Log energies [n, frames, kLossBands] of equal-mel bands, each within `floor_db` of the note's
// loudest bin (floor added), of the prediction and the target; and -log(floor), their range.
struct BandLogEnergies {
  torch::Tensor pred, target;
  double range;
};
BandLogEnergies band_log_energies(const torch::Tensor& pred_mag, const torch::Tensor& target_mag, double floor_db) {
  if (!(floor_db >= 20 && floor_db <= 200)) throw Error("band_floor_db", "must be 20..200 dB");
  const double floor = std::pow(10.0, -floor_db / 10);
  auto [p, t] = relative_log_magnitudes(pred_mag, target_mag);
  auto band_log_energy = [floor](const torch::Tensor& m) {
    torch::Tensor e = torch::exp(2 * m).reshape({m.size(0), m.size(1), kLossBands, m.size(2) / kLossBands}).sum(3);
    return torch::log(e + floor);
  };
  return {band_log_energy(p), band_log_energy(t), -std::log(floor)};
}

// Mean |log E - log E'| / range over bands and frames.
torch::Tensor band_envelope_error(const BandLogEnergies& b) { return (b.pred - b.target).abs().mean() / b.range; }

// Mean |d/dt log E - d/dt log E'| / range over bands and frame pairs.
torch::Tensor band_flux_error(const BandLogEnergies& b) {
  const int64_t frames = b.pred.size(1);
  auto flux = [frames](const torch::Tensor& e) { return e.slice(1, 1, frames) - e.slice(1, 0, frames - 1); };
  return (flux(b.pred) - flux(b.target)).abs().mean() / b.range;
}

}  // namespace

ReconstructionLoss reconstruction_loss(const torch::Tensor& pred, const torch::Tensor& target, const LossWeights& w) {
  torch::Tensor weight = ((target.select(3, 0) + 1) * 0.5).clamp(0, 1);
  torch::Tensor mag_error = (pred.select(3, 0) - target.select(3, 0)).abs();
  if (w.loud > 0) mag_error = mag_error * (1 + w.loud * weight) / (1 + w.loud / 2);
  torch::Tensor mag = mag_error.mean();
  torch::Tensor freq = ((pred.select(3, 1) - target.select(3, 1)).abs() * weight).mean();
  torch::Tensor total = mag + w.frequency * freq;
  double linear = 0, band = 0, flux = 0;
  if (w.linear > 0) {
    torch::Tensor sc = spectral_convergence(pred.select(3, 0), target.select(3, 0));
    total = total + w.linear * sc;
    linear = sc.item<double>();
  }
  if (w.band > 0 || w.flux > 0) {
    const BandLogEnergies energies = band_log_energies(pred.select(3, 0), target.select(3, 0), w.band_floor_db);
    if (w.band > 0) {
      torch::Tensor be = band_envelope_error(energies);
      total = total + w.band * be;
      band = be.item<double>();
    }
    if (w.flux > 0) {
      torch::Tensor fe = band_flux_error(energies);
      total = total + w.flux * fe;
      flux = fe.item<double>();
    }
  }
  return {total, mag.item<double>(), freq.item<double>(), linear, band, flux};
}

}  // namespace timbrel::train
