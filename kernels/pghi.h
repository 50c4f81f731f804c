#pragma once
// Launchers of kernels/pghi.cu: PGHI for a batch of notes on the device (device pointers, async on
// `stream`), the same phases as the CPU path's pghi_phase (spectral/pghi_ops.h).
#include <cstddef>
#include <cstdint>

namespace timbrel::kernels {

// Per note: the unpadded index of its largest magnitude (frames * bins: none above 0) and its floor.
struct PghiNotePeak {
  unsigned long long peak;
  double floor;
};

// Device scratch for `notes` notes of frames x bins coefficients.
struct PghiDeviceScratch {
  void* cells = nullptr;           // [notes][(frames + 2) (bins + 2)] pghi::Cell (32 bytes each)
  uint64_t* heap = nullptr;        // [notes][frames bins]
  uint64_t* seeds = nullptr;       // [notes][frames bins]
  PghiNotePeak* peaks = nullptr;   // [notes]
};

// phase[notes][frames][bins] from magnitude[notes][frames][bins]: per note, tolerance * its
// largest magnitude is the floor (as pghi_phase).
void launch_pghi(const float* magnitude, size_t notes, int frames, int bins, int fft_size, int hop, double gamma, double tolerance,
                 const PghiDeviceScratch& scratch, float* phase, void* stream);

}  // namespace timbrel::kernels
