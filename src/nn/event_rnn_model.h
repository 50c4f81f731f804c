#pragma once
// What the public EventRnn wraps: the network, its codec and its card.
#include <nlohmann/json.hpp>

#include "models/event_codec.h"
#include "nn/event_rnn_net.h"
#include "models/model_impls.h"
#include "timbrel/error.h"
#include "timbrel/event_rnn.h"

namespace timbrel {

struct TorchEventRnn final : detail::EventRnnImpl {
  std::vector<int> continue_events(const std::vector<int>& primer, int steps, const ContinueOptions& options) const override;
  double log_likelihood(const std::vector<int>& events, const std::vector<ChordSpan>& chords) const override;
  std::vector<Note> continuation(const NoteSequence& primer, const ContinueOptions& options) const override;
  NoteSequence continue_sequence(const NoteSequence& primer, const ContinueOptions& options) const override;
  NoteSequence improvise(const ContinueOptions& options, double qpm) const override;
  void save(const std::string& dir) const override;

  mutable nn::EventRnnNet net{nullptr};  // a torch module runs through non-const methods
  nn::EventCodec codec;
  double dropout = 0.5;
  nlohmann::json card;  // model.json ("hparams" describe the network and the codec)
};

inline TorchEventRnn& event_rnn_impl(const EventRnn& model) { return static_cast<TorchEventRnn&>(detail::ModelAccess::impl(model)); }

namespace nn {
// A fresh (randomly initialised) model, or one from a card's hparams and weights.
EventRnn make_event_rnn(const EventCodec& codec, const std::vector<int>& layers, double dropout, nlohmann::json card = {});
EventRnn event_rnn_from(const nlohmann::json& card, const TensorMap& tensors, const std::string& subject);
std::unique_ptr<detail::EventRnnImpl> load_event_rnn(const std::string& path);
// Inputs of positions [first, first + count) of `events` (and `chords` per step for a
// chord-conditioned codec): [count, input_size].
torch::Tensor event_inputs(const EventCodec& codec, const std::vector<int>& events, size_t first, size_t count,
                           const std::vector<Chord>& chords = {});
// The Error of a chord-conditioned model asked to play without chords.
Error missing_chords();
// The steps after which a progression repeats: its last chord's end, rounded up to a sixteenth.
int64_t progression_period(const std::vector<ChordSpan>& progression);
// The chord at each of `count` steps from step `first` (negative: before the progression's
// start) of `progression` repeated every progression_period steps; N.C. in its gaps.
std::vector<Chord> progression_steps(const std::vector<ChordSpan>& progression, int64_t first, size_t count);
// continue_events with the chord of every step given (primer.size() + steps + 1 of them for a
// chord-conditioned model, else none); `first_sounds`: the first new step starts a note (or hit).
std::vector<int> sample_events(const TorchEventRnn& impl, const std::vector<int>& primer, int steps, const ContinueOptions& options,
                               const std::vector<Chord>& step_chords, bool first_sounds = false);
}  // namespace nn

}  // namespace timbrel
