// The public Ddsp API: a Magenta DDSP graph model's decoder in libtorch + the CPU synthesizers.
#include "timbrel/ddsp.h"

#include <cmath>
#include <filesystem>

#include "nn/ddsp_net.h"
#include "synth/filtered_noise.h"
#include "synth/harmonic_synth.h"
#include "timbrel/error.h"

namespace timbrel {

struct Ddsp::Impl {
  DdspInfo info;
  std::unique_ptr<nn::DdspNet> net;
};

Ddsp::Ddsp(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Ddsp::~Ddsp() = default;
Ddsp::Ddsp(Ddsp&&) noexcept = default;
Ddsp& Ddsp::operator=(Ddsp&&) noexcept = default;
const DdspInfo& Ddsp::info() const { return impl_->info; }

Ddsp Ddsp::load(const std::string& path) {
  if (!std::filesystem::is_directory(path)) throw Error(path, "is not a folder (a DDSP TF.js graph model: model.json + shard)");
  auto impl = std::make_unique<Impl>();
  nn::DdspConfig config;
  impl->net = std::make_unique<nn::DdspNet>(config);
  (*impl->net)->load(nn::read_ddsp_graph_weights(path, config), path);
  (*impl->net)->eval();
  impl->info.format = "tfjs graph";
  impl->info.harmonics = config.harmonics;
  impl->info.noise_bands = config.noise_bands;
  for (const auto& p : (*impl->net)->parameters()) impl->info.parameters += p.numel();
  return Ddsp(std::move(impl));
}

DdspControls Ddsp::controls(const std::vector<float>& f0_hz, const std::vector<float>& loudness_db) const {
  if (f0_hz.empty()) throw Error("f0_hz", "needs at least one frame");
  if (loudness_db.size() != f0_hz.size())
    throw Error("loudness_db", "has " + std::to_string(loudness_db.size()) + " frames, f0_hz " + std::to_string(f0_hz.size()));
  for (size_t i = 0; i < f0_hz.size(); ++i)
    if (!std::isfinite(f0_hz[i]) || !std::isfinite(loudness_db[i])) throw Error("f0_hz", "and loudness_db must be finite (frame " + std::to_string(i) + ")");
  torch::NoGradGuard no_grad;
  const int64_t T = int64_t(f0_hz.size());
  auto row = [T](const std::vector<float>& v) { return torch::from_blob(const_cast<float*>(v.data()), {1, T}, torch::kFloat); };
  const nn::DdspOutputs o = (*impl_->net)->forward(row(f0_hz), row(loudness_db));
  auto values = [](const torch::Tensor& t) {
    const torch::Tensor c = t.contiguous();
    return std::vector<float>(c.data_ptr<float>(), c.data_ptr<float>() + c.numel());
  };
  return {size_t(T), values(o.amplitude), values(o.distribution), values(o.noise)};
}

std::vector<float> Ddsp::synthesize(const DdspControls& c, const std::vector<float>& f0_hz, bool noise, uint64_t seed) const {
  const DdspInfo& i = impl_->info;
  if (f0_hz.size() != c.frames || c.amplitude.size() != c.frames || c.distribution.size() != c.frames * size_t(i.harmonics) ||
      c.noise.size() != c.frames * size_t(i.noise_bands))
    throw Error("controls", "do not match f0_hz's frames and the model's harmonics and noise bands");
  std::vector<float> audio = synth::harmonic_synthesis(f0_hz, c.amplitude, c.distribution, i.harmonics, i.sample_rate, i.hop);
  if (noise) {
    const std::vector<float> n = synth::filtered_noise(c.noise, i.noise_bands, i.hop, seed);
    for (size_t k = 0; k < audio.size(); ++k) audio[k] += n[k];
  }
  return audio;
}

}  // namespace timbrel
