// The DDSP oscillator bank: one thread per (voice, sample) of a block, grid-stride; each sums its
// harmonics with the shared body (synth/oscillator_bank_ops.h).
#include <vector>

#include "cuda_check.h"
#include "ddsp_oscillators.h"
#include "synth/oscillator_bank_ops.h"

namespace timbrel::kernels {
namespace {

__global__ void oscillator_kernel(const float* f0, const float* amplitudes, const float* starts, int voices, int frames,
                                  int harmonics, int hop, float sample_rate, float* out) {
  const size_t per_voice = size_t(frames) * size_t(hop), total = size_t(voices) * per_voice;
  for (size_t i = blockIdx.x * size_t(blockDim.x) + threadIdx.x; i < total; i += size_t(gridDim.x) * blockDim.x) {
    const size_t v = i / per_voice, n = i % per_voice;
    const int j = int(n / size_t(hop)), m = int(n % size_t(hop));
    const size_t row = v * size_t(frames + 1) + size_t(j);
    const float* amp_a = amplitudes + row * size_t(harmonics);
    const float fade_in = 0.5f - 0.5f * cospif(float(m) / float(hop));
    out[i] = synth::oscillator_sample(m, hop, f0[row], f0[row + 1], amp_a, amp_a + harmonics, harmonics,
                                      starts[v * size_t(frames) + size_t(j)], fade_in, sample_rate);
  }
}

}  // namespace

void oscillator_block_device(const float* f0, const float* amplitudes, const float* starts, int voices, int frames, int harmonics,
                             int hop, float sample_rate, float* out, void* stream) {
  const size_t total = size_t(voices) * size_t(frames) * size_t(hop);
  if (total == 0) return;
  const int threads = 256;
  size_t blocks = (total + threads - 1) / threads;
  if (blocks > 65535u * 16u) blocks = 65535u * 16u;
  oscillator_kernel<<<unsigned(blocks), threads, 0, static_cast<cudaStream_t>(stream)>>>(f0, amplitudes, starts, voices, frames,
                                                                                           harmonics, hop, sample_rate, out);
  TIMBREL_CUDA_CHECK_LAUNCH();
}

void render_oscillator_block_via_gpu(const synth::OscillatorBlock& b, float* out) {
  const size_t n_out = size_t(b.voices) * size_t(b.frames) * size_t(b.hop);
  float *f0 = nullptr, *amps = nullptr, *starts = nullptr, *dev_out = nullptr;
  auto release = [&] {
    cudaFree(f0);
    cudaFree(amps);
    cudaFree(starts);
    cudaFree(dev_out);
  };
  try {
    TIMBREL_CUDA_CHECK(cudaMalloc(&f0, b.f0.size() * sizeof(float)));
    TIMBREL_CUDA_CHECK(cudaMalloc(&amps, b.amplitudes.size() * sizeof(float)));
    TIMBREL_CUDA_CHECK(cudaMalloc(&starts, b.starts.size() * sizeof(float)));
    TIMBREL_CUDA_CHECK(cudaMalloc(&dev_out, n_out * sizeof(float)));
    TIMBREL_CUDA_CHECK(cudaMemcpy(f0, b.f0.data(), b.f0.size() * sizeof(float), cudaMemcpyHostToDevice));
    TIMBREL_CUDA_CHECK(cudaMemcpy(amps, b.amplitudes.data(), b.amplitudes.size() * sizeof(float), cudaMemcpyHostToDevice));
    TIMBREL_CUDA_CHECK(cudaMemcpy(starts, b.starts.data(), b.starts.size() * sizeof(float), cudaMemcpyHostToDevice));
    oscillator_block_device(f0, amps, starts, b.voices, b.frames, b.harmonics, b.hop, b.sample_rate, dev_out, nullptr);
    TIMBREL_CUDA_CHECK(cudaMemcpy(out, dev_out, n_out * sizeof(float), cudaMemcpyDeviceToHost));
  } catch (...) {
    release();
    throw;
  }
  release();
}

double oscillator_voices_real_time(int voices, int repeats) {
  const int frames = 250, harmonics = 60, hop = 64;
  synth::OscillatorBlock b;
  b.voices = voices, b.frames = frames, b.harmonics = harmonics, b.hop = hop;
  b.f0.resize(size_t(voices) * (frames + 1));
  b.amplitudes.assign(size_t(voices) * (frames + 1) * harmonics, 0.5f / harmonics);
  b.starts.assign(size_t(voices) * frames, 0.0f);
  for (int v = 0; v < voices; ++v)
    for (int j = 0; j <= frames; ++j) b.f0[size_t(v) * (frames + 1) + size_t(j)] = 110.0f + float(v % 48) * 10.0f + 0.5f * float(j);
  const size_t n_out = size_t(voices) * frames * hop;
  float *f0 = nullptr, *amps = nullptr, *starts = nullptr, *out = nullptr;
  cudaEvent_t t0 = nullptr, t1 = nullptr;
  auto release = [&] {
    cudaFree(f0), cudaFree(amps), cudaFree(starts), cudaFree(out);
    if (t0) cudaEventDestroy(t0);
    if (t1) cudaEventDestroy(t1);
  };
  float ms = 0;
  try {
    TIMBREL_CUDA_CHECK(cudaMalloc(&f0, b.f0.size() * sizeof(float)));
    TIMBREL_CUDA_CHECK(cudaMalloc(&amps, b.amplitudes.size() * sizeof(float)));
    TIMBREL_CUDA_CHECK(cudaMalloc(&starts, b.starts.size() * sizeof(float)));
    TIMBREL_CUDA_CHECK(cudaMalloc(&out, n_out * sizeof(float)));
    TIMBREL_CUDA_CHECK(cudaMemcpy(f0, b.f0.data(), b.f0.size() * sizeof(float), cudaMemcpyHostToDevice));
    TIMBREL_CUDA_CHECK(cudaMemcpy(amps, b.amplitudes.data(), b.amplitudes.size() * sizeof(float), cudaMemcpyHostToDevice));
    TIMBREL_CUDA_CHECK(cudaMemcpy(starts, b.starts.data(), b.starts.size() * sizeof(float), cudaMemcpyHostToDevice));
    TIMBREL_CUDA_CHECK(cudaEventCreate(&t0));
    TIMBREL_CUDA_CHECK(cudaEventCreate(&t1));
    oscillator_block_device(f0, amps, starts, voices, frames, harmonics, hop, 16000.0f, out, nullptr);  // warm-up
    TIMBREL_CUDA_CHECK(cudaEventRecord(t0));
    for (int r = 0; r < repeats; ++r) oscillator_block_device(f0, amps, starts, voices, frames, harmonics, hop, 16000.0f, out, nullptr);
    TIMBREL_CUDA_CHECK(cudaEventRecord(t1));
    TIMBREL_CUDA_CHECK(cudaEventSynchronize(t1));
    TIMBREL_CUDA_CHECK(cudaEventElapsedTime(&ms, t0, t1));
  } catch (...) {
    release();
    throw;
  }
  release();
  return double(voices) * 1.0 / (double(ms) * 1e-3 / repeats);
}

}  // namespace timbrel::kernels
