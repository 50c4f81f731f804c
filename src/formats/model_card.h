#pragma once
// model.json, the card of a model folder (architecture, hyper-parameters, presets, training
// record), and Magenta's converter specs: parsed and validated without torch, so that libFuzzer
// can run every reader of these files. Errors name the file.
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "timbrel/gansynth.h"
#include "timbrel/step_draw.h"

namespace timbrel::formats {

// The card as JSON: an object with a string "architecture" (== `architecture` when given).
nlohmann::json parse_model_card(const std::string& text, const std::string& file, const std::string& architecture = "");

struct MusicVaeConfig {
  std::string kind = "melody";  // "melody" (90 classes) or "drums" (512 classes)
  int steps = 32;
  int classes = 90;
  int z_size = 256;
  std::vector<int> encoder{512};       // units per direction, per layer
  std::vector<int> decoder{256, 256};  // units per layer
  // Hierarchical decoder (Magenta's hierdec): a conductor LSTM (these units per layer; empty =
  // a flat decoder) emits one embedding per bar for `bars` bars of steps / bars steps each, and
  // the decoder plays each bar from its embedding.
  std::vector<int> conductor;
  int bars = 1;
  bool hierarchical() const { return !conductor.empty(); }
  // Hierarchical encoder (Magenta's HierarchicalLstmEncoder; hierarchical models only): the
  // `encoder` layers run bidirectionally over each bar (the bars as one batch), and their final
  // states feed a bidirectional LSTM over the bars (these units per layer). Empty: the encoder
  // runs over all steps at once. 16 + 16 steps instead of 256: what a CPU trains.
  std::vector<int> bar_encoder;
  // Chord conditioning (Magenta's mel_chords, flat melody models): "triad_chords" = every step's
  // chord as TriadChordOneHotEncoding (49 classes) beside the encoder's and decoder's inputs.
  std::string control;
  int control_depth() const { return control.empty() ? 0 : 49; }
  // Training hyper-parameters (Magenta's names).
  double free_bits = 0.0;
  double max_beta = 0.2;
  double beta_rate = 0.99999;

  nlohmann::json to_json() const;
  static MusicVaeConfig from_json(const nlohmann::json& hparams, const std::string& subject);
  static MusicVaeConfig melody_small();
  static MusicVaeConfig drums_small();
};

// A fitted prior over z from the card's "latent_prior": one diagonal Gaussian ({"mean", "std"})
// or a mixture of them ({"components": [{"weight", "mean", "std"}, ...]}, weights > 0, summing
// to 1 within 1e-3); none when absent; an error naming `file` when malformed (arrays of z_size
// finite numbers, std > 0).
struct LatentPrior {
  struct Component {
    double weight = 1.0;
    std::vector<float> mean, std;
  };
  std::vector<Component> components;
};
std::optional<LatentPrior> latent_prior_from_card(const nlohmann::json& card, int z_size, const std::string& file);

// The card's "sampling": how sample and generate draw from a MusicVAE unless asked otherwise.
struct SamplingAdvice {
  double temperature = 0.5;
  StepDraw draw = StepDraw::Flat;
};
// {"temperature": 0..10, "draw": a parse_step_draw name}; nullopt when absent, an error naming
// `file` when malformed.
std::optional<SamplingAdvice> sampling_from_card(const nlohmann::json& card, const std::string& file);
nlohmann::json sampling_json(const SamplingAdvice& advice);

// GANSynth "hparams" <-> config.
nlohmann::json gansynth_config_json(const GansynthConfig& config);
GansynthConfig gansynth_config_from_json(const nlohmann::json& hparams, const std::string& subject);
// The card's "timbres": name -> latent_size finite values (empty when absent).
std::map<std::string, std::vector<float>> timbre_presets_from_card(const nlohmann::json& card, int latent_size,
                                                                  const std::string& file);

// The card's "timbre_programs": preset -> General MIDI bank and program (empty when absent).
struct GmProgram {
  int bank = 0, program = 0;
};
std::map<std::string, GmProgram> timbre_programs_from_card(const nlohmann::json& card, const std::string& file);

// The card's "note_levels": the training data's peak level (dBFS) per preset and pitch, NaN where a
// preset has no note; `db` is empty when the card has none.
struct NoteLevels {
  int min_pitch = 0;
  std::map<std::string, std::vector<double>> db;
};
NoteLevels note_levels_from_card(const nlohmann::json& card, const std::string& file);

// A Magenta converter spec (config.json / converter.json of a JS checkpoint): "melody", "drums",
// or "" when it names no converter; an error for other converters.
std::string converter_kind(const std::string& text, const std::string& file);

}  // namespace timbrel::formats
