#pragma once
// split_melody (timbrel/music.h) that also says where each window starts: the chord-conditioned
// MusicVAE pairs every window with the chords of the same steps.
#include <cstddef>
#include <vector>

namespace timbrel {

std::vector<std::vector<int>> split_melody_at(const std::vector<int>& melody, int window_steps, int hop_steps, bool whole_only,
                                              std::vector<size_t>* starts);

}  // namespace timbrel
