#include "timbrel/system.h"

#include "audio/audio_devices.h"
#include "audio/midi_input.h"
#include "models/openblas_kernels.h"
#include "models/torch_module.h"
#include "timbrel/build_config.h"
#include "timbrel/error.h"

#if TIMBREL_HAVE_CUDA
#include "cuda_info.h"
#endif

namespace timbrel {
namespace {

void add_cuda(SystemInfo& s) {
  s.cuda_kernels = bool(TIMBREL_HAVE_CUDA);
#if TIMBREL_HAVE_CUDA
  for (const auto& d : kernels::cuda_devices(&s.cuda_note))
    s.cuda_devices.push_back({d.index, d.name, d.compute_major, d.compute_minor, d.memory_gib});
  const int rt = kernels::cuda_runtime_version();
  s.cuda_runtime = std::to_string(rt / 1000) + "." + std::to_string(rt % 1000 / 10);
#endif
}

void add_audio(SystemInfo& s) {
  s.portaudio = bool(TIMBREL_PORTAUDIO);
  for (const auto& d : list_audio_output_devices(&s.audio_note))
    s.audio_devices.push_back({d.index, d.name, d.host_api, d.max_output_channels, d.default_sample_rate, d.is_default});
  if (s.portaudio) s.portaudio_version = portaudio_version();
  s.midi_inputs = list_midi_inputs("auto", &s.midi_note);
}

}  // namespace

SystemInfo system_info() {
  SystemInfo s;
  s.version = TIMBREL_VERSION;
  s.build_type = TIMBREL_BUILD_TYPE;
  s.sanitize = TIMBREL_SANITIZE;
  add_cuda(s);
  try {
    const TorchInfo t = torch_module().info();
    s.torch_version = t.version;
    s.torch_cuda = t.cuda_available;
    s.torch_cuda_devices = t.cuda_devices;
    s.torch_threads = t.threads;
  } catch (const Error& e) {  // the rest of the report stands without the torch module
    s.torch_version = std::string("unavailable (") + e.what() + ")";
  }
  add_audio(s);
  return s;
}

void ensure_fast_blas(char** argv) { nn::ensure_fast_openblas_kernels(argv); }

}  // namespace timbrel
