// Magenta's drum classes: which of the 9 a General MIDI drum pitch belongs to, and the pitch
// written for each (shared by the drum MusicVAE, the Drums RNN and GrooVAE).
#include <algorithm>
#include <vector>

#include "timbrel/error.h"
#include "timbrel/musicvae.h"

namespace timbrel {
namespace {

// Magenta's drums_encoder_decoder.DEFAULT_DRUM_TYPE_PITCHES; the first pitch of each class is
// the one written when decoding. Extension: 22 and 26, the hi-hat edge notes of Roland kits
// (the Groove dataset's closed/open hi-hat; Magenta's ROLAND_DRUM_PITCH_CLASSES), are outside
// the General MIDI drum range (35..81) and would otherwise be dropped.
const std::vector<std::vector<int>> kDrumPitches = {
    {36, 35},                                                  // kick
    {38, 27, 28, 31, 32, 33, 34, 37, 39, 40, 56, 65, 66, 75, 85},  // snare
    {42, 44, 54, 68, 69, 70, 71, 73, 78, 80, 22},              // closed hi-hat
    {46, 67, 72, 74, 79, 81, 26},                              // open hi-hat
    {45, 29, 41, 61, 64, 84},                                  // low tom
    {48, 47, 60, 63, 77, 86, 87},                              // mid tom
    {50, 30, 43, 62, 76, 83},                                  // high tom
    {49, 55, 57, 58},                                          // crash
    {51, 52, 53, 59, 82},                                      // ride
};

}  // namespace

int drum_class_of_pitch(int pitch) {
  for (size_t c = 0; c < kDrumPitches.size(); ++c)
    if (std::find(kDrumPitches[c].begin(), kDrumPitches[c].end(), pitch) != kDrumPitches[c].end()) return int(c);
  return -1;
}

int drum_pitch_of_class(int drum_class) {
  if (drum_class < 0 || drum_class >= int(kDrumPitches.size())) throw Error("", "drum class out of range");
  return kDrumPitches[size_t(drum_class)][0];
}

}  // namespace timbrel
