// timbrel train drum-highs: fit a drum model's band above 8 kHz from a SoundFont's 48 kHz hits.
#include <iostream>

#include "command.h"
#include "paths.h"
#include "timbrel/drum_highs_fit.h"

namespace timbrel::cli {

void add_train_drum_highs(CLI::App& train) {
  auto o = std::make_shared<DrumHighsFitOptions>();
  auto* cmd = train.add_subcommand("drum-highs",
                                   "Fit the high band (8-24 kHz) a 16 kHz drum model's hits lack, from a SoundFont's 48 kHz kits");
  cmd->add_option("--soundfont", o->soundfont, "The kits' SoundFont (.sf2/.sf3)")->required();
  cmd->add_option("--model", o->model_dir, "The drum model folder (its kits and their GM bank/program)")->required();
  cmd->add_option("--out,-o", o->out, "File to write; the renderer reads MODEL/highs.safetensors")->required();
  cmd->add_option("--kit", o->kits, "Fit only this kit (repeatable; default: every kit of the model)");
  cmd->footer("Example:\n  timbrel train drum-highs --soundfont /usr/share/sounds/sf2/FluidR3_GM.sf2 --model models/gm-drums \\\n"
              "      --out models/gm-drums/highs.safetensors");
  cmd->callback([o] {
    refuse_existing_output(o->out);
    o->log = stderr_log();
    const auto r = fit_drum_highs(*o);
    std::cout << "fitted " << r.kits << " kits, " << r.notes - r.silent_notes << " sounding notes (" << r.silent_notes
              << " without a sample) in " << int(r.seconds + 0.5) << " s; " << r.bytes << " bytes in " << o->out << std::endl;
  });
}

}  // namespace timbrel::cli
