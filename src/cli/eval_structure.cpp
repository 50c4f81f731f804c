// timbrel eval structure: do a melody model's songs repeat bars, stay in key and move like the
// data's tunes? Sampled songs (generate's, without drums) beside the first bars of a MIDI folder.
#include <iostream>
#include <nlohmann/json.hpp>

#include "command.h"
#include "paths.h"
#include "timbrel/engine.h"
#include "timbrel/error.h"
#include "timbrel/music.h"
#include "timbrel/evaluate.h"

namespace timbrel::cli {
namespace {

struct StructureFlags {
  std::string model, data;
  int bars = 8, samples = 20;
  uint64_t seed = 0;
  double temperature = -1;
  std::string draw;
  bool json = false;
};

nlohmann::json stats_json(const StructureStats& s) {
  return {{"pieces", s.pieces},
          {"bars", s.bars},
          {"melody_repeat", s.melody_repeat},
          {"rhythm_repeat", s.rhythm_repeat},
          {"notes_per_bar", s.notes_per_bar},
          {"bars_without_onset", s.bars_without_onset},
          {"in_key", s.in_key},
          {"pitch_range", s.pitch_range}};
}

void run(const StructureFlags& o) {
  name_flag("melody_model", "--model");
  name_flag("bars", "--bars");
  EngineOptions p;
  p.melody_model = o.model;
  Engine engine(p);
  std::optional<StepDraw> draw;
  if (!o.draw.empty()) draw = parse_step_draw(o.draw, "--draw");
  std::vector<NoteSequence> songs;
  for (int i = 0; i < o.samples; ++i) {
    SongOptions r;
    r.bars = o.bars;
    r.seed = o.seed + uint64_t(i);
    r.temperature = o.temperature;
    r.draw = draw;
    songs.push_back(engine.compose(r));
  }
  const StructureComparison c = compare_structure(songs, o.data, o.bars);
  const StructureStats &data = c.data, &gen = c.samples;
  const double pc = c.pitch_class_distance, iv = c.interval_distance;
  if (o.json) {
    std::cout << nlohmann::json{{"bars", o.bars}, {"samples", stats_json(gen)}, {"data", stats_json(data)},
                                {"pitch_class_distance", pc}, {"interval_distance", iv}}
                     .dump()
              << std::endl;
    return;
  }
  auto line = [](const char* what, const StructureStats& s) {
    std::printf("%-8s %4zu pieces, %5zu bars with notes (%.3f of bars start none): melody repeats %.3f, rhythm repeats %.3f, %.2f notes/bar, "
                "in key %.3f, range %.1f semitones\n",
                what, s.pieces, s.bars, s.bars_without_onset, s.melody_repeat, s.rhythm_repeat, s.notes_per_bar, s.in_key, s.pitch_range);
  };
  line("samples", gen);
  line("data", data);
  std::printf("distances samples-data (0 = same, 1 = disjoint): pitch classes %.3f, intervals %.3f\n", pc, iv);
}

}  // namespace

void add_eval_structure(CLI::App& eval) {
  auto o = std::make_shared<StructureFlags>();
  auto* cmd = eval.add_subcommand("structure", "Bar repetition, key and intervals of a melody model's songs beside a MIDI folder's");
  cmd->add_option("--model,-m", o->model, "Melody model (default: the bundled models/melody-2bar)");
  cmd->add_option("--data", o->data, "Folder of MIDI files: their first --bars bars (4/4 pieces) are the reference")->required();
  cmd->add_option("--bars", o->bars, "Bars per song and per piece")->default_val(8)->check(CLI::Range(2, 256));
  cmd->add_option("--samples", o->samples, "Songs to sample (seeds seed, seed + 1, ...)")->default_val(20)->check(CLI::Range(1, 10000));
  cmd->add_option("--seed", o->seed, "First seed")->default_val(0);
  cmd->add_option("--temperature", o->temperature, "Sampling temperature (as generate; default: the model card's)")
      ->check(CLI::Range(0.0, 10.0));
  cmd->add_option("--draw", o->draw, "per_decision, keep_density or flat (as generate; default: the model card's)");
  cmd->add_flag("--json", o->json, "Print one JSON object");
  cmd->footer("Example:\n  timbrel eval structure --data ../shared/data/melodies/nottingham --bars 8 --samples 20\n"
              "A bar repeats an earlier one when its onsets and intervals match (any transposition); its rhythm when its\n"
              "onsets match. Keys: the major scale holding most of each piece's notes (a minor key counts as its relative major).");
  cmd->callback([o] { run(*o); });
}

}  // namespace timbrel::cli
