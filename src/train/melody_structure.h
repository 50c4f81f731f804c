#pragma once
// Structure measures of melodies (no torch): do bars repeat earlier bars, as real tunes' do, and
// do pitch classes, intervals and note density look like the data's? For comparing sampled songs
// (a 2-bar chain, a hierarchical model) with a corpus.
#include <array>
#include <string>
#include <vector>

#include "timbrel/note_sequence.h"

#include "timbrel/evaluate.h"

namespace timbrel::train {

}  // namespace timbrel::train
