// The GANSynth network behind the public Gansynth (src/models/gansynth.cpp holds its card's data):
// generation in batches that fit, devices and precisions; TF.js checkpoints and random models.
#include "nn/gansynth_network.h"

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "nn/model_folder.h"
#include "nn/tf_checkpoints.h"
#include "timbrel/error.h"
#include "timbrel/spectral.h"

namespace timbrel::nn {

namespace {

// Test hook: TIMBREL_FAULT_OOM_ABOVE_BATCH=N makes every batch of more than N notes run out of
// memory, on any device, so the back-off is tested where no GPU is.
size_t simulated_memory_batches() {
  static const size_t n = [] {
    const char* v = std::getenv("TIMBREL_FAULT_OOM_ABOVE_BATCH");
    return v ? size_t(std::strtoull(v, nullptr, 10)) : SIZE_MAX;
  }();
  return n;
}

std::string first_line(const char* what) {
  const std::string s(what);
  return s.substr(0, s.find('\n'));
}

}  // namespace

TorchGansynthNetwork::TorchGansynthNetwork(const GansynthConfig& config, TensorMap raw, const std::string& subject, const GansynthLog* log)
    : config_(config), net_(config, std::move(raw), subject), log_(log) {}

std::vector<int64_t> TorchGansynthNetwork::validate(const std::vector<float>& z, const std::vector<int>& pitches) const {
  const GansynthConfig& c = config_;
  const size_t n = pitches.size();
  if (n == 0) throw Error("generate", "no notes");
  if (z.size() != n * size_t(c.latent_size))
    throw Error("z", std::to_string(z.size()) + " values for " + std::to_string(n) + " notes, expected " +
                         std::to_string(n * size_t(c.latent_size)));
  for (float v : z)
    if (!std::isfinite(v)) throw Error("z", "non-finite value");
  std::vector<int64_t> index(n);
  for (size_t i = 0; i < n; ++i) {
    if (pitches[i] < c.min_pitch || pitches[i] > c.max_pitch())
      throw Error("pitch", std::to_string(pitches[i]) + " is outside the generator's range " + std::to_string(c.min_pitch) +
                               ".." + std::to_string(c.max_pitch()) + " (MIDI)");
    index[i] = int64_t(pitches[i] - c.min_pitch);
  }
  return index;
}

// n validated notes through the network; the output [n, 128, 1024, 2] stays on its device.
torch::Tensor TorchGansynthNetwork::forward(const float* z, const int64_t* index, size_t n) const {
  c10::InferenceMode guard;
  const torch::Device device = net_.device();
  const torch::Tensor zt =
      torch::from_blob(const_cast<float*>(z), {int64_t(n), config_.latent_size}, torch::kFloat).to(device);
  const torch::Tensor it = torch::from_blob(const_cast<int64_t*>(index), {int64_t(n)}, torch::kLong).to(device);
  return net_.forward(zt, it).contiguous();
}

// A batch that runs out of device memory is halved and retried, down to one note; the limit found
// is kept for later calls. A failed GPU (illegal address, ECC, lost device) becomes an Error
// saying so.
template <typename Use>
void TorchGansynthNetwork::forward_in_fitting_batches(const std::vector<float>& z, const std::vector<int>& pitches,
                                                const Use& use) const {
  const std::vector<int64_t> index = validate(z, pitches);
  const size_t n = index.size(), latent = size_t(config_.latent_size);
  for (size_t first = 0; first < n;) {
    const size_t count = std::min(n - first, batch_limit_.load());
    try {
      if (count > simulated_memory_batches())
        throw OutOfMemoryError("generate", "simulated out of memory (TIMBREL_FAULT_OOM_ABOVE_BATCH)");
      try {
        use(first, count, forward(z.data() + first * latent, index.data() + first, count));
      } catch (const c10::OutOfMemoryError& e) {
        throw OutOfMemoryError(net_.device().is_cuda() ? "cuda" : "generate", first_line(e.what()));
      } catch (const c10::Error& e) {
        if (!net_.device().is_cuda()) throw;
        throw Error("cuda", "the GPU failed (" + first_line(e.what()) +
                                "); its state cannot be trusted for the rest of this run: run again, or use --device cpu");
      }
      first += count;
    } catch (const OutOfMemoryError& e) {
      if (count == 1) throw OutOfMemoryError(e.subject(), e.problem() + " (even for a single note)");
      const size_t half = count / 2;
      size_t expected = batch_limit_.load();
      while (expected > half && !batch_limit_.compare_exchange_weak(expected, half)) {
      }
      if (log_ && *log_)
        (*log_)("out of " + std::string(net_.device().is_cuda() ? "GPU" : "host") + " memory for a batch of " + std::to_string(count) +
            " notes; retrying in batches of " + std::to_string(half));
    }
  }
}

std::vector<float> TorchGansynthNetwork::generate(const std::vector<float>& z, const std::vector<int>& pitches) const {
  const size_t note = size_t(kSpectrogramValues);
  std::vector<float> out(pitches.size() * note);
  forward_in_fitting_batches(z, pitches, [&](size_t first, size_t count, const torch::Tensor& spec) {
    const torch::Tensor host = spec.to(torch::kCPU);
    std::memcpy(out.data() + first * note, host.data_ptr<float>(), count * note * sizeof(float));
  });
  return out;
}

void TorchGansynthNetwork::generate_audio(const std::vector<float>& z, const std::vector<int>& pitches, const InverseOptions& options,
                                          float* audio, const SpectralBackend& on_device, const SpectralBackend& on_host,
                                          int threads) const {
  if (net_.device().is_cuda() && on_device) {
    // The output never leaves the GPU. libtorch ran on the legacy default stream; on_device's
    // stream waits for it.
    forward_in_fitting_batches(z, pitches, [&](size_t first, size_t count, const torch::Tensor& spec) {
      on_device(spec.data_ptr<float>(), count, audio + first * size_t(kNoteSamples), options);
    });
    return;
  }
  const std::vector<float> spec = generate(z, pitches);
  if (on_host) on_host(spec.data(), pitches.size(), audio, options);
  else spectrograms_to_audio(spec.data(), pitches.size(), audio, options, threads);
}

void TorchGansynthNetwork::to(Device device, Precision precision) {
  const torch::ScalarType dtype = precision == Precision::Bf16 ? torch::kBFloat16 : torch::kFloat;
  if (device == Device::Cuda) net_.to(torch::Device(torch::kCUDA, 0), dtype);
  else net_.to(torch::Device(torch::kCPU), dtype);
}

Device TorchGansynthNetwork::device() const { return net_.device().is_cpu() ? Device::Cpu : Device::Cuda; }

void TorchGansynthNetwork::save(const std::string& dir, const nlohmann::json& card) const { write_model_folder(dir, card, net_.raw()); }

// The architecture and every weight tensor (name, shape, dtype, values) hashed.
std::string weights_fingerprint(const GansynthConfig& c, const nn::TensorMap& raw) {
  GansynthFingerprint fingerprint(c);
  for (const auto& [name, tensor] : raw) {  // std::map: name order
    const torch::Tensor t = tensor.contiguous().cpu();
    fingerprint.add(name, t.sizes().vec(), TorchDtypeCode(int(t.scalar_type())), t.data_ptr(), size_t(t.numel()) * t.element_size());
  }
  return fingerprint.hex();
}

namespace {

// A model whose weights are in memory (a TF.js checkpoint, a random one): its network is built
// from them on first use.
Gansynth wrap(const GansynthConfig& config, TensorMap raw, const std::string& subject, const std::string& format) {
  int64_t parameters = 0;
  for (const auto& [name, t] : raw) parameters += t.numel();
  const std::string fingerprint = weights_fingerprint(config, raw);
  auto weights = std::make_shared<TensorMap>(std::move(raw));
  return detail::make_gansynth(config, nullptr, subject, format, fingerprint, parameters, [config, weights, subject](const GansynthLog* log) {
    return std::make_unique<TorchGansynthNetwork>(config, *weights, subject, log);
  });
}

}  // namespace

std::unique_ptr<GansynthNetwork> gansynth_folder_network(const std::string& folder, const GansynthConfig& config,
                                                         const std::string& fingerprint, const GansynthLog* log) {
  ModelFolder f = read_model_folder(folder, "gansynth");
  if (weights_fingerprint(config, f.tensors) != fingerprint)
    throw Error(folder + "/weights.safetensors", "changed since the model was loaded: load it again");
  return std::make_unique<TorchGansynthNetwork>(config, std::move(f.tensors), folder, log);
}

Gansynth load_gansynth_tfjs(const std::string& path) {
  GansynthConfig config;
  const TensorMap tf = read_tfjs_checkpoint(path);
  require_finite(tf, path);
  TensorMap raw = gansynth_from_tf(tf, path, &config);
  return wrap(config, std::move(raw), path, "tfjs");
}

Gansynth random_gansynth(const GansynthConfig& config, uint64_t seed, double stddev) {
  GansynthConfig inferred;  // from_tf assumes 61 pitches; only the sum latent + pitches matters
  TensorMap raw = gansynth_from_tf(gansynth_random_tf(config, uint32_t(seed), stddev), "random", &inferred);
  return wrap(config, std::move(raw), "random GANSynth", "random");
}

}  // namespace timbrel::nn
