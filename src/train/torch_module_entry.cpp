// The torch module's entry point: the networks (nn/) and the trainers that run them, which the
// library reaches through models/torch_module.h once it first needs them.
#include "models/torch_module.h"
#include "nn/ddsp_model.h"
#include "nn/event_rnn_model.h"
#include "nn/gansynth_network.h"
#include "nn/groove_model.h"
#include "nn/musicvae_model.h"
#include "train/ddsp_trainer.h"
#include "train/event_rnn_trainer.h"
#include "train/groove_trainer.h"
#include "train/musicvae_eval.h"
#include "train/musicvae_trainer.h"
#include "train/timbre_eval.h"
#include "train/timbre_trainer.h"
#include "train/torch_trainers.h"

namespace timbrel::train {
namespace {

class LibTorchTrainers final : public TorchTrainers {
 public:
  MusicVaeTrainReport train_musicvae(const MusicVaeTrainOptions& o) const override { return train::train_musicvae(o); }
  EventRnnTrainReport train_event_rnn(const EventRnnTrainOptions& o) const override { return train::train_event_rnn(o); }
  TimbreTrainReport train_timbre(const TimbreTrainOptions& o) const override { return train::train_timbre(o); }
  DdspTrainReport train_ddsp(const DdspTrainOptions& o) const override { return train::train_ddsp(o); }
  GrooveTrainReport train_groove(const GrooveTrainOptions& o) const override { return train::train_groove(o); }
  MusicVaeEvalReport evaluate_musicvae(const MusicVaeEvalOptions& o) const override { return train::evaluate_musicvae(o); }
  nlohmann::json evaluate_timbre_model(const TimbreEvalOptions& o) const override { return train::evaluate_timbre_model(o); }
  CorpusScore score_event_rnn(const EventRnn& model, const std::string& dir, const std::vector<std::string>& files,
                              int window_steps) const override {
    return train::score_event_rnn(model, dir, files, window_steps);
  }
};

class LibTorchModule final : public TorchModule {
 public:
  TorchInfo info() const override {
    TorchInfo info;
    info.version = TORCH_VERSION;
    info.cuda_available = torch::cuda::is_available();
    info.cuda_devices = info.cuda_available ? int(torch::cuda::device_count()) : 0;
    info.threads = at::get_num_threads();
    return info;
  }
  bool cuda_available() const override { return torch::cuda::is_available(); }
  std::unique_ptr<detail::MusicVaeImpl> load_musicvae(const std::string& path) const override { return nn::load_musicvae(path); }
  std::unique_ptr<detail::EventRnnImpl> load_event_rnn(const std::string& path) const override { return nn::load_event_rnn(path); }
  std::unique_ptr<detail::DdspImpl> load_ddsp(const std::string& path) const override { return nn::load_ddsp(path); }
  std::unique_ptr<detail::GrooveImpl> load_groove(const std::string& folder) const override { return nn::load_groove(folder); }
  std::unique_ptr<GansynthNetwork> gansynth_network(const std::string& folder, const GansynthConfig& config,
                                                    const std::string& fingerprint, const GansynthLog* log) const override {
    return nn::gansynth_folder_network(folder, config, fingerprint, log);
  }
  void set_tf32(bool allowed) const override {
    at::globalContext().setAllowTF32CuBLAS(allowed);
    at::globalContext().setAllowTF32CuDNN(allowed);
  }
  Gansynth load_gansynth_tfjs(const std::string& folder) const override { return nn::load_gansynth_tfjs(folder); }
  Gansynth random_gansynth(const GansynthConfig& config, uint64_t seed, double stddev) const override {
    return nn::random_gansynth(config, seed, stddev);
  }
  const TorchTrainers& trainers() const override { return trainers_; }

 private:
  LibTorchTrainers trainers_;
};

}  // namespace
}  // namespace timbrel::train

extern "C" __attribute__((visibility("default"))) const timbrel::TorchModule* timbrel_torch_module_v1() {
  static const timbrel::train::LibTorchModule module;
  return &module;
}

// The build it belongs to: the library refuses a module from another.
extern "C" __attribute__((visibility("default"))) const char* timbrel_torch_module_build() { return TIMBREL_BUILD_ID; }
