// The public trainers (timbrel/train.h) and measures (timbrel/evaluate.h): the torch module's
// (train/torch_trainers.h), or their torch-free implementation in train/.
#include "timbrel/train.h"

#include "train/note_dataset.h"
#include "train/timbre_sweep.h"
#include "train/torch_trainers.h"

namespace timbrel {

MusicVaeTrainReport train_musicvae(const MusicVaeTrainOptions& options) { return torch_trainers().train_musicvae(options); }
EventRnnTrainReport train_event_rnn(const EventRnnTrainOptions& options) { return torch_trainers().train_event_rnn(options); }
TimbreTrainReport train_timbre(const TimbreTrainOptions& options) { return torch_trainers().train_timbre(options); }
DdspTrainReport train_ddsp(const DdspTrainOptions& options) { return torch_trainers().train_ddsp(options); }
GrooveTrainReport train_groove(const GrooveTrainOptions& options) { return torch_trainers().train_groove(options); }

}  // namespace timbrel

namespace timbrel {

MusicVaeEvalReport evaluate_musicvae(const MusicVaeEvalOptions& options) { return torch_trainers().evaluate_musicvae(options); }
std::string evaluate_timbre_model(const TimbreEvalOptions& options) { return torch_trainers().evaluate_timbre_model(options).dump(); }
std::string sweep_timbre_model(const TimbreSweepOptions& options) { return train::sweep_timbre_model(options).dump(); }

}  // namespace timbrel

namespace timbrel {

NoteSetReport build_note_set(const NoteSetOptions& options) { return train::build_note_set(options); }
NoteSetReport merge_note_sets(const std::vector<std::string>& shard_dirs, const std::string& out_dir) {
  return train::merge_note_sets(shard_dirs, out_dir);
}

}  // namespace timbrel
