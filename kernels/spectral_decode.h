#pragma once
// Launchers of kernels/spectral_decode.cu (device pointers, asynchronous on `stream`).
#include <cstddef>

#include "spectral_decode_ops.h"

namespace timbrel::kernels {

// Pass 1: specs [notes][frames][1024][2] -> power, phase [notes][frames][1024].
void launch_cumulate(const float* specs, size_t notes, int frames, float* power, float* phase, void* stream);
// Pass 2 to the C2R input: spectrum [notes][frames][1025] complex (interleaved re, im).
void launch_decode_complex(const float* power, const float* phase, size_t notes, int frames, bool mel, SparseView m2l, float eps,
                           float* spectrum, void* stream);
// Both passes in one (decode_bin_fused): specs -> spectrum, when every bin has at most
// kMaxContributors mel terms.
void launch_decode_fused(const float* specs, size_t notes, int frames, bool mel, SparseView m2l, float eps, float* spectrum, void* stream);
// Pass 2 to polar form: magnitude, phase_out [notes][frames][1025] (for the iterative methods).
void launch_decode_polar(const float* power, const float* phase, size_t notes, int frames, bool mel, SparseView m2l, float eps,
                         float* magnitude, float* phase_out, void* stream);

}  // namespace timbrel::kernels
