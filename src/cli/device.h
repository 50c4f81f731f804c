#pragma once
// --device auto|cpu|cuda: where the spectral stage (CUDA kernels) and the generator (libtorch)
// run. auto takes the GPU when this build has the kernels and a device answers, else the CPU
// (with a note on stderr when a CUDA build finds no usable device). The generator follows when
// libtorch has CUDA (Debian's is CPU-only: then only the spectral stage moves).
#include <string>

#include "timbrel/gansynth.h"
#include "timbrel/spectral.h"

namespace timbrel::cli {

struct ComputeChoice {
  std::string name;                         // "cpu" or "cuda:0 (NVIDIA H100 ...)"
  SpectralBackend spectral;                 // empty for the CPU
  Gansynth::DeviceSpectral device_spectral;  // the kernels on a generator's device output
  std::string generator = "cpu";            // "cuda" when libtorch itself can use the GPU
};

// Decided once per process for each answer (one GPU context, made on first use).
ComputeChoice choose_device(const std::string& device);
// Moves the model to the chosen generator device.
void place_generator(Gansynth& model, const ComputeChoice& choice);

}  // namespace timbrel::cli
