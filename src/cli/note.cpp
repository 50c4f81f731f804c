// timbrel note: one GANSynth note (timbre latent + pitch) -> 4 s of 16 kHz audio.
#include <cstdio>
#include <sstream>

#include "cli/command.h"
#include "cli/note_render.h"
#include "cli/paths.h"
#include "timbrel/engine.h"
#include "timbrel/error.h"
#include "util/npy.h"

namespace timbrel::cli {
namespace {

struct Options {
  std::string model, timbre, z_file, pad, corners, out, spectrogram_out;
  int pitch = 60;
  RenderOptions render;
};

std::vector<float> latent_for(const Gansynth& g, const Options& o) {
  const int given = !o.timbre.empty() + !o.z_file.empty() + !o.pad.empty();
  if (given > 1) throw Error("--timbre", "give one of --timbre, --z-file and --pad");
  if (!o.pad.empty()) {
    auto xy = split_list(o.pad);
    auto corners = split_list(o.corners);
    if (corners.size() != 4) throw Error("--corners", "--pad needs --corners A,B,C,D (four timbres)");
    double x, y;
    try {
      if (xy.size() != 2) throw std::invalid_argument("");
      x = std::stod(xy[0]);
      y = std::stod(xy[1]);
    } catch (const std::exception&) {
      throw Error("--pad", "expected x,y with both in [0, 1]");
    }
    return bilinear(g.timbre(corners[0]), g.timbre(corners[1]), g.timbre(corners[2]), g.timbre(corners[3]), x, y);
  }
  if (!o.corners.empty()) throw Error("--corners", "only used with --pad");
  if (!o.z_file.empty()) return g.timbre("file:" + o.z_file);
  return g.timbre(o.timbre.empty() ? "seed:0" : o.timbre);
}

void run(const Options& o) {
  refuse_existing_output(o.out);
  Engine engine = note_engine(o.model, o.render);
  const std::string model = engine.timbre_model_path();
  NoteRequest request;
  request.pitch = o.pitch;
  if (o.pad.empty() && o.z_file.empty()) request.timbre = o.timbre.empty() ? "seed:0" : o.timbre;  // the engine names substitutes
  else request.z = latent_for(engine.timbre_model(), o);
  if (o.pad.empty() && o.z_file.empty() && !o.corners.empty()) throw Error("--corners", "only used with --pad");
  std::vector<float> spec = engine.note_spectrogram(request);
  if (!o.spectrogram_out.empty())
    write_npy(o.spectrogram_out, NpyArray{{kSpectrogramFrames, kSpectrogramBins, 2}, spec});
  write_note_audio(o.out, render_notes(engine, spec, o.render), o.render);
  std::printf("%s: pitch %d, %s, phase %s%s -> %s\n", model.c_str(), o.pitch,
              !o.pad.empty() ? ("pad " + o.pad).c_str() : !o.z_file.empty() ? o.z_file.c_str() : (o.timbre.empty() ? "seed:0" : o.timbre.c_str()),
              o.render.phase.c_str(), o.render.compat == "magentajs" ? " (magenta.js mode)" : "", o.out.c_str());
}

}  // namespace

void add_note(CLI::App& app, Status&) {
  auto o = std::make_shared<Options>();
  auto* cmd = app.add_subcommand("note", "Generate one note with a GANSynth timbre generator");
  cmd->add_option("--model,-m", o->model, "GANSynth model folder or TF.js checkpoint folder (default: the bundled models/gm-timbres)");
  cmd->add_option("--pitch,-p", o->pitch, "MIDI pitch (the generator covers 24..84)")->required();
  cmd->add_option("--timbre", o->timbre, "seed:N, preset:NAME, program:N (General MIDI 0-127) or Z.npy (default seed:0)");
  cmd->add_option("--z-file", o->z_file, "Latent vector: NumPy float32 [256] or [1, 256]");
  cmd->add_option("--pad", o->pad, "x,y in [0,1]: bilinear mix of the four --corners (NSynth Super's pad)");
  cmd->add_option("--corners", o->corners, "A,B,C,D timbres at (0,0), (1,0), (0,1), (1,1) for --pad");
  cmd->add_option("-o,--output", o->out, "Output sound file (.wav or .flac, 16 kHz, 4 s)")->required();
  cmd->add_option("--spectrogram-out", o->spectrogram_out, "Also write the generator output: float32 [128, 1024, 2] .npy");
  add_render_options(cmd, o->render);
  cmd->footer("Examples:\n  timbrel note --model gansynth_acoustic_only --pitch 60 --timbre seed:3 -o note.wav\n"
              "  timbrel note -m M -p 48 --pad 0.25,0.5 --corners seed:1,seed:2,seed:3,seed:4 -o pad.wav");
  cmd->callback([o] { run(*o); });
}

}  // namespace timbrel::cli
