// timbrel note: one GANSynth note (timbre latent + pitch) -> 4 s of 16 kHz audio; or, with
// --engine ddsp, a DDSP model driven by given f0 and loudness curves.
#include <cstdio>
#include <sstream>

#include "command.h"
#include "note_render.h"
#include "paths.h"
#include "song_options.h"
#include "timbrel/engine.h"
#include "timbrel/error.h"
#include "timbrel/sound_file.h"
#include "timbrel/npy.h"

namespace timbrel::cli {
namespace {

struct Flags {
  std::string model, timbre, z_file, pad, corners, out, spectrogram_out;
  int pitch = -1;
  NoteFlags render;
  std::string engine = "gansynth", f0_file, loudness_file;
  bool no_noise = false;
  uint64_t seed = 0;
  double duration = 2.0, vibrato = 12;
  bool flat_envelope = false;
};

// A float32 curve of one value per frame ([frames] or [frames, 1]).
std::vector<float> read_curve(const std::string& path, const std::string& flag) {
  NpyArray a = read_npy(path);
  if (a.shape.empty() || a.shape.size() > 2 || (a.shape.size() == 2 && a.shape[1] != 1) || a.shape[0] < 1)
    throw Error(path, "expected a float32 curve [frames] or [frames, 1] (" + flag + ")");
  return std::vector<float>(a.data.begin(), a.data.end());
}

// One DDSP note from --pitch and --velocity: held --duration seconds, then released, with the
// same performance (envelope, vibrato, level) as `render --engine ddsp`.
void run_ddsp_pitch(const Flags& o) {
  if (!o.f0_file.empty() || !o.loudness_file.empty() || o.no_noise)
    throw Error("--pitch", "give --pitch or the curves (--f0-file and --loudness-file), not both");
  EngineOptions p;
  p.ddsp_model = o.model;
  p.log = print_note;
  Engine engine(p);
  NoteSequence seq;
  Note n;
  n.pitch = o.pitch;
  n.velocity = o.render.velocity;
  if (!o.timbre.empty()) {  // a model with presets plays the one of this program
    const TimbreSpec spec = parse_timbre_spec(o.timbre, "--timbre");
    if (spec.kind != TimbreSpec::Kind::Program) throw Error("--timbre " + o.timbre, "with --engine ddsp --pitch, give program:N");
    n.program = spec.program;
  }
  n.end_time = o.duration;
  seq.add_note(n);
  NoteRenderOptions r;
  r.engine = TimbreEngine::Ddsp;
  r.ddsp.vibrato_cents = o.vibrato;
  r.ddsp.learned_envelopes = !o.flat_envelope;
  r.subject = "--pitch";
  // One dry note at the model's rate (16 kHz, or a 48 kHz model's 48 kHz), as GANSynth's notes.
  r.sample_rate = engine.ddsp_model(n.program).info().sample_rate;
  r.channels = 1;
  r.room = false;
  const Audio a = engine.render(seq, r);
  write_sound_file(o.out, a, parse_sample_format(o.render.bit_depth));
  std::printf("%s: DDSP pitch %d, velocity %d, held %.2f s (%.2f s of audio) -> %s\n", o.model.c_str(), o.pitch, o.render.velocity,
              o.duration, a.seconds(), o.out.c_str());
}

void run_ddsp(const Flags& o) {
  const std::string model_dir = o.model.empty() ? bundled_model_path("ddsp-bank") : o.model;
  if (!o.z_file.empty() || !o.pad.empty()) throw Error("--z-file", "--engine ddsp takes --timbre preset:NAME|program:N (no --z-file or --pad)");
  refuse_existing_output(o.out);
  if (o.pitch >= 0) {
    Flags resolved = o;
    resolved.model = model_dir;
    return run_ddsp_pitch(resolved);
  }
  if (o.f0_file.empty() || o.loudness_file.empty())
    throw Error("--f0-file", "--engine ddsp needs --pitch, or --f0-file and --loudness-file");
  const std::vector<float> f0 = read_curve(o.f0_file, "--f0-file"), loudness = read_curve(o.loudness_file, "--loudness-file");
  if (f0.size() != loudness.size())
    throw Error(o.loudness_file, "has " + std::to_string(loudness.size()) + " frames, --f0-file " + std::to_string(f0.size()));
  EngineOptions p;
  p.ddsp_model = model_dir;
  Engine engine(p);
  DdspCurveOptions c;
  c.timbre = o.timbre;
  c.noise = !o.no_noise;
  c.seed = o.seed;
  name_flag("timbre", "--timbre");
  name_flag("ddsp_model", "--model");
  const Audio a = engine.ddsp_from_curves(f0, loudness, c);
  write_sound_file(o.out, a, parse_sample_format(o.render.bit_depth));
  std::printf("%s: %zu frames (%.2f s) of f0 and loudness%s -> %s\n", model_dir.c_str(), f0.size(), a.seconds(),
              o.no_noise ? ", harmonic part only" : "", o.out.c_str());
}

// The note's timbre: a spec, a latent file, or a pad point over four corners.
void set_timbre(NoteOptions& request, const Flags& o) {
  const int given = !o.timbre.empty() + !o.z_file.empty() + !o.pad.empty();
  if (given > 1) throw Error("--timbre", "give one of --timbre, --z-file and --pad");
  if (!o.corners.empty() && o.pad.empty()) throw Error("--corners", "only used with --pad");
  if (!o.pad.empty()) {
    request.pad = parse_pad_position(o.pad, "--pad");
    request.corners = split_list(o.corners);
    if (request.corners.size() != 4) throw Error("--corners", "--pad needs --corners A,B,C,D (four timbres)");
    return;
  }
  request.timbre = o.z_file.empty() ? (o.timbre.empty() ? "seed:0" : o.timbre) : "file:" + o.z_file;
}

void run(const Flags& o) {
  if (o.engine == "ddsp") return run_ddsp(o);
  if (!o.f0_file.empty() || !o.loudness_file.empty()) throw Error("--f0-file", "only with --engine ddsp");
  if (o.pitch < 0) throw Error("--pitch", "is required (the GANSynth engine's MIDI pitch)");
  refuse_existing_output(o.out);
  Engine engine = note_engine(o.model, o.render);
  const std::string model = engine.timbre_model_path();
  NoteOptions request;
  request.pitch = o.pitch;
  set_timbre(request, o);  // the engine names substitutes
  std::vector<float> spec = engine.note_spectrogram(request);
  if (!o.spectrogram_out.empty())
    write_npy(o.spectrogram_out, NpyArray{{kSpectrogramFrames, kSpectrogramBins, 2}, spec});
  write_note_audio(o.out, render_notes(engine, spec, o.render), o.render);
  std::printf("%s: pitch %d, %s, phase %s%s -> %s\n", model.c_str(), o.pitch,
              !o.pad.empty() ? ("pad " + o.pad).c_str() : !o.z_file.empty() ? o.z_file.c_str() : (o.timbre.empty() ? "seed:0" : o.timbre.c_str()),
              note_phase(engine, o.render).c_str(), o.render.compat == "magentajs" ? " (magenta.js mode)" : "", o.out.c_str());
}

}  // namespace

void add_note(CLI::App& app, Status&) {
  auto o = std::make_shared<Flags>();
  auto* cmd = app.add_subcommand("note", "Generate one note with a GANSynth timbre generator (or a DDSP note, from a pitch or from f0 and loudness curves)");
  cmd->add_option("--model,-m", o->model,
                  "GANSynth model folder or TF.js checkpoint folder (default: the bundled models/gm-timbres); with --engine ddsp a DDSP model folder or bank (default: the bundled models/ddsp-bank)");
  cmd->add_option("--pitch,-p", o->pitch, "MIDI pitch (the generator covers 24..84; required for GANSynth)")->check(CLI::Range(0, 127));
  cmd->add_option("--engine", o->engine, "gansynth | ddsp")->check(CLI::IsMember({"gansynth", "ddsp"}))->capture_default_str();
  cmd->add_option("--f0-file", o->f0_file, "DDSP: f0 in Hz per frame (250 a second), NumPy float32 [frames]")->check(CLI::ExistingFile);
  cmd->add_option("--loudness-file", o->loudness_file, "DDSP: loudness in dB per frame, NumPy float32 [frames]")->check(CLI::ExistingFile);
  cmd->add_flag("--no-noise", o->no_noise, "DDSP: the harmonic part only");
  cmd->add_option("--duration", o->duration, "DDSP with --pitch: seconds the note is held (then released)")
      ->capture_default_str()->check(CLI::Range(0.01, 600.0));
  cmd->add_option("--vibrato", o->vibrato, "DDSP with --pitch: vibrato depth in cents")->capture_default_str()->check(CLI::Range(0.0, 200.0));
  cmd->add_flag("--flat-envelope", o->flat_envelope, "DDSP with --pitch: a 40 ms attack and a flat hold instead of the preset's learned envelope");
  cmd->add_option("--seed", o->seed, "DDSP: seed of the noise")->capture_default_str();
  cmd->add_option("--timbre", o->timbre, "seed:N, preset:NAME, program:N (General MIDI 0-127) or Z.npy (default seed:0)");
  cmd->add_option("--z-file", o->z_file, "Latent vector: NumPy float32 [256] or [1, 256]");
  cmd->add_option("--pad", o->pad, "x,y in [0,1]: bilinear mix of the four --corners (NSynth Super's pad)");
  cmd->add_option("--corners", o->corners, "A,B,C,D timbres at (0,0), (1,0), (0,1), (1,1) for --pad");
  cmd->add_option("-o,--output", o->out, "Output sound file (.wav or .flac, 16 kHz; a GANSynth note lasts 4 s)")->required();
  cmd->add_option("--spectrogram-out", o->spectrogram_out, "Also write the generator output: float32 [128, 1024, 2] .npy");
  add_render_options(cmd, o->render);
  cmd->footer("Examples:\n  timbrel note --model gansynth_acoustic_only --pitch 60 --timbre seed:3 -o note.wav\n"
              "  timbrel note -m M -p 48 --pad 0.25,0.5 --corners seed:1,seed:2,seed:3,seed:4 -o pad.wav\n"
              "  timbrel note --engine ddsp -m ../shared/models-ext/ddsp/violin --pitch 67 --velocity 90 --duration 3 -o violin.wav\n"
              "  timbrel note --engine ddsp -m ../shared/models-ext/ddsp/violin --f0-file f0.npy --loudness-file ld.npy -o violin.wav");
  cmd->callback([o] { run(*o); });
}

}  // namespace timbrel::cli
