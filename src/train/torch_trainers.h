#pragma once
// The trainers and measures that run networks, as the torch module provides them: the library's
// public trainers (timbrel/train.h, timbrel/evaluate.h) call through this, so that only training
// and evaluation load libtorch.
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "timbrel/evaluate.h"
#include "timbrel/event_rnn.h"
#include "timbrel/train.h"

namespace timbrel {

class TorchTrainers {
 public:
  virtual ~TorchTrainers();
  virtual MusicVaeTrainReport train_musicvae(const MusicVaeTrainOptions& options) const = 0;
  virtual EventRnnTrainReport train_event_rnn(const EventRnnTrainOptions& options) const = 0;
  virtual TimbreTrainReport train_timbre(const TimbreTrainOptions& options) const = 0;
  virtual DdspTrainReport train_ddsp(const DdspTrainOptions& options) const = 0;
  virtual GrooveTrainReport train_groove(const GrooveTrainOptions& options) const = 0;
  virtual MusicVaeEvalReport evaluate_musicvae(const MusicVaeEvalOptions& options) const = 0;
  virtual nlohmann::json evaluate_timbre_model(const TimbreEvalOptions& options) const = 0;
  // Teacher-forced accuracy and log-perplexity on `files` of the folder `dir`.
  virtual CorpusScore score_event_rnn(const EventRnn& model, const std::string& dir, const std::vector<std::string>& files,
                                      int window_steps) const = 0;
};

const TorchTrainers& torch_trainers();  // the torch module's, loading it on first use

}  // namespace timbrel
