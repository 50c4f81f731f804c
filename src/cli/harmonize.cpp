// timbrel harmonize (chords for a melody), train harmony, eval harmony.
#include <cstdio>
#include <iostream>

#include "command.h"
#include "paths.h"
#include "timbrel/bundled_models.h"
#include "timbrel/error.h"
#include "timbrel/harmony.h"
#include "timbrel/music.h"

namespace timbrel::cli {
namespace {

std::string model_or_bundled(const std::string& given) { return given.empty() ? bundled_model_path("harmonizer") : given; }

void print_score(const std::string& what, const HarmonyScore& s) {
  std::printf("%s: %zu tunes, %zu beats with chords: model %.1f%%, rule baseline %.1f%% (root and triad right)\n", what.c_str(), s.files,
              s.beats, 100 * s.model, 100 * s.baseline);
}

}  // namespace

void add_harmonize(CLI::App& app, Status&) {
  auto in = std::make_shared<std::string>(), out = std::make_shared<std::string>(), model = std::make_shared<std::string>();
  auto csv = std::make_shared<std::string>();
  auto rule = std::make_shared<bool>(false);
  auto* cmd = app.add_subcommand("harmonize", "Give a melody chords: the MIDI file with chord symbols, one chord a beat at most");
  cmd->add_option("melody", *in, "MIDI file of the melody")->required()->check(CLI::ExistingFile);
  cmd->add_option("-o,--output", *out, "MIDI file to write: the melody with its chord symbols (text events)")->required();
  cmd->add_option("--model,-m", *model, "Harmoniser model folder (default: the bundled models/harmonizer)");
  cmd->add_option("--csv", *csv, "Also write the chords as a chords CSV");
  cmd->add_flag("--rule", *rule, "Use the rule baseline instead of the model (per bar, the diatonic triad with the most melody on its tones)");
  cmd->footer("Examples:\n  timbrel harmonize samples/twinkle.mid -o twinkle-chords.mid\n"
              "  timbrel harmonize melody.mid -o melody-chords.mid --csv melody-chords.csv\n"
              "Then hear it: timbrel chords shows the symbols; see docs/chords.md.");
  cmd->callback([in, out, model, csv, rule] {
    refuse_to_overwrite_input(*in, *out);
    refuse_existing_output(*out);
    if (!csv->empty()) refuse_existing_output(*csv);
    NoteSequence seq = read_midi(*in);
    const std::vector<ChordSpan> chords = *rule ? harmonize_by_rule(seq) : Harmonizer::load(model_or_bundled(*model)).harmonize(seq);
    set_chords(seq, chords);
    write_midi(seq, *out);
    if (!csv->empty()) write_chords_csv(chords, *csv);
    std::string progression;
    for (size_t i = 0; i < chords.size() && i < 16; ++i) progression += (i ? " " : "") + chords[i].symbol;
    std::cout << "wrote " << *out << ": " << key_name(estimate_key(seq)) << ", " << chords.size() << " chords: " << progression
              << (chords.size() > 16 ? " ..." : "") << std::endl;
  });
}

void add_train_harmony(CLI::App& train) {
  auto o = std::make_shared<HarmonyTraining>();
  auto out = std::make_shared<std::string>();
  auto* cmd = train.add_subcommand("harmony", "Train the harmoniser on melodies with chords (seconds on a CPU)");
  cmd->add_option("--data", o->data, "Folder of MIDI files with chords: text events, NAME.csv beside each, or ../chords/NAME.csv (repeatable)")
      ->required();
  cmd->add_option("--out,-o", *out, "Model folder to write (model.json)")->required();
  cmd->add_option("--validation-fraction", o->validation_fraction, "Files held out by the trainers' split rule")->capture_default_str();
  cmd->add_option("--from", o->from, "Start from this model folder (e.g. models/harmonizer): your songs adjust it")->check(CLI::ExistingDirectory);
  cmd->add_option("--ensemble", o->ensemble, "Melody networks trained from different seeds, their chord probabilities averaged")
      ->check(CLI::Range(1, 16))
      ->capture_default_str();
  cmd->footer("Examples:\n  timbrel train harmony --data ../shared/data/melodies/nottingham/midi --data ../shared/data/melodies/openewld/midi --out my-harmonizer\n"
              "  timbrel train harmony --data my_songs/ --from models/harmonizer --out my-harmonizer");
  cmd->callback([o, out] {
    refuse_existing_output(*out, "model.json");
    o->log = stderr_log();
    std::vector<std::pair<std::string, HarmonyScore>> held_out;
    const Harmonizer h = Harmonizer::train(*o, &held_out);
    h.save(*out);
    for (const auto& [dir, s] : held_out) print_score("held out of " + dir, s);
    std::cout << "wrote " << *out << std::endl;
  });
}

void add_eval_harmony(CLI::App& eval) {
  auto data = std::make_shared<std::string>(), model = std::make_shared<std::string>();
  auto all = std::make_shared<bool>(false);
  auto fraction = std::make_shared<double>(0.1);
  auto* cmd = eval.add_subcommand("harmony", "Chords of the harmoniser and of the rule baseline against a folder's chords, per beat");
  cmd->add_option("--validation-fraction", *fraction, "The fraction the model was trained with (its held-out files)")->capture_default_str();
  cmd->add_option("--data", *data, "Folder of MIDI files with chords")->required();
  cmd->add_option("--model,-m", *model, "Harmoniser model folder (default: the bundled models/harmonizer)");
  cmd->add_flag("--all", *all, "Every file, not only those the trainers hold out");
  cmd->footer("Example:\n  timbrel eval harmony --data ../shared/data/melodies/nottingham/midi");
  cmd->callback([data, model, all, fraction] {
    print_score(*data + (*all ? "" : " (held out)"), Harmonizer::load(model_or_bundled(*model)).evaluate(*data, !*all, *fraction));
  });
}

}  // namespace timbrel::cli
