#pragma once
// The GPU spectral stage: normalised GANSynth spectrograms -> audio for many notes per launch,
// with the phase methods of the CPU path. Plain C++ interface (no CUDA types): device pointers are
// float*, the stream an opaque pointer.
#include <cstddef>
#include <memory>
#include <string>

#include "timbrel/spectral.h"

namespace timbrel::kernels {

// True when a CUDA device is usable; `why` says what the runtime answered otherwise.
bool cuda_available(std::string* why = nullptr);

struct StageTimes {  // milliseconds of the last call, from CUDA events
  double decode = 0, inverse_fft = 0, overlap_add = 0, polish = 0, transfer = 0;
};

// Where PGHI's phase is integrated: the CPU path's pghi_phase a note at a time (the default), or
// kernels/pghi.cu (one thread a note: the integration is sequential within a note, so it can pay
// off only over many notes). The device placement stays opt-in until a GPU has run its device-table
// row and BM_CudaPghi has shown from which batch it is faster.
enum class PghiPlacement { Host, Device };

class CudaSpectral {
 public:
  // Work buffers for up to max_notes notes per launch; a stream of its own.
  explicit CudaSpectral(size_t max_notes = 64);
  ~CudaSpectral();
  CudaSpectral(const CudaSpectral&) = delete;
  CudaSpectral& operator=(const CudaSpectral&) = delete;

  // Host memory in and out; any count (launched max_notes at a time). Synchronous.
  void to_audio(const float* spectrograms, size_t count, float* audio, const InverseOptions& options);
  // Device memory in (e.g. a generator's output), host audio out; any count. Synchronous. The
  // stream waits for work on the legacy default stream (libtorch's) before reading.
  void to_audio_from_device(const float* device_spectrograms, size_t count, float* audio, const InverseOptions& options);
  // Device memory in and out, count <= max_notes, asynchronous on stream().
  void to_audio_device(const float* spectrograms, size_t count, float* audio, const InverseOptions& options);
  // For benchmarks: uploads `count` <= max_notes spectrograms once, runs `repeats` times on the
  // device and returns the mean stage times (transfer = 0).
  StageTimes time_on_device(const float* spectrograms, size_t count, const InverseOptions& options, int repeats);
  void set_pghi_placement(PghiPlacement placement);
  void synchronize() const;
  void* stream() const;
  size_t max_notes() const;
  const StageTimes& times() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace timbrel::kernels
