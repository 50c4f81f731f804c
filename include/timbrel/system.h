#pragma once
// What this build and this machine offer: version and build options, libtorch, CUDA devices (for
// the kernels), audio outputs and MIDI inputs (`timbrel info`).
#include <string>
#include <vector>

#include "timbrel/export.h"

namespace timbrel {

struct CudaDeviceInfo {
  int index = 0;
  std::string name;
  int compute_major = 0, compute_minor = 0;
  double memory_gib = 0;
};

struct AudioDeviceInfo {
  int index = 0;
  std::string name, host_api;
  int channels = 0;  // output channels
  double default_sample_rate = 0;
  bool is_default = false;
};

struct SystemInfo {
  std::string version, build_type, sanitize;
  bool cuda_kernels = false;            // the CUDA kernels were compiled in
  std::string cuda_runtime;             // e.g. "12.4" ("" without the kernels)
  std::vector<CudaDeviceInfo> cuda_devices;
  std::string cuda_note;                // why no device answered, when none did
  std::string torch_version;
  bool torch_cuda = false;              // libtorch itself can use a GPU
  int torch_cuda_devices = 0, torch_threads = 1;
  bool portaudio = false;
  std::string portaudio_version;
  std::vector<AudioDeviceInfo> audio_devices;
  std::string audio_note;               // why no device was listed, when none was
  std::vector<std::string> midi_inputs; // ports `play --live --midi-in` can open
  std::string midi_note;
};

TIMBREL_API SystemInfo system_info();

// On virtual machines that report a generic CPU, OpenBLAS falls back to SSE3 kernels (~4x slower
// than the AVX2/AVX-512 ones); the choice is made when the library loads, so this re-executes the
// program (argv) with OPENBLAS_CORETYPE set when it detects the fallback; otherwise it returns.
TIMBREL_API void ensure_fast_blas(char** argv);

}  // namespace timbrel
