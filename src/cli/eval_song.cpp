// timbrel eval song: a MIDI file rendered by the neural timbres beside FluidSynth's render of the
// same notes with the same General MIDI programs and controllers, both at 48 kHz stereo by default:
// what a listener would hear differ.
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

void print_text(const nlohmann::json& out, size_t notes, const std::string& input, const std::string& png) {
  const nlohmann::json &a = out["timbrel"], &b = out["fluidsynth"];
  std::printf("%s: %zu notes, %.1f s, %d Hz, %d channel(s); FluidSynth reverb and chorus %s\n%-22s %12s %12s\n", input.c_str(), notes,
              out["seconds"].get<double>(), out["sample_rate"].get<int>(), out["channels"].get<int>(),
              out["fluidsynth_effects"].get<bool>() ? "on" : "off", "", "timbrel", "fluidsynth");
  for (const char* k : {"integrated_lufs", "true_peak_dbtp", "loudness_range_lu", "band_0_8k_share", "band_8_16k_share", "band_16_24k_share",
                        "band_8_24k_db", "subsonic_fraction", "centroid_hz", "loudness_range_db", "band_3_5k_fraction", "band_5_7k5_fraction",
                        "band_3_7k5_fraction", "peak_db"})
    std::printf("%-22s %12.4g %12.4g\n", k, a[k].get<double>(), b[k].get<double>());
  const char* names[] = {"rms_dbfs_left", "rms_dbfs_right"};
  for (size_t c = 0; c < a["channel_rms_dbfs"].size(); ++c)
    std::printf("%-22s %12.4g %12.4g\n", a["channel_rms_dbfs"].size() == 1 ? "rms_dbfs" : names[c], a["channel_rms_dbfs"][c].get<double>(),
                b["channel_rms_dbfs"][c].get<double>());
  if (!png.empty()) std::printf("spectrograms (timbrel above, FluidSynth below) -> %s\n", png.c_str());
}

void run(const SongFlags& o, const std::string& soundfont, const std::string& png, bool json) {
  if (!png.empty()) refuse_existing_output(png);
  const NoteSequence seq = read_midi(o.input);
  if (seq.notes.empty()) throw Error(o.input, "has no notes to render");
  Engine engine(engine_params(o));
  NoteRenderOptions r = note_render_options(o);
  r.subject = o.input;
  NoteRenderReport report;
  std::vector<float> ours = engine.render(seq, r, &report).samples;
  SongComparisonOptions c;
  c.soundfont = soundfont;
  c.png = png;
  c.notes = report.notes + report.drum_notes;
  c.subject = o.input;
  c.sample_rate = r.sample_rate;
  c.channels = r.channels;
  c.effects = r.room;
  const nlohmann::json out = nlohmann::json::parse(compare_with_soundfont(std::move(ours), seq, c));
  if (json)
    std::cout << out.dump() << std::endl;
  else
    print_text(out, c.notes, o.input, png);
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
  cmd->add_option("--sample-rate", o->sample_rate, "Rate of both renders")->capture_default_str()->check(CLI::Range(8000, 192000));
  cmd->add_flag("--mono", o->mono, "One channel for both renders (default: stereo)");
  cmd->footer("Example:\n  timbrel eval song song.mid --png song.png\n"
              "Both renders at --sample-rate (48 kHz) in stereo, FluidSynth with its default reverb and chorus (--dry: neither side\n"
              "has a room). Measures, per side: the 0-8, 8-16 and 16-24 kHz energy shares, each channel's RMS level, integrated\n"
              "loudness, true peak and loudness range (EBU R128); on the mono mix at 16 kHz: energy below 30 Hz, spectral\n"
              "centroid, loudness range of 50 ms levels, the 3-5, 5-7.5 and 3-7.5 kHz shares, and the sample peak.");
  cmd->callback([o, soundfont, png, json] { run(*o, *soundfont, *png, *json); });
}

}  // namespace timbrel::cli
