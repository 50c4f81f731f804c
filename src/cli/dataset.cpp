// timbrel dataset notes: render an NSynth-like note set from SoundFonts (or recordings) for
// `timbrel train timbre`.
#include <iostream>
#include <unistd.h>

#include "cli/command.h"
#include "cli/paths.h"
#include "timbrel/error.h"
#include "train/note_dataset.h"

namespace timbrel::cli {

void add_dataset(CLI::App& app, Status&) {
  auto* dataset = app.add_subcommand("dataset", "Build training sets");
  dataset->require_subcommand(1);
  auto o = std::make_shared<train::NoteSetOptions>();
  auto pitches = std::make_shared<std::string>();
  auto* cmd = dataset->add_subcommand("notes", "Render single notes of SoundFont presets (or recordings) into a note set");
  cmd->add_option("--soundfont", o->soundfonts, "SoundFont(s) (.sf2, .sf3); every melodic preset is rendered")->check(CLI::ExistingFile);
  cmd->add_option("--from-wavs", o->from_wavs, "Folder of note recordings (pitch from the file name, else detected)");
  cmd->add_option("--out,-o", o->out_dir, "Output folder (index.json, spectrograms.npy, audio.npy)")->required();
  cmd->add_flag("--drums", o->drums, "Render the drum kits (bank 128) at GM drum notes (default pitches 35..81)");
  cmd->add_option("--pitches", *pitches, "MIDI range LOW..HIGH (default 24..84)");
  cmd->add_option("--velocities", o->velocities, "Velocities (default 100)")->delimiter(',');
  cmd->add_option("--programs", o->programs, "Only these GM programs (0-based), e.g. 0,40,73")->delimiter(',');
  cmd->add_option("--max-presets", o->max_presets, "At most this many presets (first in bank:program order)");
  cmd->add_option("--test-fraction", o->test_fraction, "Fraction of presets held out entirely")->default_val(0.1);
  cmd->add_option("--validation-every", o->validation_every, "Hold out ~1 in N (preset, pitch) pairs of the other presets for validation")->default_val(8);
  cmd->add_option("--train-whole", o->train_whole,
                  "Presets never held out, not even single notes (default with --drums: Standard, the kit songs play)")
      ->delimiter(',');
  cmd->add_option("--seed", o->seed, "Seed of the preset split")->default_val(0);
  cmd->add_option("--threads", o->threads, "Worker threads (default: all cores)");
  cmd->footer("Examples:\n  timbrel dataset notes --soundfont /usr/share/sounds/sf2/FluidR3_GM.sf2 -o notes/fluidr3\n"
              "  timbrel dataset notes --soundfont /usr/share/sounds/sf2/FluidR3_GM.sf2 --drums -o notes/fluidr3-drums\n"
              "  timbrel dataset notes --from-wavs my_notes/ -o notes/mine\n"
              "Notes are 16 kHz mono, 3 s held + 1 s release, each scaled to peak 0.9; silent ones (no sample\n"
              "for that key) are dropped. Reverb and chorus are off; CC 11 is 127.");
  cmd->callback([o, pitches] {
    refuse_existing_output(o->out_dir, "index.json");
    if (o->drums) o->min_pitch = 35, o->max_pitch = 81;
    if (!pitches->empty()) {
      const size_t dots = pitches->find("..");
      try {
        if (dots == std::string::npos) throw std::invalid_argument("");
        o->min_pitch = std::stoi(pitches->substr(0, dots));
        o->max_pitch = std::stoi(pitches->substr(dots + 2));
      } catch (const std::exception&) {
        throw Error("--pitches " + *pitches, "expected LOW..HIGH, e.g. 24..84");
      }
    }
    o->log = [](const std::string& m) { print_error(m); };
    o->progress = stderr_progress("dataset: ");
    auto s = train::build_note_set(*o);
    std::cout << "note set " << o->out_dir << ": " << s.notes << " notes of " << s.presets << " presets (" << s.train << " train, "
              << s.validation << " validation, " << s.test << " test), " << s.silent << " silent notes dropped; rendering "
              << s.render_seconds << " s, spectrograms " << s.analyse_seconds << " s" << std::endl;
  });
}

}  // namespace timbrel::cli
