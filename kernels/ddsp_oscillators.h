#pragma once
// The DDSP oscillator bank on the GPU: one block of frames for many voices per launch (one thread
// per output sample), the same per-sample body as the CPU reference
// (synth/render_oscillator_block). Plain C++ interface; the stream is an opaque pointer.
#include "synth/oscillator_bank.h"

namespace timbrel::kernels {

// Device pointers laid out as OscillatorBlock's vectors; out [voices][frames x hop].
void oscillator_block_device(const float* f0, const float* amplitudes, const float* starts, int voices, int frames, int harmonics,
                             int hop, float sample_rate, float* out, void* stream);

// Copies the block to the GPU, renders, copies back (synchronous): an OscillatorBank::Renderer.
void render_oscillator_block_via_gpu(const synth::OscillatorBlock& block, float* out);

}  // namespace timbrel::kernels

namespace timbrel::kernels {

// Speed on the GPU: renders blocks of one second (250 frames) for `voices` voices of 60
// harmonics (synthetic gliding controls, device-resident), timed with CUDA events over `repeats`
// launches; returns seconds of audio per second of work summed over the voices (voices x real-time
// factor: how many voices play in real time).
double oscillator_voices_real_time(int voices, int repeats = 20);

}  // namespace timbrel::kernels
