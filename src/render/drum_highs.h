#pragma once
// A drum hit's band above 8 kHz, which the 16 kHz drum model cannot make: filtered noise shaped by
// a time-frequency envelope fitted per (kit, drum note) from the SoundFont's 48 kHz hit
// (`timbrel train drum-highs`, train/drum_highs_fit.h), scaled to the generated hit's own 0-8 kHz
// energy as the truth's band is to the truth's. The file is safetensors: "envelope_db" float16
// [kits, notes, bands, knots] (each band's energy per second at each knot time after the onset,
// in dB of the hit's 0-8 kHz energy) and "band_ratio_db" float32 [kits, notes, bands] (each band's
// whole energy in dB of the 0-8 kHz energy) and "low_gain_db" float32 [kits, notes] (the 48 kHz
// truth's 0-8 kHz energy over the 16 kHz truth's, which the drum model learned: FluidSynth at
// 16 kHz folds a triangle's or a hi-hat's highs into 0-8 kHz, up to 14 dB more energy there); the
// kit names and grids are in its metadata. Format 1 files (no low gain) read as 0 dB.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace timbrel {

namespace drum_highs {

constexpr double kSplitHz = 8000;   // the drum model's Nyquist frequency
constexpr double kTopHz = 24000;    // the truth's Nyquist frequency (48 kHz)
constexpr int kBands = 12;          // log-spaced from kSplitHz to kTopHz
constexpr int kFirstNote = 35, kLastNote = 81;  // General MIDI's kit
constexpr int kNotes = kLastNote - kFirstNote + 1;
constexpr size_t kKnots = 28;  // knot_seconds().size()
constexpr double kFrameSeconds = 0.0025;  // analysis hop; the window is 4 hops (periodic Hann)
constexpr const char* kFileName = "highs.safetensors";
constexpr const char* kFormat = "timbrel-drum-highs-2";
constexpr const char* kFormatWithoutLowGain = "timbrel-drum-highs-1";

// kBands + 1 edges (Hz).
std::vector<double> band_edges_hz();
// Where the envelope is sampled (seconds after the onset); linear in dB between knots.
const std::vector<double>& knot_seconds();
// The first sample at least 20 dB below the hit's peak no more (0 for silence).
size_t onset_sample(const float* x, size_t n);

// Short-time band energies of x (mono, `rate` Hz): frame t is centred on sample onset + t * hop
// (zeros outside x); row t holds band 0 = 0..kSplitHz then the kBands high bands (those above
// rate / 2 are 0), each in units of sum(x^2), so that a column sums to that band's energy.
struct BandFrames {
  int hop = 0, frames = 0;
  int lead = 0;  // frames centred before the onset (frame lead is centred on it)
  std::vector<double> energy;  // frames x (kBands + 1)
  double at(int frame, int band) const { return energy[size_t(frame) * (kBands + 1) + size_t(band)]; }
  double band_total(int band) const;
};
BandFrames band_frames(const float* x, size_t n, int rate, size_t onset);

}  // namespace drum_highs

class DrumHighs {
 public:
  static DrumHighs load(const std::string& path);  // Error naming the file and the problem
  // drum_model_dir/highs.safetensors, if present (Error when present but unreadable).
  static std::optional<DrumHighs> load_beside(const std::string& drum_model_dir);
  bool has_kit(const std::string& kit) const;  // kit = the drum model's preset name, e.g. "Standard"
  const std::vector<std::string>& kits() const { return kits_; }
  // Adds the band from 8 kHz up to min(24 kHz, rate/2) to `hit` (mono audio at `rate` Hz, onset
  // at sample 0: the 16 kHz generated hit after resampling to `rate`): the hit is first scaled by
  // its note's low gain (its 0-8 kHz energy then the 48 kHz truth's, not the folded 16 kHz one's),
  // then the band added, scaled to that energy as the truth's band is to its. What the hit had above 8 kHz (the resampler's
  // images, about -45 dB) is replaced. No-op when rate <= 16000, for a kit the file lacks, or a
  // note outside 35..81 or silent in the truth. Deterministic for (kit, note, seed).
  void add_high_band(std::vector<float>& hit, int rate, const std::string& kit, int note, uint64_t seed) const;
  // The truth's 8-24 kHz energy over its 0-8 kHz energy (0 when unknown).
  double high_ratio(const std::string& kit, int note) const;
  // The hit's scale at 48 kHz before its band is added, in dB (0 when unknown).
  double low_gain_db(const std::string& kit, int note) const;

  // Built by the fitter: envelope_db kits x notes x bands x knots, band_ratio_db kits x notes x bands,
  // low_gain_db kits x notes (empty: 0 dB).
  DrumHighs(std::vector<std::string> kits, std::vector<float> envelope_db, std::vector<float> band_ratio_db,
            std::vector<float> low_gain_db = {});
  void save(const std::string& path, const std::string& provenance_json) const;

 private:
  DrumHighs() = default;
  int kit_index(const std::string& kit) const;
  std::vector<float> noise(const std::vector<double>& band_energy, int kit, int note, size_t length, int rate, size_t onset,
                           uint64_t seed) const;

  std::vector<std::string> kits_;
  std::vector<float> envelope_db_, band_ratio_db_, low_gain_db_;
};

}  // namespace timbrel
