#include "cli/device.h"

#include <map>
#include <memory>

#include "cli/command.h"
#include "timbrel/build_config.h"
#include "timbrel/error.h"
#if TIMBREL_HAVE_CUDA
#include "cuda_info.h"
#include "spectral_cuda.h"
#endif

namespace timbrel::cli {
namespace {
ComputeChoice cpu_choice() {
  ComputeChoice c;
  c.name = "cpu";
  return c;
}

ComputeChoice decide(const std::string& device) {
  if (device != "auto" && device != "cpu" && device != "cuda") throw Error("--device " + device, "must be auto, cpu or cuda");
  if (device == "cpu") return cpu_choice();
#if TIMBREL_HAVE_CUDA
  std::string why;
  if (!kernels::cuda_available(&why)) {
    if (device == "cuda") throw Error("--device cuda", "no usable GPU: " + why);
    print_error("--device auto: no usable GPU (" + why + "); using the CPU");
    return cpu_choice();
  }
  static std::shared_ptr<kernels::CudaSpectral> gpu = std::make_shared<kernels::CudaSpectral>(64);
  const auto devices = kernels::cuda_devices();
  ComputeChoice c;
  c.name = "cuda:0" + (devices.empty() ? std::string() : " (" + devices.front().name + ")");
  c.spectral = [](const float* specs, size_t count, float* audio, const InverseOptions& o) { gpu->to_audio(specs, count, audio, o); };
  c.device_spectral = [](const float* specs, size_t count, float* audio, const InverseOptions& o) {
    gpu->to_audio_from_device(specs, count, audio, o);
  };
  c.generator = Gansynth::cuda_available() ? "cuda" : "cpu";
  return c;
#else
  if (device == "cuda") throw Error("--device cuda", "this build has no CUDA kernels (configured without nvcc or with TIMBREL_CUDA=OFF)");
  return cpu_choice();
#endif
}

}  // namespace

ComputeChoice choose_device(const std::string& device) {
  // Once per process and answer: probing again would repeat the fallback note on stderr.
  static std::map<std::string, ComputeChoice> decided;
  auto it = decided.find(device);
  if (it == decided.end()) it = decided.emplace(device, decide(device)).first;
  return it->second;
}

void place_generator(Gansynth& model, const ComputeChoice& choice) {
  if (choice.generator != model.device()) model.set_device(choice.generator);
}

}  // namespace timbrel::cli
