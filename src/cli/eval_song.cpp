// timbrel eval song: a MIDI file rendered by the neural timbres beside FluidSynth's render of the
// same notes with the same General MIDI programs: what a listener would hear differ.
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <nlohmann/json.hpp>

#include "command.h"
#include "paths.h"
#include "song_options.h"
#include "timbrel/error.h"
#include "timbrel/evaluate.h"
#include "timbrel/music.h"
#include "timbrel/render.h"
#include "timbrel/spectral.h"

namespace timbrel::cli {
namespace {

constexpr const char* kDefaultSoundFont = "/usr/share/sounds/sf2/FluidR3_GM.sf2";

void run(const SongFlags& o, const std::string& soundfont, const std::string& png, bool json) {
  if (!png.empty()) refuse_existing_output(png);
  const NoteSequence seq = read_midi(o.input);
  if (seq.notes.empty()) throw Error(o.input, "has no notes to render");
  Engine engine(engine_params(o));
  NoteRenderOptions r = note_render_options(o);
  r.subject = o.input;
  r.sample_rate = kNoteSampleRate;  // compare_with_soundfont measures mono at the models' rate
  r.channels = 1;
  NoteRenderReport report;
  std::vector<float> ours = engine.render(seq, r, &report).samples;
  SongComparisonOptions c;
  c.soundfont = soundfont;
  c.png = png;
  c.notes = report.notes + report.drum_notes;
  c.subject = o.input;
  const nlohmann::json out = nlohmann::json::parse(compare_with_soundfont(std::move(ours), seq, c));
  const nlohmann::json &a = out["timbrel"], &b = out["fluidsynth"];
  if (json) {
    std::cout << out.dump() << std::endl;
    return;
  }
  std::printf("%s: %zu notes, %.1f s\n%-22s %12s %12s\n", o.input.c_str(), report.notes + report.drum_notes, out["seconds"].get<double>(),
              "", "timbrel", "fluidsynth");
  for (const char* k : {"subsonic_fraction", "centroid_hz", "loudness_range_db", "band_3_5k_fraction", "band_5_7k5_fraction",
                        "band_3_7k5_fraction", "peak_db"})
    std::printf("%-22s %12.4g %12.4g\n", k, a[k].get<double>(), b[k].get<double>());
  if (!png.empty()) std::printf("spectrograms (timbrel above, FluidSynth below) -> %s\n", png.c_str());
}

}  // namespace

void add_eval_song(CLI::App& eval) {
  auto o = std::make_shared<SongFlags>();
  auto soundfont = std::make_shared<std::string>(kDefaultSoundFont);
  auto png = std::make_shared<std::string>();
  auto json = std::make_shared<bool>(false);
  auto* cmd = eval.add_subcommand("song", "Render a MIDI file with neural timbres and with FluidSynth (the truth) and compare them");
  cmd->add_option("input", o->input, "MIDI file")->required();
  cmd->add_option("--soundfont", *soundfont, "The truth's SoundFont (default: FluidR3_GM, what the bundled models learned)")->capture_default_str();
  cmd->add_option("--png", *png, "Write both spectrograms, timbrel above FluidSynth, to this PNG");
  cmd->add_flag("--json", *json, "Print one JSON object");
  add_timbre_options(cmd, *o, false);
  cmd->footer("Example:\n  timbrel eval song song.mid --png song.png\n"
              "Measures: energy below 30 Hz, spectral centroid, loudness range (90th - 10th percentile of 50 ms levels),\n"
              "and the share of the 3-5, 5-7.5 and 3-7.5 kHz bands; both sides at 16 kHz.");
  cmd->callback([o, soundfont, png, json] { run(*o, *soundfont, *png, *json); });
}

}  // namespace timbrel::cli
