// The public trainers (timbrel/train.h) and timbre measures (timbrel/evaluate.h): each is its
// implementation in train/.
#include "timbrel/train.h"

#include "train/ddsp_trainer.h"
#include "train/note_dataset.h"
#include "train/event_rnn_trainer.h"
#include "train/musicvae_trainer.h"
#include "train/timbre_eval.h"
#include "train/timbre_sweep.h"
#include "train/timbre_trainer.h"

namespace timbrel {

MusicVaeTrainReport train_musicvae(const MusicVaeTrainOptions& options) { return train::train_musicvae(options); }
EventRnnTrainReport train_event_rnn(const EventRnnTrainOptions& options) { return train::train_event_rnn(options); }
TimbreTrainReport train_timbre(const TimbreTrainOptions& options) { return train::train_timbre(options); }
DdspTrainReport train_ddsp(const DdspTrainOptions& options) { return train::train_ddsp(options); }

}  // namespace timbrel

namespace timbrel {

std::string evaluate_timbre_model(const TimbreEvalOptions& options) { return train::evaluate_timbre_model(options).dump(); }
std::string sweep_timbre_model(const TimbreSweepOptions& options) { return train::sweep_timbre_model(options).dump(); }

}  // namespace timbrel

namespace timbrel {

NoteSetReport build_note_set(const NoteSetOptions& options) { return train::build_note_set(options); }
NoteSetReport merge_note_sets(const std::vector<std::string>& shard_dirs, const std::string& out_dir) {
  return train::merge_note_sets(shard_dirs, out_dir);
}

}  // namespace timbrel
