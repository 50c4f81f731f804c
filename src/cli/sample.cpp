// timbrel sample: melodies or drum patterns from a MusicVAE, from random or given z.
#include <iostream>

#include "command.h"
#include "paths.h"
#include "timbrel/chords.h"
#include "timbrel/engine.h"
#include "timbrel/error.h"
#include "timbrel/music.h"
#include "timbrel/musicvae.h"
#include "timbrel/npy.h"

namespace timbrel::cli {
namespace {

struct SampleFlags {
  std::string model, z_file, out, chords;
  int n = 1;
  double temperature = -1;
  std::string draw;
  uint64_t seed = 0;
  bool split = false;
  bool standard_prior = false;
  double qpm = 120.0;
};

std::string numbered(const std::string& path, size_t i) {
  size_t dot = path.rfind('.');
  size_t slash = path.rfind('/');
  if (dot == std::string::npos || (slash != std::string::npos && dot < slash)) dot = path.size();
  return path.substr(0, dot) + "_" + std::to_string(i) + path.substr(dot);
}

// Sample i of `all` (each `per_sample` windows long) as a sequence of its own, with its chords.
NoteSequence one_sample(const NoteSequence& all, ModelKind kind, const std::vector<Tokens>& windows, size_t i, size_t per_sample,
                        double qpm) {
  const std::vector<Tokens> own(windows.begin() + long(i * per_sample), windows.begin() + long((i + 1) * per_sample));
  NoteSequence seq = windows_to_sequence(kind, own, qpm);
  const double beats = double(per_sample * own.front().size()) / 4, from = double(i) * beats;
  std::vector<ChordSpan> chords;
  for (ChordSpan c : chord_spans(all))
    if (c.start_beat >= from - 1e-9 && c.start_beat < from + beats - 1e-9) {
      c.start_beat -= from;
      c.end_beat = std::min(c.end_beat - from, beats);
      chords.push_back(c);
    }
  set_chords(seq, chords);
  return seq;
}

void run(const SampleFlags& o) {
  name_flag("melody_model", "--model");
  name_flag("chord_melody_model", "--model");
  name_flag("chords", "--chords");
  name_flag("draw", "--draw");
  name_flag("temperature", "--temperature");
  EngineOptions params;
  (o.chords.empty() ? params.melody_model : params.chord_melody_model) = o.model;
  Engine engine(params);
  SampleOptions request;
  request.count = size_t(std::max(o.n, 0));
  request.seed = o.seed;
  request.temperature = o.temperature;
  request.standard_prior = o.standard_prior;
  if (!o.draw.empty()) request.draw = parse_step_draw(o.draw);
  request.qpm = o.qpm;
  if (!o.chords.empty()) request.chords = parse_progression(o.chords);
  const MusicVae& model = o.chords.empty() ? engine.melody_model() : engine.chord_melody_model();
  if (!o.z_file.empty()) {
    const NpyArray a = read_npy(o.z_file);
    const int64_t zs = model.info().z_size;
    const bool ok = (a.shape.size() == 1 && a.shape[0] == zs) || (a.shape.size() == 2 && a.shape[1] == zs && a.shape[0] > 0);
    if (!ok) throw Error(o.z_file, "expected shape [" + std::to_string(zs) + "] or [N, " + std::to_string(zs) + "]");
    request.z = a.data;
  } else if (o.n < 1) {
    throw Error("-n", "must be 1..100000");
  }
  const size_t count = request.z.empty() ? request.count : request.z.size() / size_t(model.info().z_size);
  if (o.split)
    for (size_t i = 0; i < count; ++i) refuse_existing_output(numbered(o.out, i));
  else
    refuse_existing_output(o.out);
  std::vector<Tokens> windows;
  const NoteSequence all = engine.sample(request, &windows);
  if (o.split) {
    const size_t per_sample = windows.size() / count;
    for (size_t i = 0; i < count; ++i) write_midi(one_sample(all, model.info().kind, windows, i, per_sample, o.qpm), numbered(o.out, i));
  } else {
    write_midi(all, o.out);
  }
}

}  // namespace

void add_sample(CLI::App& app, Status&) {
  auto o = std::make_shared<SampleFlags>();
  auto* cmd = app.add_subcommand("sample", "Sample 2-bar melodies or drum patterns from a MusicVAE");
  cmd->add_option("--model,-m", o->model, "Model folder, TF.js or deeplearn.js checkpoint folder (default: the bundled models/melody-2bar)");
  cmd->add_option("-n", o->n, "Number of samples (ignored with --z-file)")->default_val(1);
  cmd->add_option("--temperature,-t", o->temperature, "Softmax temperature; 0 = argmax (default: the model card's, else 0.5)")
      ->check(CLI::Range(0.0, 10.0));
  cmd->add_option("--draw", o->draw,
                  "How the temperature draws each step: per_decision (whether it starts a note, holds or ends one, then which note), "
                  "keep_density (whether it starts a note at temperature 1) or flat (all classes at once, as Magenta samples); "
                  "default: the model card's (for Magenta's checkpoints: flat, keep_density over chords)");
  cmd->add_option("--seed", o->seed, "Random seed for z and sampling")->default_val(0);
  cmd->add_option("--z-file", o->z_file, "NumPy .npy float32 of shape [z] or [N, z]: decode these latents");
  cmd->add_option("--qpm", o->qpm, "Tempo of the written MIDI")->default_val(120.0);
  cmd->add_flag("--standard-prior", o->standard_prior,
                "Draw z from N(0, 1) even when the model card has a fitted latent_prior");
  cmd->add_option("--chords", o->chords,
                  "A progression (\"C G Am F\": bars by spaces, \"C Am,G7\": two chords in a bar): each sample is one latent of the "
                  "chord-conditioned model (--model; default: the bundled models/melody-chords-2bar) played over all of it, with the chords written in");
  cmd->add_flag("--split", o->split, "One file per sample: OUT_0.mid, OUT_1.mid, ...");
  cmd->add_option("-o,--output", o->out, "Output MIDI file (the samples one after another)")->required();
  cmd->footer("Examples:\n  timbrel sample --model models/melody-2bar -n 4 --temperature 0.5 --seed 1 -o melodies.mid\n"
              "  timbrel sample --chords \"C G Am F\" -n 2 --seed 1 -o over-chords.mid");
  cmd->callback([o] { run(*o); });
}

}  // namespace timbrel::cli
