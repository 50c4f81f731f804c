#pragma once
// Sampling MusicVAE as asked or as its card advises, and the chord-conditioned one over a
// progression (Engine::sample with chords).
#include <vector>

#include "timbrel/engine.h"
#include "timbrel/musicvae.h"

namespace timbrel {

// `asked` (>= 0), or the model card's when < 0; Error naming "temperature" when not a number.
double sampling_temperature(double asked, const MusicVae& model);

// r.count samples (or one per z of r.z), each one latent decoded over every 2-bar window of the
// progression r.chords (spans in any order), one after another; the chord symbols written with them.
NoteSequence sample_over_chords(const MusicVae& model, const SampleOptions& r, std::vector<Tokens>* windows);

}  // namespace timbrel
