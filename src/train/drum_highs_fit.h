#pragma once
// The fitter behind `timbrel train drum-highs` (timbrel/drum_highs_fit.h): FluidSynth's 48 kHz
// drum hits measured into render/drum_highs.h's envelopes.
#include <string>
#include <vector>

#include "timbrel/drum_highs_fit.h"

namespace timbrel::train {

constexpr int kDrumHighsRate = 48000;
constexpr double kDrumHitSeconds = 4.0;   // the generated hit's length
constexpr double kDrumNoteSeconds = 0.1;  // key down, then the hit rings out

// FluidSynth's hits of `notes` in kit (bank, program) at `rate` (mono, reverb and chorus off,
// velocity 100): each kDrumHitSeconds long, note-on at sample 0. Error naming the SoundFont when
// it cannot be loaded or lacks the kit.
std::vector<std::vector<float>> render_drum_hits(const std::string& soundfont, int bank, int program, const std::vector<int>& notes,
                                                 int rate = kDrumHighsRate);

// One hit's high band: envelope_db (bands x knots) and band_ratio_db (bands), as the file stores
// them; false (values at -300 dB) when the hit is silent.
bool fit_hit_highs(const std::vector<float>& hit, int rate, float* envelope_db, float* band_ratio_db);

DrumHighsFitReport fit_drum_highs(const DrumHighsFitOptions& options);

}  // namespace timbrel::train
