// timbrel humanize, drumify (GrooVAE), train groove.
#include <iostream>

#include "command.h"
#include "paths.h"
#include "timbrel/bundled_models.h"
#include "timbrel/error.h"
#include "timbrel/evaluate.h"
#include "timbrel/groove.h"
#include "timbrel/music.h"
#include "timbrel/train.h"

namespace timbrel::cli {
namespace {

std::string model_or_bundled(const std::string& given, const std::string& name) { return given.empty() ? bundled_model_path(name) : given; }

struct GrooveCommand {
  std::string in, out, model, groove_from;
  double qpm = 0;
  GrooveOptions options;
};

// The model's options; returned so that --groove-from can exclude them.
std::vector<CLI::Option*> add_common(CLI::App* cmd, GrooveCommand& c, const std::string& what, const std::string& bundled) {
  cmd->add_option("input", c.in, what)->required()->check(CLI::ExistingFile);
  cmd->add_option("-o,--output", c.out, "MIDI file to write")->required();
  return {cmd->add_option("--model,-m", c.model, "Model folder (default: the bundled models/" + bundled + ")"),
          cmd->add_option("--seed", c.options.seed, "Seed of the performance (another seed, another take)")->capture_default_str(),
          cmd->add_option("--temperature", c.options.temperature, "Spread of the latent around the encoder's reading (0: its mean)")
              ->capture_default_str()};
}

void write_result(const GrooveCommand& c, const NoteSequence& seq, const std::string& what) {
  write_midi(seq, c.out);
  std::cout << "wrote " << c.out << ": " << seq.notes.size() << " notes, " << what << std::endl;
}

}  // namespace

void add_humanize(CLI::App& app, Status&) {
  auto c = std::make_shared<GrooveCommand>();
  auto* cmd = app.add_subcommand("humanize", "Play a quantized drum beat as a drummer would (GrooVAE): microtiming and velocities");
  const std::vector<CLI::Option*> model_options = add_common(cmd, *c, "MIDI file of the beat (drums on channel 10)", "groove-humanize");
  auto* from = cmd->add_option("--groove-from", c->groove_from,
                               "Take the feel of this performance (MIDI) instead of the model's: its timing and velocities per step of the bar")
                   ->check(CLI::ExistingFile);
  for (CLI::Option* o : model_options) from->excludes(o);
  cmd->footer("Examples:\n  timbrel humanize beat.mid -o played.mid\n  timbrel humanize beat.mid -o played.mid --groove-from drummer.mid");
  cmd->callback([c] {
    refuse_to_overwrite_input(c->in, c->out);
    refuse_existing_output(c->out);
    const NoteSequence beat = read_midi(c->in);
    if (!c->groove_from.empty()) return write_result(*c, transfer_groove(beat, read_midi(c->groove_from)), "the feel of " + c->groove_from);
    write_result(*c, humanize(GrooveModel::load(model_or_bundled(c->model, "groove-humanize")), beat, c->options), "humanized");
  });
}

void add_drumify(CLI::App& app, Status&) {
  auto c = std::make_shared<GrooveCommand>();
  auto* cmd = app.add_subcommand("drumify", "A drum beat in the rhythm of taps (GrooVAE tap-to-drums): any notes, one key or several");
  add_common(cmd, *c, "MIDI file of the taps (its tempo sets the grid)", "groove-drumify");
  cmd->add_option("--threshold", c->options.hit_threshold, "Hit probability above which a drum plays")->capture_default_str();
  cmd->add_option("--qpm", c->qpm, "The tempo you tapped to, when the file's is not it (the grid and the beat's tempo)")
      ->check(CLI::PositiveNumber);
  cmd->footer("Example:\n  timbrel drumify taps.mid -o beat.mid");
  cmd->callback([c] {
    refuse_to_overwrite_input(c->in, c->out);
    refuse_existing_output(c->out);
    NoteSequence taps = read_midi(c->in);
    if (c->qpm > 0) taps.tempos = {{0.0, c->qpm}};  // the notes keep their times; the grid is the given tempo's
    write_result(*c, drumify(GrooveModel::load(model_or_bundled(c->model, "groove-drumify")), taps, c->options), "drumified");
  });
}

void add_train_groove(CLI::App& train) {
  auto o = std::make_shared<GrooveTrainOptions>();
  auto* cmd = train.add_subcommand("groove", "Train a GrooVAE (humanize or drumify) on drum performances");
  cmd->add_option("--task", o->task, "humanize (quantized beat -> performance) or drumify (taps -> beat)")
      ->check(CLI::IsMember({"humanize", "drumify"}))
      ->capture_default_str();
  cmd->add_option("--data", o->data_dirs, "Folder of drum MIDI performances (repeatable; Groove MIDI's info.csv gives its split)")->required();
  cmd->add_option("--out,-o", o->out_dir, "Model folder to write (checkpoints go to OUT/checkpoint)")->required();
  cmd->add_option("--from", o->from, "Start from this groove model folder (e.g. models/groove-humanize): your feel adjusts it (at a fifth of --lr)")
      ->check(CLI::ExistingDirectory);
  cmd->add_flag("--resume", o->resume, "Continue from OUT/checkpoint");
  cmd->add_option("--steps", o->max_steps, "Stop after this many steps (total, with --resume)");
  cmd->add_option("--minutes", o->minutes, "Stop after this many minutes of this run");
  cmd->add_option("--batch", o->batch, "Batch size")->capture_default_str();
  cmd->add_option("--lr", o->learning_rate, "Initial learning rate")->capture_default_str();
  cmd->add_option("--decay", o->decay_rate, "Learning-rate decay per step")->capture_default_str();
  cmd->add_option("--z-size", o->z_size, "Latent size (from scratch)")->capture_default_str();
  cmd->add_option("--max-beta", o->max_beta, "KL weight")->capture_default_str();
  cmd->add_option("--free-bits", o->free_bits, "KL free bits")->capture_default_str();
  cmd->add_option("--validation", o->validation_fraction, "Fraction of files held out (without info.csv)")->capture_default_str();
  cmd->add_option("--checkpoint-every", o->checkpoint_every, "Steps between checkpoints")->capture_default_str();
  cmd->add_option("--threads", o->threads, "Torch threads")->capture_default_str();
  cmd->add_option("--seed", o->seed, "Random seed")->capture_default_str();
  cmd->add_option("--data-licence", o->data_licence, "Licence of the training data, for the model card");
  cmd->footer("Examples:\n  timbrel train groove --data ../shared/data/drums/groove --out my-humanize --minutes 60\n"
              "  timbrel train groove --data my_performances/ --from models/groove-humanize --out my-feel --steps 500");
  cmd->callback([o] {
    if (!o->resume) refuse_existing_output(o->out_dir, "model.json");
    o->log = stderr_log();
    o->progress = stderr_progress();
    const GrooveTrainReport r = train_groove(*o);
    std::cout << "trained " << r.steps << " steps in " << int(r.seconds) << " s on " << r.train_windows << " windows; loss " << r.first_loss
              << " -> " << r.last_loss << ", validation loss " << r.validation_loss << " over " << r.validation_windows << " windows; model in "
              << o->out_dir << std::endl;
  });
}

void add_eval_groove(CLI::App& eval) {
  auto o = std::make_shared<GrooveEvalOptions>();
  auto* cmd = eval.add_subcommand("groove", "Humanize or drumify against held-out drummers, beside baselines (JSON)");
  cmd->add_option("--task", o->task, "humanize or drumify")->check(CLI::IsMember({"humanize", "drumify"}))->capture_default_str();
  cmd->add_option("--data", o->data, "Folder of drum performances (Groove MIDI: its test split)")->required()->check(CLI::ExistingDirectory);
  cmd->add_option("--model,-m", o->model, "Groove model folder (default: the bundled groove-humanize / groove-drumify)");
  cmd->add_option("--baseline", o->baseline_model, "drumify: the drums MusicVAE beside it (default: the bundled drums-2bar)");
  cmd->add_option("--seed", o->seed, "Seed of the performances")->capture_default_str();
  cmd->add_option("--temperature", o->temperature, "As humanize's --temperature")->capture_default_str();
  cmd->add_option("--validation", o->validation_fraction, "Fraction of files held out (without info.csv)")->capture_default_str();
  cmd->footer("Examples:\n  timbrel eval groove --data ../shared/data/drums/groove\n  timbrel eval groove --task drumify --data ../shared/data/drums/groove");
  cmd->callback([o] { std::cout << evaluate_groove(*o) << std::endl; });
}

}  // namespace timbrel::cli
