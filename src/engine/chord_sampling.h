#pragma once
// Sampling MusicVAE as asked or as its card advises, and the chord-conditioned one over a
// progression (Engine::sample with chords).
#include <optional>
#include <vector>

#include "timbrel/engine.h"
#include "timbrel/musicvae.h"

namespace timbrel {

// model.decode at `temperature` (< 0: the model card's) drawn as `draw` (unset: the card's);
// Error naming "temperature" when it is not a number.
std::vector<Tokens> decode_as_advised(const MusicVae& model, const std::vector<float>& z, double temperature,
                                      std::optional<StepDraw> draw, uint64_t seed, const std::vector<StepChords>& chords = {});

// r.count samples (or one per z of r.z), each one latent decoded over every 2-bar window of the
// progression r.chords (spans in any order), one after another; the chord symbols written with them.
NoteSequence sample_over_chords(const MusicVae& model, const SampleOptions& r, std::vector<Tokens>* windows);

}  // namespace timbrel
