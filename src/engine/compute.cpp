#include "engine/compute.h"

#include <map>
#include <memory>
#include <mutex>

#include "timbrel/build_config.h"
#include "timbrel/error.h"
#if TIMBREL_HAVE_CUDA
#include "cuda_info.h"
#include "spectral_cuda.h"
#endif

namespace timbrel::engine {
namespace {

Compute decide(Device device, const std::function<void(const std::string&)>& log) {
  if (device == Device::Cpu) return Compute{};
#if TIMBREL_HAVE_CUDA
  std::string why;
  if (!kernels::cuda_available(&why)) {
    if (device == Device::Cuda) throw Error("device cuda", "no usable GPU: " + why);
    if (log) log("no GPU found; using the CPU");  // said once per process; --device cuda gives the reason
    return Compute{};
  }
  static std::shared_ptr<kernels::CudaSpectral> gpu = std::make_shared<kernels::CudaSpectral>(64);
  const auto devices = kernels::cuda_devices();
  Compute c;
  c.name = "cuda:0" + (devices.empty() ? std::string() : " (" + devices.front().name + ")");
  c.spectral = [](const float* specs, size_t count, float* audio, const InverseOptions& o) { gpu->to_audio(specs, count, audio, o); };
  c.device_spectral = [](const float* specs, size_t count, float* audio, const InverseOptions& o) {
    gpu->to_audio_from_device(specs, count, audio, o);
  };
  c.generator = Gansynth::cuda_available() ? Device::Cuda : Device::Cpu;
  return c;
#else
  (void)log;
  if (device == Device::Cuda) throw Error("device cuda", "this build has no CUDA kernels (configured without nvcc or with TIMBREL_CUDA=OFF)");
  return Compute{};
#endif
}

}  // namespace

Compute choose_compute(Device device, const std::function<void(const std::string&)>& log) {
  // Once per process and device: probing again would repeat the fallback note.
  static std::mutex mutex;
  static std::map<Device, Compute> decided;
  std::lock_guard<std::mutex> lock(mutex);
  auto it = decided.find(device);
  if (it == decided.end()) it = decided.emplace(device, decide(device, log)).first;
  return it->second;
}

}  // namespace timbrel::engine
