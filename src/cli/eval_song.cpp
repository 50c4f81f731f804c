// timbrel eval song: a MIDI file rendered by the neural timbres beside FluidSynth's render of the
// same notes with the same General MIDI programs: what a listener would hear differ.
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <nlohmann/json.hpp>

#include "cli/command.h"
#include "cli/paths.h"
#include "cli/song_options.h"
#include "spectral/spectrogram_image.h"
#include "timbrel/error.h"
#include "timbrel/music.h"
#include "timbrel/render.h"
#include "timbrel/spectral.h"
#include "train/audio_metrics.h"
#include "train/soundfont_notes.h"
#include "util/png.h"

namespace timbrel::cli {
namespace {

constexpr const char* kDefaultSoundFont = "/usr/share/sounds/sf2/FluidR3_GM.sf2";

nlohmann::json song_measures(const std::vector<float>& a) {
  const double total = train::band_power(a, 0, 8001);
  return {{"seconds", double(a.size()) / kNoteSampleRate},
          {"peak_db", train::peak_db(a)},
          {"subsonic_fraction", total > 0 ? train::band_power(a, 0, 30) / total : 0.0},
          {"centroid_hz", train::spectral_centroid_hz(a, 0, double(a.size()) / kNoteSampleRate)},
          {"loudness_range_db", train::loudness_range_db(a)},
          {"band_3_5k_fraction", total > 0 ? train::band_power(a, 3000, 5000) / total : 0.0},
          {"band_5_7k5_fraction", total > 0 ? train::band_power(a, 5000, 7500) / total : 0.0},
          {"band_3_7k5_fraction", total > 0 ? train::band_power(a, 3000, 7500) / total : 0.0}};
}

// Each spectrogram is scaled to its own loudest bin (80 dB shown).
void write_side_by_side(const std::string& path, const std::vector<float>& ours, const std::vector<float>& truth) {
  const RgbImage img = above({audio_spectrogram(ours.data(), ours.size()), audio_spectrogram(truth.data(), truth.size())}, 8);
  write_png(path, img.width, img.height, img.rgb);
}

void run(const SongOptions& o, const std::string& soundfont, const std::string& png, bool json) {
  if (!png.empty()) refuse_existing_output(png);
  const NoteSequence seq = read_midi(o.input);
  if (seq.notes.empty()) throw Error(o.input, "has no notes to render");
  Engine engine(engine_params(o));
  NoteRenderOptions r = note_render_options(o);
  r.subject = o.input;
  NoteRenderReport report;
  std::vector<float> ours = engine.render(seq, r, &report).samples;
  std::vector<float> truth = train::render_sequence_with_soundfont(seq, soundfont);
  const size_t n = std::max(ours.size(), truth.size());
  ours.resize(n, 0.0f);
  truth.resize(n, 0.0f);
  const nlohmann::json a = song_measures(ours), b = song_measures(truth);
  nlohmann::json ratio = nlohmann::json::object();
  for (const char* k : {"centroid_hz", "band_3_5k_fraction", "band_5_7k5_fraction", "band_3_7k5_fraction"})
    ratio[k] = b[k].get<double>() > 0 ? a[k].get<double>() / b[k].get<double>() : 0.0;
  const nlohmann::json out = {{"midi", o.input}, {"soundfont", soundfont}, {"notes", report.notes + report.drum_notes},
                              {"timbrel", a}, {"fluidsynth", b}, {"ratio_timbrel_to_fluidsynth", ratio}};
  if (!png.empty()) write_side_by_side(png, ours, truth);
  if (json) {
    std::cout << out.dump() << std::endl;
    return;
  }
  std::printf("%s: %zu notes, %.1f s\n%-22s %12s %12s\n", o.input.c_str(), report.notes + report.drum_notes, double(n) / kNoteSampleRate,
              "", "timbrel", "fluidsynth");
  for (const char* k : {"subsonic_fraction", "centroid_hz", "loudness_range_db", "band_3_5k_fraction", "band_5_7k5_fraction",
                        "band_3_7k5_fraction", "peak_db"})
    std::printf("%-22s %12.4g %12.4g\n", k, a[k].get<double>(), b[k].get<double>());
  if (!png.empty()) std::printf("spectrograms (timbrel above, FluidSynth below) -> %s\n", png.c_str());
}

}  // namespace

void add_eval_song(CLI::App& eval) {
  auto o = std::make_shared<SongOptions>();
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
