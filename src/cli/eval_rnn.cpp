// timbrel eval melody-rnn|drums-rnn: next-event accuracy of an event RNN on a MIDI folder, and its
// continuations of each file's bars from its first note beside what the files really play next.
#include <iostream>
#include <nlohmann/json.hpp>

#include "command.h"
#include "paths.h"
#include "song_options.h"
#include "timbrel/engine.h"
#include "timbrel/error.h"
#include "timbrel/evaluate.h"

namespace timbrel::cli {
namespace {

struct EvalRnnFlags {
  EventRnnEvalOptions eval;
  bool json = false;
};

void run(const EvalRnnFlags& o) {
  const EventRnnEvalOptions& e = o.eval;
  const EventRnnEvalReport r = evaluate_event_rnn(e);
  const CorpusScore& next = r.next;
  const ContinuationScore& cont = r.continuation;
  if (o.json) {
    std::cout << nlohmann::json{{"model", r.model},           {"data", e.data},
                                {"files", next.files},        {"windows", next.windows},
                                {"accuracy", next.accuracy},  {"log_perplexity", next.log_perplexity},
                                {"continuation", nlohmann::json::parse(to_json(cont, r.continuation_about))}}
                     .dump()
              << std::endl;
    return;
  }
  std::cout << r.model << " on " << e.data << ": next-event accuracy " << next.accuracy << ", log-perplexity " << next.log_perplexity
            << " nats over " << next.windows << " windows of " << next.files << " files\n";
  std::cout << "continuations (" << e.primer_bars << " bars -> " << e.bars << " more, " << cont.files << " files): ";
  if (cont.files == 0) {
    std::cout << "none: no file qualifies (4/4, one tempo, notes in the primer bars and after them, chords for a chord model)";
  } else if (e.kind == ModelKind::Melody) {
    std::cout << "in key " << cont.in_key << " (the files' real next bars: " << cont.real_in_key << "), notes per bar "
              << cont.notes_per_bar << " (real: " << cont.real_notes_per_bar << ", primer: " << cont.primer_notes_per_bar << ")";
    if (cont.chord_tones >= 0)
      std::cout << "; strong-beat notes on chord tones " << cont.chord_tones << " (real: " << cont.real_chord_tones << ")";
  } else {
    std::cout << cont.hits_per_bar << " hits/bar (real: " << cont.real_hits_per_bar << "), on the sixteenth grid " << cont.on_grid;
  }
  std::cout << std::endl;
}

}  // namespace

void add_eval_rnn(CLI::App& eval, const std::string& kind) {
  auto o = std::make_shared<EvalRnnFlags>();
  o->eval.kind = parse_model_kind(kind);
  auto* cmd = eval.add_subcommand(kind + "-rnn", std::string("Next-event accuracy and continuations of a ") +
                                                     (kind == "melody" ? "Melody RNN" : "Drums RNN") + " on a MIDI folder");
  cmd->add_option("--model,-m", o->eval.model, "Model folder (default: the bundled models/" + kind + "-rnn)");
  cmd->add_option("--data", o->eval.data, "Folder of MIDI files (searched recursively); use files the model did not train on")->required();
  cmd->add_option("--primer-bars", o->eval.primer_bars, "Bars of each file given as the primer")->default_val(4)->check(CLI::Range(1, 64));
  cmd->add_option("--bars", o->eval.bars, "Bars continued (and compared with the file's next bars)")->default_val(4)->check(CLI::Range(1, 64));
  cmd->add_option("--temperature,-t", o->eval.temperature, "Sampling temperature")->default_val(1.0)->check(CLI::Range(0.0, 10.0));
  if (kind == "melody") add_chord_guidance_option(cmd, o->eval.chord_guidance);
  cmd->add_option("--seed", o->eval.seed, "Random seed")->default_val(0);
  auto* held_out = cmd->add_flag("--held-out", o->eval.held_out, "Only the files `train " + kind + "-rnn --data` holds out of this folder");
  cmd->add_flag("--training-files", o->eval.training_files, "Only the files it trains on (to choose a setting, keeping the held-out files unseen)")
      ->excludes(held_out);
  cmd->add_option("--validation", o->eval.validation_fraction, "With --held-out or --training-files and no info.csv: the fraction `train --validation` held out")
      ->default_val(0.1);
  cmd->add_flag("--json", o->json, "Print one JSON object");
  cmd->footer("Example:\n  timbrel eval " + kind + "-rnn --model models/" + kind + "-rnn --data held_out/ --json\n"
              "Accuracy: teacher-forced argmax of the next event's class (Magenta's lookback labels) on 8-bar windows.\n"
              "Each primer starts at the bar of the file's first note. Melody continuations are scored by notes per bar\n"
              "(beside the primer's and the real next bars'), the share of notes in the primer's key (the major scale holding most\n"
              "of its notes), beside the same share for the file's real next bars, and (files with chords) by the share\n"
              "of notes on beats 1 and 3 that are tones of the chord there; a chord-conditioned model plays the file's chords.\n"
              "Drums: hits per bar.");
  cmd->callback([o] { run(*o); });
}

}  // namespace timbrel::cli
