// timbrel continue: a primer's melody and drums continued by the Melody RNN and the Drums RNN.
#include <iostream>

#include "command.h"
#include "paths.h"
#include "song_options.h"
#include "timbrel/engine.h"
#include "timbrel/error.h"
#include "timbrel/music.h"

namespace timbrel::cli {
namespace {

struct ContinueFlags {
  std::string primer, model, drum_model, out, chords;
  ContinueOptions options;
  bool only_melody = false, only_drums = false;
};

void run(const ContinueFlags& c) {
  name_flag("melody_rnn_model", "--model");
  name_flag("drums_rnn_model", "--drum-model");
  name_flag("bars", "--bars");
  name_flag("temperature", "--temperature");
  name_flag("beam_size", "--beam-size");
  name_flag("chord_guidance", "--chord-guidance");
  refuse_existing_output(c.out);
  EngineOptions params;
  (c.chords.empty() ? params.melody_rnn_model : params.improv_rnn_model) = c.model;
  params.drums_rnn_model = c.drum_model;
  if (!c.chords.empty()) name_flag("improv_rnn_model", "--model");
  Engine engine(params);
  const NoteSequence primer = read_midi(c.primer);
  ContinueOptions options = c.options;
  options.chords = progression_flag(c.chords, beats_per_bar(primer));
  refuse_guidance_without_chords(options.chord_guidance, options.chords.empty());
  if (c.only_drums && !options.chords.empty()) throw Error("--chords", "continues a melody: not with --drums-only");
  NoteSequence out;
  try {
    if (c.only_melody || c.only_drums) {
      const EventRnn& rnn = c.only_drums ? engine.drums_rnn_model() : options.chords.empty() ? engine.melody_rnn_model() : engine.improv_rnn_model();
      out = rnn.continue_sequence(primer, options);
    } else {
      out = engine.continue_sequence(primer, options);
    }
  } catch (const Error& e) {
    if (e.subject() == "primer") throw Error(c.primer, e.problem());
    throw;
  }
  write_midi(out, c.out);
  std::cout << c.out << ": " << primer.notes.size() << " primer notes + " << out.notes.size() - primer.notes.size() << " continuing notes ("
            << c.options.bars << " bars)" << std::endl;
}

}  // namespace

void add_continue(CLI::App& app, Status&) {
  auto c = std::make_shared<ContinueFlags>();
  auto* cmd = app.add_subcommand("continue", "Continue a primer's melody and drums with the Melody RNN and the Drums RNN");
  cmd->add_option("primer", c->primer, "MIDI file: its melody (highest line) and drums are continued")->required()->check(CLI::ExistingFile);
  cmd->add_option("--model,-m", c->model, "Melody RNN model folder (default: the bundled models/melody-rnn; with --chords models/improv-rnn)");
  cmd->add_option("--chords", c->chords,
                  "Continue the melody over this progression, one chord per bar, commas sharing a bar (\"C G Am F\"), repeated; "
                  "a primer without chord symbols is read as playing it too");
  add_chord_guidance_option(cmd, c->options.chord_guidance);
  cmd->add_option("--drum-model", c->drum_model, "Drums RNN model folder (default: the bundled models/drums-rnn)");
  cmd->add_option("--bars", c->options.bars, "Bars to add (of the primer's last time signature)")->default_val(8)->check(CLI::Range(1, 1024));
  cmd->add_option("--temperature,-t", c->options.temperature, "Softmax temperature; 0 = the most likely event each step")
      ->default_val(1.0)
      ->check(CLI::Range(0.0, 10.0));
  cmd->add_option("--beam-size", c->options.beam_size, "Beam search: sequences kept (1 = plain sampling)")->default_val(1)->check(CLI::Range(1, 64));
  cmd->add_option("--branch-factor", c->options.branch_factor, "Beam search: continuations sampled from each kept sequence")
      ->default_val(1)
      ->check(CLI::Range(1, 64));
  cmd->add_option("--steps-per-iteration", c->options.steps_per_iteration, "Beam search: steps sampled between prunings")
      ->default_val(1)
      ->check(CLI::Range(1, 1024));
  cmd->add_option("--seed", c->options.seed, "Random seed")->default_val(0);
  auto* melody = cmd->add_flag("--melody-only", c->only_melody, "Continue only the melody (drums kept as they are)");
  cmd->add_flag("--drums-only", c->only_drums, "Continue only the drums (melody kept as it is)")->excludes(melody);
  cmd->add_option("-o,--output", c->out, "Output MIDI file: the primer, then the continuation")->required();
  cmd->footer("Examples:\n  timbrel continue primer.mid --bars 8 -o continued.mid\n"
              "  timbrel continue primer.mid --model models/melody-rnn --temperature 0.8 --beam-size 4 --branch-factor 2 -o out.mid\n"
              "  timbrel continue beat.mid --drums-only --bars 4 -o more_beat.mid\n"
              "  timbrel continue primer.mid --chords \"C G Am F\" --bars 8 -o over_chords.mid\n"
              "The continuation starts on the bar after the primer ends, at its last tempo; drums on channel 10.");
  cmd->callback([c] { run(*c); });
}

}  // namespace timbrel::cli
