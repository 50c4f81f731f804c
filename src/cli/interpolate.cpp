// timbrel interpolate: encode two melodies (or drum patterns), slerp between the means, decode.
#include "command.h"
#include "paths.h"
#include "timbrel/engine.h"
#include "timbrel/error.h"
#include "timbrel/music.h"
#include "timbrel/musicvae.h"

namespace timbrel::cli {
namespace {

struct InterpolateFlags {
  std::string a, b, model, out;
  int steps = 5;
  int bar = 0;
  int refine = -1;
  double qpm = 120.0;
};

void run(const InterpolateFlags& o) {
  refuse_existing_output(o.out);
  name_flag("melody_model", "--model");
  EngineOptions params;
  params.melody_model = o.model;
  Engine engine(params);
  InterpolateOptions request;
  request.steps = o.steps;
  request.window = o.bar;
  request.qpm = o.qpm;
  request.refine_steps = o.refine;
  request.a_name = o.a;
  request.b_name = o.b;
  write_midi(engine.interpolate(read_midi(o.a), read_midi(o.b), request), o.out);
}

}  // namespace

void add_interpolate(CLI::App& app, Status&) {
  auto o = std::make_shared<InterpolateFlags>();
  auto* cmd = app.add_subcommand("interpolate", "Morph between two melodies or drum patterns (windows of the model's length)");
  cmd->add_option("a", o->a, "First MIDI file")->required();
  cmd->add_option("b", o->b, "Second MIDI file")->required();
  cmd->add_option("--steps,-k", o->steps, "Number of windows (of the model's length), endpoints included")->default_val(5);
  cmd->add_option("--model,-m", o->model, "MusicVAE model with an encoder (default: the bundled models/melody-2bar)");
  cmd->add_option("--bar", o->bar, "Which window of each file (k-th window with notes, one starting every bar)")->default_val(0);
  cmd->add_option("--refine", o->refine,
                  "Adam steps on each endpoint's latent toward the one its window decodes best from (0: the encoder's mean; "
                  "default: 25 for a 2-bar model, 0 for a hierarchical one)")
      ->check(CLI::Range(0, 100000));
  cmd->add_option("--qpm", o->qpm, "Tempo of the written MIDI")->default_val(120.0);
  cmd->add_option("-o,--output", o->out, "Output MIDI: the K windows one after another")->required();
  cmd->footer("Example:\n  timbrel interpolate samples/twinkle.mid other.mid --steps 5 --model models/melody-2bar -o morph.mid\n"
              "Endpoints are the model's reconstructions of the two inputs (argmax decoding), from latents refined --refine steps.");
  cmd->callback([o] { run(*o); });
}

}  // namespace timbrel::cli
