#include "cli/song_options.h"

#include "cli/note_render.h"
#include "cli/command.h"
#include "cli/device.h"
#include "cli/paths.h"
#include "timbrel/error.h"
#include "timbrel/music.h"
#include "timbrel/musicvae.h"

namespace timbrel::cli {
namespace {

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

void add_timbre_options(CLI::App* cmd, SongOptions& o, bool with_file_output) {
  cmd->add_option("--model,-m", o.model, "Timbre model (default: the bundled models/gm-timbres)");
  cmd->add_option("--drum-model", o.drum_model, "Drum timbre model for channel-10 notes (default: the bundled models/gm-drums)");
  cmd->add_flag("--no-drums", o.no_drums, "Leave drum notes out");
  cmd->add_option("--timbre", o.timbre, "seed:N | preset:NAME | program:N | Z.npy (default: each note's General MIDI program; seed:0 for models without programs)");
  cmd->add_option("--morph", o.morph, "A,B[,C...]: slerp from timbre to timbre over time (at each note's start)");
  cmd->add_option("--seconds-per-timbre", o.seconds_per_timbre, "Morph speed")->capture_default_str();
  cmd->add_option("--pad", o.pad, "x,y in [0,1]: bilinear mix of the four --corners");
  cmd->add_option("--corners", o.corners, "A,B,C,D timbres at (0,0), (1,0), (0,1), (1,1)");
  cmd->add_option("--drum-timbre", o.drum_timbre, "Drum kit: preset:NAME of the drum model (default: Standard, else its first)");
  cmd->add_option("--attack", o.attack, "Linear attack, seconds")->capture_default_str();
  cmd->add_option("--release", o.release, "Linear release after the note end, seconds")->capture_default_str();
  if (with_file_output) {
    cmd->add_option("--sample-rate", o.sample_rate, "Output rate (resampled with soxr)")->capture_default_str()->check(CLI::Range(8000, 192000));
    cmd->add_option("--bit-depth", o.bit_depth, "16, 24 or float (FLAC: 16 or 24)")->capture_default_str();
  }
  cmd->add_option("--phase", o.phase, "Phase reconstruction: if | if+fgla | pghi | ...")->capture_default_str();
  cmd->add_option("--batch", o.batch, "Notes generated per call (halved automatically when device memory runs out)")
      ->capture_default_str()->check(CLI::Range(1, 4096));
  cmd->add_flag("--strict", o.strict, "Pitches outside the model's range are errors (default: moved by octaves, with a warning)");
  cmd->add_option("--precision", o.precision, "Generator arithmetic: fp32 | tf32 (NVIDIA GPUs) | bf16")
      ->capture_default_str()->check(CLI::IsMember({"fp32", "tf32", "bf16"}));
  // play's --device is the audio device, so its compute device is --compute.
  cmd->add_option(with_file_output ? "--device" : "--compute", o.device, "Compute device: auto | cpu | cuda")
      ->capture_default_str()->check(CLI::IsMember({"auto", "cpu", "cuda"}));
}

void add_song_options(CLI::App* cmd, SongOptions& o) {
  cmd->add_option("--bars", o.bars, "Bars (even; 2-bar windows)")->capture_default_str()->check(CLI::Range(2, 512));
  cmd->add_option("--seed", o.seed, "Seed of the melody (and drums)")->capture_default_str();
  cmd->add_option("--temperature", o.temperature, "Sampling temperature (0 = argmax)")->capture_default_str();
  cmd->add_option("--qpm", o.qpm, "Tempo, quarter notes per minute")->capture_default_str();
  cmd->add_option("--melody-model", o.melody_model, "MusicVAE melody model (default: the bundled models/melody-2bar)");
  cmd->add_flag("--drums", o.drums, "Add a sampled drum groove (bundled models/drums-2bar) under the melody");
  cmd->add_option("--groove-model", o.groove_model, "MusicVAE drum model for --drums (default: models/drums-2bar)");
}

NoteRenderOptions note_render_options(const SongOptions& o) {
  NoteRenderOptions r;
  if (!o.morph.empty()) {
    if (!o.timbre.empty()) throw Error("--morph", "give --timbre or --morph, not both");
    r.schedule.timbres = split_list(o.morph);
    if (r.schedule.timbres.size() < 2) throw Error("--morph " + o.morph, "needs at least two timbres A,B");
    r.schedule.seconds_per_timbre = o.seconds_per_timbre;
  } else if (!o.timbre.empty()) {
    r.schedule.timbres = {o.timbre};
  }
  // Without a forced timbre, each note plays its General MIDI program (models that record them).
  r.schedule.follow_programs = o.morph.empty() && o.timbre.empty() && o.pad.empty();
  if (!o.pad.empty()) {
    r.schedule.pad = o.pad;
    r.schedule.corners = split_list(o.corners);
  }
  r.drum_timbre = o.drum_timbre;
  r.attack = o.attack;
  r.batch = o.batch;
  r.release = o.release;
  r.sample_rate = o.sample_rate;
  r.strict = o.strict;
  r.inverse.phase = parse_phase_method(o.phase);
  const ComputeChoice device = choose_device(o.device);
  r.spectral = device.spectral;
  r.device_spectral = device.device_spectral;
  return r;
}

void warn_render_report(const NoteRenderReport& report) {
  if (report.transposed)
    print_error(std::to_string(report.transposed) + " notes outside the model's pitch range moved by octaves (--strict: error)");
  for (const auto& [program, preset] : report.substituted_programs)
    print_error("General MIDI program " + std::to_string(program) + " has no preset in the model: played by '" + preset +
                "', the nearest of its family");
  if (report.unknown_drums)
    print_error(std::to_string(report.unknown_drums) + " drum notes with numbers no drum class covers were skipped");
}

TimbreModels load_timbre_models(const NoteSequence& seq, const SongOptions& o) {
  TimbreModels m;
  m.melodic_dir = o.model.empty() ? bundled_model("gm-timbres") : o.model;
  m.melodic = std::make_unique<Gansynth>(Gansynth::load(m.melodic_dir));
  if (seq.has_drums() && !o.no_drums) m.drums = std::make_unique<Gansynth>(Gansynth::load(o.drum_model.empty() ? bundled_model("gm-drums") : o.drum_model));
  const ComputeChoice device = choose_device(o.device);
  place_generator(*m.melodic, device);
  if (m.drums) place_generator(*m.drums, device);
  if (o.precision != "fp32") {
    m.melodic->set_precision(o.precision);
    if (m.drums) m.drums->set_precision(o.precision);
  }
  return m;
}

NoteSequence sample_song(const SongOptions& o) {
    if (o.bars % 2) throw Error("--bars " + std::to_string(o.bars), "must be even (the melody model makes 2-bar windows)");
    MusicVae melody = MusicVae::load(o.melody_model.empty() ? bundled_model("melody-2bar") : o.melody_model);
    if (melody.info().kind != "melody") throw Error(o.melody_model, "is not a melody model");
    NoteSequence seq = sample_walk(melody, o.bars / 2, o.seed, o.temperature, o.qpm);
    if (o.drums) {
      MusicVae groove = MusicVae::load(o.groove_model.empty() ? bundled_model("drums-2bar") : o.groove_model);
      NoteSequence d = sample_walk(groove, o.bars / 2, o.seed + 1, o.temperature, o.qpm);
      for (Note n : d.notes) {
        n.instrument = 1;
        n.channel = 9;
        n.is_drum = true;
        seq.notes.push_back(n);
      }
      seq.total_time = std::max(seq.total_time, d.total_time);
      seq.tracks.push_back({1, "drums"});
    }
  return seq;
}

}  // namespace timbrel::cli
