#pragma once
// GANSynth timbre generator (Magenta's progressive GAN generator at full resolution):
// latent z (256 values) + pitch (MIDI 24..84) -> normalised IF-mel spectrogram
// [128 time, 1024 mel, 2] (see spectral.h for turning it into audio). Plain C++ types only.
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "timbrel/device.h"
#include "timbrel/export.h"
#include "timbrel/spectral.h"
#include "timbrel/timbre_spec.h"

namespace timbrel {

struct GansynthConfig {
  int latent_size = 256;
  int min_pitch = 24;  // one-hot index = pitch - min_pitch
  int pitches = 61;    // MIDI 24..84
  // Output channels of blocks 1..7 (Magenta: 256, 256, 256, 256, 128, 64, 32). Block 1 makes
  // 2x16, each later block doubles both sides: 128x1024 after block 7.
  std::vector<int> channels{256, 256, 256, 256, 128, 64, 32};
  // Extensions of the models trained here (both off in Magenta's checkpoints):
  // a learned per-pitch, time-invariant output bias [pitches, 1024, 2] added before the tanh;
  bool pitch_template = false;
  // the last K blocks double frequency only, and to_rgb emits 2 * 2^K channels that become 2^K
  // consecutive frames (depth-to-space along time): less work at the two largest resolutions.
  int time_depth_blocks = 0;
  int max_pitch() const { return min_pitch + pitches - 1; }
};

struct GansynthInfo {
  GansynthConfig config;
  std::string format;  // where it was read from, for display: "model folder" or "tfjs"
  int64_t parameters = 0;
  std::vector<std::string> timbre_names;  // presets named in the model card
  bool gm_programs = false;  // the card maps its presets to General MIDI programs (program:N works)
  bool drums = false;  // trained on drum kits (pitch = GM drum note)
  // 16 hex digits hashing the architecture and every weight tensor (name, shape, dtype, values):
  // equal for equal weights, whatever the folder (the render note cache keys notes by it).
  std::string fingerprint;
};

class TIMBREL_API Gansynth {
 public:
  // `path`: a model folder (model.json with "architecture": "gansynth" + weights.safetensors) or
  // a TF.js GANSynth checkpoint folder (weights_manifest.json + shards). Names, shapes and dtypes
  // are validated; errors name the folder and what is wrong.
  static Gansynth load(const std::string& path);
  // A model of N(0, stddev) weights drawn from `seed` (tests and benchmarks; never a real model).
  static Gansynth random(const GansynthConfig& config, uint64_t seed, double stddev = 0.05);
  ~Gansynth();
  Gansynth(Gansynth&&) noexcept;
  Gansynth& operator=(Gansynth&&) noexcept;

  const GansynthInfo& info() const;
  // n notes in one forward pass: z is n * latent_size floats, pitches n values (each must be in
  // min_pitch..max_pitch, else Error naming the range). Returns n * kSpectrogramValues floats,
  // each note [128, 1024, 2] C order (channel 0 log-mel magnitude, 1 mel IF; both normalised).
  std::vector<float> generate(const std::vector<float>& z, const std::vector<int>& pitches) const;
  // Where the forward pass runs: Cpu or Cuda (needs a CUDA-enabled libtorch and a GPU, else Error
  // saying which is missing; Debian's libtorch is CPU-only); Auto takes the GPU when there is one.
  void set_device(Device device);
  Device device() const;  // Cpu or Cuda
  // Arithmetic of the forward pass: Fp32 (default), Tf32 (float32 storage, TF32 matmuls and
  // convolutions on NVIDIA GPUs; the same as Fp32 elsewhere) or Bf16 (bfloat16 weights and
  // activations; output float32). Applies to the current device; set_device keeps it.
  void set_precision(Precision precision);
  Precision precision() const;
  static bool cuda_available();  // libtorch built with CUDA and a GPU present
  // The notes straight to audio: on a GPU the spectrograms stay in device memory and `on_device`
  // (e.g. the CUDA spectral kernels) turns them into host audio; on the CPU, or without
  // on_device, `on_host` (or the CPU spectral path) does. audio: n * kNoteSamples floats. Both
  // are spectral backends; `on_device` is handed spectrograms in the generator's device memory.
  void generate_audio(const std::vector<float>& z, const std::vector<int>& pitches, const InverseOptions& options, float* audio,
                      const SpectralBackend& on_device = {}, const SpectralBackend& on_host = {}, int threads = 0) const;
  // A latent vector from a timbre spec: "seed:N" (deterministic N(0,1)), "preset:NAME" (from the
  // model card), "program:N" (General MIDI program 0..127, see preset_for_program), or a .npy file
  // (float32 [latent] or [1, latent]): "Z.npy" or "file:PATH".
  std::vector<float> timbre(const std::string& spec) const;
  // The preset trained from General MIDI `program` (0..127; bank 0 preferred). A program the model
  // lacks maps to the nearest program of its GM family (8 programs), else the nearest program;
  // `exact` tells which. Error when the card records no programs.
  struct ProgramPreset {
    std::string preset;
    int program = 0;
    bool exact = true;
  };
  ProgramPreset preset_for_program(int program) const;
  // Each preset's General MIDI (bank, program), as the card records them (empty when it does not).
  std::map<std::string, std::pair<int, int>> preset_programs() const;
  // The training data's level (dB) of a note at `pitch` with timbre `z` (that of the nearest preset
  // in the latent space, at the nearest pitch it has), relative to the model's typical note level
  // (the 90th percentile of all its notes). 0 when the card stores no levels.
  double relative_level_db(const std::vector<float>& z, int pitch) const;
  // How the renderer turns this model's notes into audio: a drum model's hits
  // generated_drum_inverse(), other notes generated_note_inverse().
  InverseOptions played_inverse() const;
  // Where notes such as out-of-memory retries go (the library never prints); unset: dropped.
  void set_log(std::function<void(const std::string& message)> log);
  // Writes a model folder (model.json + weights.safetensors); presets are kept.
  void save(const std::string& dir) const;
  void set_presets(const std::map<std::string, std::vector<float>>& presets);


 private:
  struct Impl;
  friend struct detail::ModelAccess;
  explicit Gansynth(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// Deterministic N(0, 1) values: a 32-bit LCG (x = 1664525 x + 1013904223) through Box-Muller in
// double precision; the same stream tests/golden/gansynth/make_reference.mjs draws in JavaScript.
TIMBREL_API std::vector<double> lcg_gaussians(size_t count, uint32_t seed);

// Bilinear mix of four corner latents (NSynth Super's pad): x, y in [0, 1];
// (0,0) = a, (1,0) = b, (0,1) = c, (1,1) = d.
TIMBREL_API std::vector<float> bilinear(const std::vector<float>& a, const std::vector<float>& b, const std::vector<float>& c,
                            const std::vector<float>& d, double x, double y);

}  // namespace timbrel
