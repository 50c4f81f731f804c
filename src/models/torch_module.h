#pragma once
// The torch module: everything that runs libtorch (src/nn/: the networks, their loaders) behind
// one interface, so that the library starts without libtorch and its few hundred libraries (most
// of a second) and loads it only when a model first needs a network.
#include <memory>
#include <string>

#include "models/model_impls.h"

namespace timbrel {

class TorchTrainers;  // train/torch_trainers.h

struct TorchInfo {
  std::string version;
  bool cuda_available = false;
  int cuda_devices = 0;
  int threads = 1;
};

class TorchModule {
 public:
  virtual ~TorchModule();
  virtual TorchInfo info() const = 0;
  virtual bool cuda_available() const = 0;
  virtual std::unique_ptr<detail::MusicVaeImpl> load_musicvae(const std::string& path) const = 0;
  virtual std::unique_ptr<detail::EventRnnImpl> load_event_rnn(const std::string& path) const = 0;
  virtual std::unique_ptr<detail::DdspImpl> load_ddsp(const std::string& path) const = 0;
  virtual std::unique_ptr<detail::GrooveImpl> load_groove(const std::string& folder) const = 0;
  // A model folder's network (its weights checked already by the caller).
  // A model folder's network; an Error when its weights are no longer those fingerprinted at load.
  virtual std::unique_ptr<GansynthNetwork> gansynth_network(const std::string& folder, const GansynthConfig& config,
                                                            const std::string& fingerprint, const GansynthLog* log) const = 0;
  virtual void set_tf32(bool allowed) const = 0;  // cuBLAS/cuDNN TF32, a process-wide switch
  virtual Gansynth load_gansynth_tfjs(const std::string& folder) const = 0;
  virtual Gansynth random_gansynth(const GansynthConfig& config, uint64_t seed, double stddev) const = 0;
  virtual const TorchTrainers& trainers() const = 0;
};

// The module, loaded on the first call (thread-safe); an Error naming it if it cannot be.
const TorchModule& torch_module();
// The libtorch version the library was built against (without loading it): part of note cache keys.
std::string torch_version();
// Where the shared library looks for the module (beside itself); "" when the program holds the
// module itself (linked statically).
std::string torch_module_file();

}  // namespace timbrel

// Defined by the torch module; linked into programs that link the module's archive statically.
extern "C" const timbrel::TorchModule* timbrel_torch_module_v1();
