#pragma once
// The torch module's GANSynth network (what the public Gansynth builds on first use).
#include <atomic>
#include <cstdint>

#include "models/model_impls.h"
#include "nn/gansynth_net.h"

namespace timbrel::nn {

class TorchGansynthNetwork final : public GansynthNetwork {
 public:
  TorchGansynthNetwork(const GansynthConfig& config, TensorMap raw, const std::string& subject, const GansynthLog* log);
  std::vector<float> generate(const std::vector<float>& z, const std::vector<int>& pitches) const override;
  void generate_audio(const std::vector<float>& z, const std::vector<int>& pitches, const InverseOptions& options, float* audio,
                      const SpectralBackend& on_device, const SpectralBackend& on_host, int threads) const override;
  void to(Device device, Precision precision) override;
  Device device() const override;
  void save(const std::string& dir, const nlohmann::json& card) const override;

 private:
  std::vector<int64_t> validate(const std::vector<float>& z, const std::vector<int>& pitches) const;
  torch::Tensor forward(const float* z, const int64_t* index, size_t n) const;
  // Validates z and pitches once, then runs them in batches that fit, handing each batch's
  // output [count, 128, 1024, 2] (on the model's device) to use(first, count, output).
  template <typename Use>
  void forward_in_fitting_batches(const std::vector<float>& z, const std::vector<int>& pitches, const Use& use) const;

  GansynthConfig config_;
  GansynthNet net_;
  const GansynthLog* log_;
  // The largest batch known to fit on the current device (halved on each out-of-memory).
  mutable std::atomic<size_t> batch_limit_{SIZE_MAX};
};

// The architecture and every weight tensor (name, shape, dtype, values) hashed: what a model
// folder's check_gansynth_weights computes from the file.
std::string weights_fingerprint(const GansynthConfig& config, const TensorMap& raw);

std::unique_ptr<GansynthNetwork> gansynth_folder_network(const std::string& folder, const GansynthConfig& config,
                                                         const std::string& fingerprint, const GansynthLog* log);
Gansynth load_gansynth_tfjs(const std::string& path);
Gansynth random_gansynth(const GansynthConfig& config, uint64_t seed, double stddev);

}  // namespace timbrel::nn
