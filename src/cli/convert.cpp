// timbrel convert: a TF.js or deeplearn.js MusicVAE checkpoint, or a TF.js GANSynth checkpoint,
// -> our model folder.
#include <filesystem>
#include <fstream>
#include <iostream>
#include <iterator>

#include "command.h"
#include "paths.h"
#include "timbrel/error.h"
#include "timbrel/gansynth.h"
#include "timbrel/musicvae.h"

namespace timbrel::cli {
namespace {

// GANSynth checkpoints name their variables Generator/progressive_gan_generator/...; model
// folders say "architecture": "gansynth".
std::string detect_kind(const std::string& dir) {
  for (const char* name : {"/weights_manifest.json", "/model.json"}) {
    std::ifstream in(dir + name);
    if (!in) continue;
    std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    if (text.find("Generator/progressive_gan_generator") != std::string::npos ||
        text.find("\"gansynth\"") != std::string::npos)
      return "gansynth";
  }
  return "musicvae";
}

}  // namespace

void add_convert(CLI::App& app, Status&) {
  auto in = std::make_shared<std::string>();
  auto out = std::make_shared<std::string>();
  auto kind = std::make_shared<std::string>("auto");
  auto f16 = std::make_shared<bool>(false);
  auto* cmd = app.add_subcommand("convert", "Convert a MusicVAE (TF.js, deeplearn.js) or GANSynth (TF.js) checkpoint to a model folder");
  cmd->add_option("input", *in, "Checkpoint folder (weights_manifest.json or manifest.json) or model folder")->required();
  cmd->add_option("-o,--output", *out, "Model folder to write (model.json + weights.safetensors)")->required();
  cmd->add_option("--kind", *kind, "auto (from the variable names), musicvae or gansynth")
      ->check(CLI::IsMember({"auto", "musicvae", "gansynth"}))->capture_default_str();
  cmd->add_flag("--float16", *f16, "Store the weights as float16 (MusicVAE only)");
  cmd->footer("Examples:\n  timbrel convert ../shared/models-ext/musicvae_mel_2bar_small/dljs -o mel_2bar_small\n"
              "  timbrel convert gansynth_acoustic_only -o gansynth-acoustic   # a downloaded TF.js checkpoint\n"
              "Missing MusicVAE encoder tensors stay missing (listed in model.json); such a model decodes but cannot encode.");
  cmd->callback([in, out, kind, f16] {
    refuse_existing_output(*out, "model.json");
    const std::string k = *kind == "auto" ? detect_kind(*in) : *kind;
    if (k == "gansynth") {
      if (*f16) throw Error("--float16", "GANSynth model folders are float32");
      Gansynth g = Gansynth::load(*in);
      g.save(*out);
      std::cout << "wrote " << *out << " (gansynth, " << g.info().parameters << " parameters, from " << g.info().format << ")" << std::endl;
      return;
    }
    MusicVae m = MusicVae::load(*in);
    m.save(*out, *f16);
    std::cout << "wrote " << *out << " (" << to_string(m.info().kind) << ", from " << m.info().format << ")" << std::endl;
  });
}

}  // namespace timbrel::cli
