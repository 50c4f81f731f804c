// timbrel roll: a MIDI file's piano roll as a PNG.
#include <iostream>

#include "command.h"
#include "paths.h"
#include "timbrel/music.h"

namespace timbrel::cli {

void add_roll(CLI::App& app, Status&) {
  auto in = std::make_shared<std::string>(), out = std::make_shared<std::string>();
  auto o = std::make_shared<PianoRollOptions>();
  auto* cmd = app.add_subcommand("roll", "Draw a MIDI file's piano roll as a PNG (each instrument its own colour, drums below)");
  cmd->add_option("midi", *in, "MIDI file")->required()->check(CLI::ExistingFile);
  cmd->add_option("-o,--output", *out, "PNG file to write")->required();
  cmd->add_option("--pixels-per-second", o->pixels_per_second, "Horizontal scale")->capture_default_str();
  cmd->add_option("--pixels-per-semitone", o->pixels_per_semitone, "Vertical scale")->capture_default_str();
  cmd->footer("Example:\n  timbrel roll song.mid -o song-roll.png");
  cmd->callback([in, out, o] {
    name_flag("pixels_per_second", "--pixels-per-second");
    name_flag("pixels_per_semitone", "--pixels-per-semitone");
    refuse_to_overwrite_input(*in, *out);
    refuse_existing_output(*out);
    write_piano_roll(read_midi(*in), *out, *o);
    std::cout << "wrote " << *out << std::endl;
  });
}

}  // namespace timbrel::cli
