#pragma once
// Reconstruction measures of a MusicVAE on held-out windows, for one model or a 2-bar chain.
#include <vector>

#include "timbrel/musicvae.h"
#include "timbrel/evaluate.h"
#include "timbrel/train.h"

namespace timbrel::train {

struct Reconstruction {
  size_t windows = 0;
  // Fraction of steps equal to the input when the encoder's mean is decoded by argmax, each step
  // fed the model's own previous output (what `interpolate` plays back).
  double greedy = 0;
  // The same, each step fed the true previous token (Magenta's teacher-forced accuracy).
  double teacher_forced = 0;
  bool chain = false;  // windows longer than the model's, played as a chain of its windows
  int refine_steps = 0;  // each latent refined from the encoder's mean (MusicVae::encode)
};

// `windows` as long as the model's, or (a flat model) a whole number of its windows: each such
// window is then cut into consecutive model-length pieces, each encoded and decoded on its own
// and a piece that starts inside a held note re-strikes it, as the chain hears it; accuracy is
// still against the long window. `refine_steps` as in MusicVae::encode.
// `chords`: a chord-conditioned model's, one per window (flat models only).
Reconstruction reconstruction_accuracy(const MusicVae& model, const std::vector<Tokens>& windows, size_t batch = 256,
                                       int refine_steps = 0, const std::vector<StepChords>& chords = {});

// How score_over_chords draws: a chord model as its card advises, others flat (the baseline's
// published figures were drawn so).
StepDraw baseline_draw(const MusicVae& model);
// One sample of `model` per window, over that window's chords (taken only by a chord-conditioned
// model), scored against those chords beside the window itself.
ContinuationScore score_over_chords(const MusicVae& model, const std::vector<Tokens>& windows, const std::vector<StepChords>& chords,
                                    double temperature, uint64_t seed);

// The `piece`-step pieces of each window, end to end; with `melody`, a piece that starts inside
// a held note (no event, a pitch sounding) starts by re-striking that pitch.
std::vector<Tokens> chain_pieces(const std::vector<Tokens>& windows, size_t piece, bool melody);

// evaluate_musicvae (timbrel/evaluate.h), run by the torch module.
MusicVaeEvalReport evaluate_musicvae(const MusicVaeEvalOptions& options);

}  // namespace timbrel::train
