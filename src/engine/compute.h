#pragma once
// Where an Engine's work runs. Auto takes the GPU when this build has the CUDA kernels and a device
// answers, else the CPU (with a note to the log when a CUDA build finds no usable device). The
// generator follows when libtorch has CUDA (Debian's is CPU-only: then only the spectral stage moves).
#include <functional>
#include <string>

#include "timbrel/engine.h"

namespace timbrel::engine {

struct Compute {
  std::string name = "cpu";        // "cpu" or "cuda:0 (NVIDIA H200 ...)"
  SpectralBackend spectral;        // host spectrograms -> audio; empty for the CPU path
  SpectralBackend device_spectral;  // spectrograms in the generator's device memory -> audio
  Device generator = Device::Cpu;  // Cuda when libtorch itself can use the GPU
};

// Decided once per process for each device (one GPU context, made on first use); the fallback
// note goes to `log` the first time only.
Compute choose_compute(Device device, const std::function<void(const std::string&)>& log);

}  // namespace timbrel::engine
