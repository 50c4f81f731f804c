// timbrel morph: notes along the spherical path between two GANSynth timbres.
#include <algorithm>
#include <cstdio>

#include "command.h"
#include "note_render.h"
#include "paths.h"
#include "timbrel/engine.h"
#include "timbrel/error.h"
#include "timbrel/musicvae.h"  // slerp

namespace timbrel::cli {
namespace {

struct Flags {
  std::string model, from, to, out;
  int pitch = 60, steps = 5;
  bool continuous = false;
  NoteFlags render;
};

// One 4 s note whose timbre travels the path: generation i dominates at time i / (K - 1) of the
// note, with linear cross-fades (weights sum to 1) between neighbours.
std::vector<float> cross_fade(const std::vector<float>& notes, int k) {
  const size_t len = size_t(kNoteSamples);
  std::vector<float> out(len, 0.0f);
  for (size_t s = 0; s < len; ++s) {
    const double pos = double(s) / double(len - 1) * (k - 1);
    const int i = std::min(int(pos), k - 2);
    const double w = pos - i;
    out[s] = float((1 - w) * notes[size_t(i) * len + s] + w * notes[size_t(i + 1) * len + s]);
  }
  return out;
}

void run(const Flags& o) {
  refuse_existing_output(o.out);
  Engine engine = note_engine(o.model, o.render);
  const Gansynth& g = engine.timbre_model();
  const std::string model = engine.timbre_model_path();
  const std::vector<float> a = g.timbre(o.from), b = g.timbre(o.to);
  std::vector<float> z;
  for (int i = 0; i < o.steps; ++i) {
    auto zi = slerp(a, b, double(i) / (o.steps - 1));
    z.insert(z.end(), zi.begin(), zi.end());
  }
  // Batches of up to 8 steps per forward pass (a full-width note needs ~50 MB of activations).
  std::vector<float> spec;
  const size_t latent = a.size();
  for (int i = 0; i < o.steps; i += 8) {
    const int n = std::min(8, o.steps - i);
    std::vector<float> zi(z.begin() + long(size_t(i) * latent), z.begin() + long(size_t(i + n) * latent));
    std::vector<float> part = g.generate(zi, std::vector<int>(size_t(n), o.pitch));
    spec.insert(spec.end(), part.begin(), part.end());
  }
  std::vector<float> audio = render_notes(engine, spec, o.render);
  if (o.continuous) audio = cross_fade(audio, o.steps);
  write_note_audio(o.out, std::move(audio), o.render);
  std::printf("%s: %d steps %s -> %s at pitch %d%s -> %s\n", model.c_str(), o.steps, o.from.c_str(), o.to.c_str(),
              o.pitch, o.continuous ? " (one continuous note)" : "", o.out.c_str());
}

}  // namespace

void add_morph(CLI::App& app, Status&) {
  auto o = std::make_shared<Flags>();
  auto* cmd = app.add_subcommand("morph", "Notes along the slerp path between two GANSynth timbres");
  cmd->add_option("--model,-m", o->model, "GANSynth model folder or TF.js checkpoint folder (default: the bundled models/gm-timbres)");
  cmd->add_option("--from", o->from, "Start timbre: seed:N, preset:NAME or Z.npy")->required();
  cmd->add_option("--to", o->to, "End timbre: seed:N, preset:NAME or Z.npy")->required();
  cmd->add_option("--pitch,-p", o->pitch, "MIDI pitch (the generator covers 24..84)")->required();
  cmd->add_option("--steps", o->steps, "Notes on the path, the endpoints included")->capture_default_str()->check(CLI::Range(2, 256));
  cmd->add_flag("--continuous", o->continuous, "One 4 s note whose timbre moves (cross-fades of the steps) instead of K notes");
  cmd->add_option("-o,--output", o->out, "Output sound file (K x 4 s, or 4 s with --continuous)")->required();
  add_render_options(cmd, o->render);
  cmd->footer("Example:\n  timbrel morph --model gansynth_acoustic_only --from seed:1 --to seed:2 --pitch 60 --steps 5 -o morph.wav");
  cmd->callback([o] { run(*o); });
}

}  // namespace timbrel::cli
