#pragma once
// What the file renderer and the live synth share about a note: the mix gain, and how a note is
// held beyond what the generator made (the training notes are held for 3 s, so beyond ~2.5 s a
// generated note starts to release): its [1.0 s, 2.5 s) stretch repeats, each seam an
// equal-power cross-fade of 0.1 s.
#include <cmath>
#include <cstddef>

namespace timbrel {

// Mix headroom: a note at velocity 127 peaks at -6 dBFS; overlaps beyond that meet the limiter.
constexpr float kMasterGain = 0.5f;

// A note played whole (a drum hit: FluidR3's kits ring on past a short note, as GM drums do; a
// struck DDSP note) fades out over its last 0.1 s.
constexpr double kWholeNoteFadeSeconds = 0.1;

struct SustainLoop {
  size_t start, end, fade;  // samples
  // Equal-power fades suit a seam between unrelated phases; a seam whose two sides are in phase
  // (a loop of whole periods) needs equal gain, or it swells by up to 3 dB.
  bool in_phase = false;
  explicit SustainLoop(int rate) : start(size_t(1.0 * rate)), end(size_t(2.5 * rate)), fade(size_t(0.1 * rate)) {}
  // Sample i (< fade) of a seam: the loop's last `fade` samples fading into its first ones.
  float seam(const float* note, size_t i) const {
    const float t = float(i) / float(fade);
    if (in_phase) return note[end - fade + i] * (1.0f - t) + note[start + i] * t;
    return note[end - fade + i] * std::cos(t * float(M_PI) / 2) + note[start + i] * std::sin(t * float(M_PI) / 2);
  }
};

}  // namespace timbrel
