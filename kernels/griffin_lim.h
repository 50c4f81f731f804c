#pragma once
// Launchers of kernels/griffin_lim.cu (device pointers, async on `stream`).
#include <cstddef>

namespace timbrel::kernels {

// c = magnitude e^{i phase} (DC and Nyquist real), [count] coefficients of rows of `bins`.
void launch_polar(const float* magnitude, const float* phase, size_t count, int bins, float* c, void* stream);
// One FGLA projection over [count] coefficients (rows of `bins`): see project_coefficient.
void launch_project(const float* t, float* t_prev, const float* magnitude, float momentum, bool first, size_t count, int bins, float* c,
                    void* stream);

}  // namespace timbrel::kernels
