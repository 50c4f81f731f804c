// timbrel dataset notes: render an NSynth-like note set from SoundFonts (or recordings) for
// `timbrel train timbre`.
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>
#include <unistd.h>

#include "command.h"
#include "paths.h"
#include "timbrel/error.h"
#include "timbrel/dataset.h"
#include "timbrel/shard.h"

namespace timbrel::cli {
namespace {

// A finished shard (its index.json is written last) is skipped, so a rerun job array resumes.
bool shard_done(const std::string& dir, const Shard& shard) {
  std::ifstream in(dir + "/index.json");
  if (!in) return false;
  const auto doc = nlohmann::json::parse(in, nullptr, false);
  return !doc.is_discarded() && doc.contains("shard") && doc["shard"].value("index", -1) == shard.index &&
         doc["shard"].value("count", -1) == shard.count;
}

void add_dataset_merge(CLI::App* dataset) {
  auto shards = std::make_shared<std::vector<std::string>>();
  auto out = std::make_shared<std::string>();
  auto* cmd = dataset->add_subcommand("merge", "Join the shards of `dataset notes --shard i/n` into one note set");
  cmd->add_option("shards", *shards, "The shards' folders (all n of them)")->required()->check(CLI::ExistingDirectory);
  cmd->add_option("--out,-o", *out, "Output folder")->required();
  cmd->footer("The result is byte for byte the note set one `dataset notes` run without --shard writes.");
  cmd->callback([shards, out] {
    refuse_existing_output(*out, "index.json");
    const auto s = merge_note_sets(*shards, *out);
    std::cout << "note set " << *out << ": " << s.notes << " notes of " << s.presets << " presets (" << s.train << " train, "
              << s.validation << " validation, " << s.test << " test) from " << shards->size() << " shards" << std::endl;
  });
}

}  // namespace

void add_dataset(CLI::App& app, Status&) {
  auto* dataset = app.add_subcommand("dataset", "Build training sets");
  dataset->require_subcommand(1);
  auto o = std::make_shared<NoteSetOptions>();
  auto pitches = std::make_shared<std::string>();
  auto shard = std::make_shared<std::string>("0/1");
  auto shard_count = std::make_shared<int>(0);
  auto* cmd = dataset->add_subcommand("notes", "Render single notes of SoundFont presets (or recordings) into a note set");
  cmd->add_option("--soundfont", o->soundfonts, "SoundFont(s) (.sf2, .sf3); every melodic preset is rendered")->check(CLI::ExistingFile);
  cmd->add_option("--from-wavs", o->from_wavs, "Folder of note recordings (pitch from the file name, else detected)");
  cmd->add_option("--out,-o", o->out_dir, "Output folder (index.json, spectrograms.npy, audio.npy)")->required();
  cmd->add_flag("--drums", o->drums, "Render the drum kits (bank 128) at GM drum notes (default pitches 35..81)");
  cmd->add_option("--pitches", *pitches, "MIDI range LOW..HIGH (default 24..84)");
  cmd->add_option("--velocities", o->velocities, "Velocities (default 100)")->delimiter(',');
  cmd->add_option("--sample-rate", o->sample_rate,
                  "Hz of the stored notes; GANSynth trains on 16000 only, DDSP on any multiple of 250 (48000: "
                  "harmonics and noise up to 20-24 kHz; no spectrograms are stored)")
      ->default_val(16000);
  cmd->add_option("--programs", o->programs, "Only these GM programs (0-based), e.g. 0,40,73")->delimiter(',');
  cmd->add_option("--max-presets", o->max_presets, "At most this many presets (first in bank:program order)");
  cmd->add_option("--test-fraction", o->test_fraction, "Fraction of presets held out entirely")->default_val(0.1);
  cmd->add_option("--validation-every", o->validation_every, "Hold out ~1 in N (preset, pitch) pairs of the other presets for validation")->default_val(8);
  cmd->add_option("--train-whole", o->train_whole,
                  "Presets never held out, not even single notes (default with --drums: Standard, the kit songs play)")
      ->delimiter(',');
  cmd->add_option("--seed", o->seed, "Seed of the preset split")->default_val(0);
  cmd->add_option("--threads", o->threads, "Worker threads (default: all cores)");
  cmd->add_option("--shard", *shard, "i/n: render only shard i (0-based) of n of the presets, by a stable hash of their names "
                                     "(join the shards with `dataset merge`); \"auto\": from Slurm's or Kubernetes' job index");
  cmd->add_option("--shard-count", *shard_count, "--shard auto with JOB_COMPLETION_INDEX: the Job's completions (else TIMBREL_SHARD_COUNT)");
  cmd->footer("Examples:\n  timbrel dataset notes --soundfont /usr/share/sounds/sf2/FluidR3_GM.sf2 -o notes/fluidr3\n"
              "  timbrel dataset notes --soundfont /usr/share/sounds/sf2/FluidR3_GM.sf2 --drums -o notes/fluidr3-drums\n"
              "  timbrel dataset notes --from-wavs my_notes/ -o notes/mine\n"
              "  timbrel dataset notes --soundfont FluidR3_GM.sf2 --shard 2/8 -o parts/2   # job 2 of 8, then:\n"
              "  timbrel dataset merge parts/* -o notes/fluidr3\n"
              "Notes are 16 kHz mono, 3 s held + 1 s release, each scaled to peak 0.9; silent ones (no sample\n"
              "for that key) are dropped. Reverb and chorus are off; CC 11 is 127.");
  cmd->callback([o, pitches, shard, shard_count] {
    o->shard = parse_shard(*shard, *shard_count, "--shard");
    if (o->shard.count > 1 && shard_done(o->out_dir, o->shard)) {
      std::cout << "note set shard " << o->shard.text() << " in " << o->out_dir << " is already complete" << std::endl;
      return;
    }
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
    auto s = build_note_set(*o);
    std::cout << "note set " << o->out_dir << ": " << s.notes << " notes of " << s.presets << " presets (" << s.train << " train, "
              << s.validation << " validation, " << s.test << " test), " << s.silent << " silent notes dropped; rendering "
              << s.render_seconds << " s, spectrograms " << s.analyse_seconds << " s" << std::endl;
  });
  add_dataset_merge(dataset);
}

}  // namespace timbrel::cli
