// timbrel interpolate: encode two melodies (or drum patterns), slerp between the means, decode.
#include "cli/command.h"
#include "cli/paths.h"
#include "timbrel/error.h"
#include "timbrel/music.h"
#include "timbrel/musicvae.h"

namespace timbrel::cli {
namespace {

struct InterpolateOptions {
  std::string a, b, model = "models/melody-2bar", out;
  int steps = 5;
  int bar = 0;
  double qpm = 120.0;
};

Tokens window_of(const MusicVae& model, const std::string& path, int bar) {
  auto windows = windows_for(model.info().kind, read_midi(path), model.info().steps);
  // Windows start every bar (windows without an onset are skipped): --bar counts the kept ones.
  if (windows.empty()) throw Error(path, "no 2-bar " + model.info().kind + " window with notes");
  if (bar < 0 || size_t(bar) >= windows.size())
    throw Error("--bar", std::to_string(bar) + " is past the last window of " + path + " (" + std::to_string(windows.size()) + " windows)");
  return windows[size_t(bar)];
}

void run(const InterpolateOptions& o) {
  refuse_existing_output(o.out);
  if (o.steps < 2 || o.steps > 1000) throw Error("--steps", "must be 2..1000");
  MusicVae model = MusicVae::load(o.model);
  auto mu = model.encode({window_of(model, o.a, o.bar), window_of(model, o.b, o.bar)});
  const size_t zs = size_t(model.info().z_size);
  std::vector<float> za(mu.begin(), mu.begin() + long(zs)), zb(mu.begin() + long(zs), mu.end());
  std::vector<float> z;
  for (int i = 0; i < o.steps; ++i) {
    auto zi = slerp(za, zb, double(i) / double(o.steps - 1));
    z.insert(z.end(), zi.begin(), zi.end());
  }
  write_midi(windows_to_sequence(model.info().kind, model.decode(z, 0.0), o.qpm), o.out);
}

}  // namespace

void add_interpolate(CLI::App& app, Status&) {
  auto o = std::make_shared<InterpolateOptions>();
  auto* cmd = app.add_subcommand("interpolate", "Morph between two 2-bar melodies or drum patterns");
  cmd->add_option("a", o->a, "First MIDI file")->required();
  cmd->add_option("b", o->b, "Second MIDI file")->required();
  cmd->add_option("--steps,-k", o->steps, "Number of 2-bar windows, endpoints included")->default_val(5);
  cmd->add_option("--model,-m", o->model, "MusicVAE model with an encoder")->default_val("models/melody-2bar");
  cmd->add_option("--bar", o->bar, "Which 2-bar window of each file (k-th window with notes, 1-bar hop)")->default_val(0);
  cmd->add_option("--qpm", o->qpm, "Tempo of the written MIDI")->default_val(120.0);
  cmd->add_option("-o,--output", o->out, "Output MIDI: the K windows one after another")->required();
  cmd->footer("Example:\n  timbrel interpolate samples/twinkle.mid other.mid --steps 5 --model models/melody-2bar -o morph.mid\n"
              "Endpoints are the model's reconstructions of the two inputs (argmax decoding).");
  cmd->callback([o] { run(*o); });
}

}  // namespace timbrel::cli
