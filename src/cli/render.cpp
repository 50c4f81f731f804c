// timbrel render: a MIDI file played by neural timbres -> WAV/FLAC.
// timbrel generate: the main job: sample a melody (MusicVAE), render it, write audio + MIDI.
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <iostream>
#include <sstream>

#include "cli/command.h"
#include "cli/note_render.h"
#include "cli/paths.h"
#include "timbrel/error.h"
#include "timbrel/music.h"
#include "timbrel/musicvae.h"
#include "timbrel/render.h"
#include "timbrel/sound_file.h"

namespace timbrel::cli {
namespace {

struct Options {
  std::string input, out, model, drum_model, timbre, morph, pad, corners, drum_timbre, device = "auto", bit_depth = "16", phase = "if";
  double seconds_per_timbre = 4.0, attack = 0.010, release = 0.3;
  int sample_rate = 16000;
  bool strict = false, no_drums = false;
  // generate
  std::string melody_model, groove_model;
  int bars = 8;
  uint64_t seed = 0;
  double temperature = 0.5;
  bool drums = false;
  double qpm = 120;
};

void add_timbre_options(CLI::App* cmd, Options& o) {
  cmd->add_option("--model,-m", o.model, "Timbre model (default: the bundled models/gm-timbres)");
  cmd->add_option("--drum-model", o.drum_model, "Drum timbre model for channel-10 notes (default: the bundled models/gm-drums)");
  cmd->add_flag("--no-drums", o.no_drums, "Leave drum notes out");
  cmd->add_option("--timbre", o.timbre, "seed:N | preset:NAME | Z.npy (default seed:0)");
  cmd->add_option("--morph", o.morph, "A,B[,C...]: slerp from timbre to timbre over time (at each note's start)");
  cmd->add_option("--seconds-per-timbre", o.seconds_per_timbre, "Morph speed")->capture_default_str();
  cmd->add_option("--pad", o.pad, "x,y in [0,1]: bilinear mix of the four --corners");
  cmd->add_option("--corners", o.corners, "A,B,C,D timbres at (0,0), (1,0), (0,1), (1,1)");
  cmd->add_option("--drum-timbre", o.drum_timbre, "Drum kit: preset:NAME of the drum model (default: its first)");
  cmd->add_option("--attack", o.attack, "Linear attack, seconds")->capture_default_str();
  cmd->add_option("--release", o.release, "Linear release after the note end, seconds")->capture_default_str();
  cmd->add_option("--sample-rate", o.sample_rate, "Output rate (resampled with soxr)")->capture_default_str()->check(CLI::Range(8000, 192000));
  cmd->add_option("--bit-depth", o.bit_depth, "16, 24 or float (FLAC: 16 or 24)")->capture_default_str();
  cmd->add_option("--phase", o.phase, "Phase reconstruction: if | if+fgla | pghi | ...")->capture_default_str();
  cmd->add_flag("--strict", o.strict, "Pitches outside the model's range are errors (default: moved by octaves, with a warning)");
  cmd->add_option("--device", o.device, "auto | cpu | cuda")->capture_default_str()->check(CLI::IsMember({"auto", "cpu", "cuda"}));
}

// Renders and writes the audio; `midi_out` (if any) is written only once rendering succeeded, so
// a failure leaves no partial output.
void render_and_write(const NoteSequence& seq, const Options& o, const std::string& midi_out = "") {
  if (o.device == "cuda") throw Error("--device cuda", "the GPU render path is not built yet; use --device cpu or auto");
  const std::string model_dir = o.model.empty() ? bundled_model("gm-timbres") : o.model;
  Gansynth melodic = Gansynth::load(model_dir);
  std::unique_ptr<Gansynth> drums;
  if (seq.has_drums() && !o.no_drums) drums = std::make_unique<Gansynth>(Gansynth::load(o.drum_model.empty() ? bundled_model("gm-drums") : o.drum_model));
  NoteRenderOptions r;
  if (!o.morph.empty()) {
    if (!o.timbre.empty()) throw Error("--morph", "give --timbre or --morph, not both");
    r.schedule.timbres = split_list(o.morph);
    if (r.schedule.timbres.size() < 2) throw Error("--morph " + o.morph, "needs at least two timbres A,B");
    r.schedule.seconds_per_timbre = o.seconds_per_timbre;
  } else if (!o.timbre.empty()) {
    r.schedule.timbres = {o.timbre};
  }
  if (!o.pad.empty()) {
    r.schedule.pad = o.pad;
    r.schedule.corners = split_list(o.corners);
  }
  r.drum_timbre = o.drum_timbre;
  r.attack = o.attack;
  r.release = o.release;
  r.sample_rate = o.sample_rate;
  r.strict = o.strict;
  r.inverse.phase = parse_phase_method(o.phase);
  const SampleFormat format = parse_sample_format(o.bit_depth);
  const bool tty = ::isatty(2);
  if (tty) r.progress = [](size_t done, size_t total) { std::fprintf(stderr, "\rgenerating notes %zu/%zu", done, total); };
  NoteRenderReport report;
  Audio a;
  a.sample_rate = o.sample_rate;
  a.samples = render_sequence(seq, melodic, drums.get(), r, &report);
  if (tty) std::fprintf(stderr, "\n");
  if (report.transposed) print_error(std::to_string(report.transposed) + " notes outside the model's pitch range moved by octaves (--strict: error)");
  if (!midi_out.empty()) write_midi(seq, midi_out);
  write_sound_file(o.out, a, format);
  std::printf("%s: %zu notes (%zu drum), %zu generated, %.1f s of audio in %.1f s (%.1fx real time) -> %s\n", model_dir.c_str(),
              report.notes, report.drum_notes, report.generated, a.seconds(), report.seconds, a.seconds() / std::max(report.seconds, 1e-9),
              o.out.c_str());
}

std::string with_extension(const std::string& path, const std::string& ext) {
  return std::filesystem::path(path).replace_extension(ext).string();
}

// N bars as N/2 two-bar windows decoded from a smooth latent walk: each z a slerp 35% of the way
// from the previous one towards a fresh draw, so neighbouring windows stay related.
NoteSequence sample_walk(const MusicVae& model, int windows, uint64_t seed, double temperature, double qpm) {
  const size_t dim = size_t(model.info().z_size);
  std::vector<float> draws = model.random_z(size_t(windows), seed), z;
  std::vector<float> current(draws.begin(), draws.begin() + long(dim));
  for (int w = 0; w < windows; ++w) {
    if (w > 0) current = slerp(current, std::vector<float>(draws.begin() + long(w * dim), draws.begin() + long((w + 1) * dim)), 0.35);
    z.insert(z.end(), current.begin(), current.end());
  }
  return windows_to_sequence(model.info().kind, model.decode(z, temperature, seed), qpm);
}

}  // namespace

void add_render(CLI::App& app, Status&) {
  auto o = std::make_shared<Options>();
  auto* cmd = app.add_subcommand("render", "Play a MIDI file with neural timbres into a WAV/FLAC file");
  cmd->add_option("input", o->input, "MIDI file")->required();
  cmd->add_option("-o,--output", o->out, "Output .wav or .flac")->required();
  add_timbre_options(cmd, *o);
  cmd->footer("Examples:\n  timbrel render samples/twinkle.mid -o twinkle.wav --timbre preset:Flute\n"
              "  timbrel render song.mid -o song.flac --morph preset:Flute,preset:Cello,seed:3 --seconds-per-timbre 6 --sample-rate 48000\n"
              "Each distinct (pitch, timbre) is generated once; notes get a 10 ms attack, hold to their end (long notes loop a\n"
              "steady stretch) and a 0.3 s release, velocity/127 after peak normalisation; the mix goes through a soft limiter.");
  cmd->callback([o] {
    refuse_to_overwrite_input(o->input, o->out);
    render_and_write(read_midi(o->input), *o);
  });
}

void add_generate(CLI::App& app, Status&) {
  auto o = std::make_shared<Options>();
  auto* cmd = app.add_subcommand("generate", "The main job: sample a melody with MusicVAE and render it with neural timbres");
  cmd->add_option("-o,--output", o->out, "Output .wav or .flac (the melody is written beside it as .mid)")->required();
  cmd->add_option("--bars", o->bars, "Bars (even; 2-bar windows)")->capture_default_str()->check(CLI::Range(2, 512));
  cmd->add_option("--seed", o->seed, "Seed of the melody (and drums)")->capture_default_str();
  cmd->add_option("--temperature", o->temperature, "Sampling temperature (0 = argmax)")->capture_default_str();
  cmd->add_option("--qpm", o->qpm, "Tempo, quarter notes per minute")->capture_default_str();
  cmd->add_option("--melody-model", o->melody_model, "MusicVAE melody model (default: the bundled models/melody-2bar)");
  cmd->add_flag("--drums", o->drums, "Add a sampled drum groove (bundled models/drums-2bar) under the melody");
  cmd->add_option("--groove-model", o->groove_model, "MusicVAE drum model for --drums (default: models/drums-2bar)");
  add_timbre_options(cmd, *o);
  cmd->footer("Example:\n  timbrel generate -o song.wav --bars 16 --seed 7 --timbre preset:Flute --drums");
  cmd->callback([o] {
    if (o->bars % 2) throw Error("--bars " + std::to_string(o->bars), "must be even (the melody model makes 2-bar windows)");
    MusicVae melody = MusicVae::load(o->melody_model.empty() ? bundled_model("melody-2bar") : o->melody_model);
    if (melody.info().kind != "melody") throw Error(o->melody_model, "is not a melody model");
    NoteSequence seq = sample_walk(melody, o->bars / 2, o->seed, o->temperature, o->qpm);
    if (o->drums) {
      MusicVae groove = MusicVae::load(o->groove_model.empty() ? bundled_model("drums-2bar") : o->groove_model);
      NoteSequence d = sample_walk(groove, o->bars / 2, o->seed + 1, o->temperature, o->qpm);
      for (Note n : d.notes) {
        n.instrument = 1;
        n.channel = 9;
        n.is_drum = true;
        seq.notes.push_back(n);
      }
      seq.total_time = std::max(seq.total_time, d.total_time);
      seq.tracks.push_back({1, "drums"});
    }
    const std::string mid = with_extension(o->out, ".mid");
    refuse_to_overwrite_input(o->out, mid);
    std::printf("melody: %d bars, %zu notes -> %s\n", o->bars, seq.notes.size(), mid.c_str());
    render_and_write(seq, *o, mid);
  });
}

}  // namespace timbrel::cli
