// timbrel train melody|drums: train (or fine-tune) a MusicVAE on a folder of MIDI files.
// timbrel train timbre: train the GANSynth timbre generator on a note set.
// timbrel train melody-rnn|drums-rnn: train a primer-continuation RNN on folders of MIDI files.
#include <cmath>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <type_traits>

#include <nlohmann/json.hpp>

#include "command.h"
#include "paths.h"
#include "timbrel/error.h"
#include "timbrel/train.h"

namespace timbrel::cli {

namespace {

// --resume continues the run as it was: the optimiser settings the checkpoint's card records,
// except those given on this command line.
void resume_settings(const CLI::App& cmd, MusicVaeTrainOptions& o) {
  const std::string card_path = o.out_dir + "/checkpoint/model.json";
  std::ifstream in(card_path);
  if (!in) return;  // nothing to resume: the trainer starts afresh, as without --resume
  nlohmann::json card;
  try {
    card = nlohmann::json::parse(in);
  } catch (const nlohmann::json::exception& e) {
    throw Error(card_path, std::string("is not valid JSON: ") + e.what());
  }
  if (!card.is_object()) throw Error(card_path, "is not a model card (a JSON object)");
  auto keep = [&](const char* flag, const char* block, const char* key, auto& value) {
    const CLI::Option* option = cmd.get_option_no_throw(flag);
    if (!option || option->count() > 0 || !card.contains(block) || !card[block].is_object()) return;
    const nlohmann::json& v = card[block].value(key, nlohmann::json());
    using T = std::decay_t<decltype(value)>;
    if (std::is_integral_v<T> ? v.is_number_integer() : v.is_number()) value = v.get<T>();
  };
  keep("--batch", "training", "batch", o.batch);
  keep("--lr", "training", "learning_rate", o.learning_rate);
  keep("--decay", "training", "decay_rate", o.decay_rate);
  keep("--clip", "training", "clip_norm", o.clip_norm);
  keep("--sampling-rate", "training", "sampling_rate", o.sampling_rate);
  keep("--gap-bars", "data", "gap_bars", o.gap_bars);
}

void add_train_musicvae(CLI::App& train, const std::string& kind) {
  auto o = std::make_shared<MusicVaeTrainOptions>();
  o->kind = parse_model_kind(kind);
  auto* cmd = train.add_subcommand(kind, "Train a MusicVAE " + kind + " model on MIDI files");
  cmd->add_option("--data", o->data_dirs,
                  "Folder of MIDI files (repeatable: each folder is split by file and scored on its own; drums: a Groove-style "
                  "info.csv gives the split)")
      ->required();
  cmd->add_option("--out,-o", o->out_dir, "Model folder to write (checkpoints go to OUT/checkpoint)")->required();
  cmd->add_option("--from", o->from, "Start from this model (model folder, TF.js or deeplearn.js checkpoint); with --bars > 2, a flat model gives the new hierarchical model its bar decoder and per-bar encoder");
  cmd->add_flag("--freeze-decoder", o->freeze_decoder, "Train only the encoder (completes a decoder-only checkpoint)");
  if (kind == "melody")
    cmd->add_flag("--chords", o->chords,
                  "2-bar melodies over their chords (Magenta's mel_chords): chord text events in each file, else NAME.csv beside it "
                  "or ../chords/NAME.csv; --from an unconditioned model widens it");
  if (kind == "melody")
    cmd->add_option("--gap-bars", o->gap_bars,
                    "End melodies at rests of this many bars (Magenta: 1), so no window spans an interlude without melody; "
                    "0 = windows span rests (default)")
        ->default_val(0)->check(CLI::Range(0.0, 64.0));
  cmd->add_flag("--resume", o->resume, "Continue from OUT/checkpoint, with its batch, --lr, --decay, --clip, --sampling-rate and --gap-bars unless given");
  cmd->add_option("--steps", o->max_steps, "Stop after this many steps (total, with --resume)");
  cmd->add_option("--minutes", o->minutes, "Stop after this many minutes of this run");
  cmd->add_option("--free-bits", o->free_bits, "KL free bits (default: melody 0, drums 48)");
  cmd->add_option("--max-beta", o->max_beta, "Final KL weight (default 0.2)");
  cmd->add_option("--beta-rate", o->beta_rate, "beta = (1 - rate^step) max_beta (default 0.99999)");
  cmd->add_option("--batch", o->batch, "Batch size")->default_val(64);
  cmd->add_option("--lr", o->learning_rate, "Initial learning rate")->default_val(1e-3);
  cmd->add_option("--decay", o->decay_rate, "Learning-rate decay per step")->default_val(0.9999);
  cmd->add_option("--clip", o->clip_norm, "Global gradient-norm clipping")->default_val(1.0);
  cmd->add_option("--z-size", o->z_size, "Latent size when training from scratch (default 256)");
  cmd->add_option("--encoder", o->encoder, "Encoder LSTM sizes per direction (default 512)");
  cmd->add_option("--decoder", o->decoder, "Decoder LSTM sizes (default 256 256)");
  cmd->add_option("--bars", o->bars, "Window length: 2 (a flat model), or 4..64 for a hierarchical model (a conductor per bar)")
      ->default_val(2);
  cmd->add_option("--conductor", o->conductor, "Conductor LSTM sizes of a hierarchical model (default 256)");
  auto* bar_encoder = cmd->add_option("--bar-encoder", o->bar_encoder,
                                      "Hierarchical model: sizes of the encoder LSTM over the bars (default 256; --encoder then runs per bar)");
  cmd->add_flag("--flat-encoder", o->flat_encoder, "Hierarchical model: one encoder over all steps (Magenta's hierdec; 7x slower to train here)")
      ->excludes(bar_encoder);
  cmd->add_option("--sampling-rate", o->sampling_rate, "Scheduled sampling, inverse-sigmoid rate (Magenta: 1000); 0 = off")->default_val(0);
  cmd->add_option("--transpose", o->transpose, "Augmentation range in semitones (default: 5 for melodies, 0 for drums)");
  cmd->add_option("--validation", o->validation_fraction, "Fraction of files held out (without info.csv)")->default_val(0.1);
  cmd->add_option("--checkpoint-every", o->checkpoint_every, "Steps between checkpoints")->default_val(500);
  cmd->add_option("--threads", o->threads, "Torch threads")->default_val(1);
  cmd->add_option("--seed", o->seed, "Random seed")->default_val(0);
  cmd->add_flag("--float16", o->float16, "Store the final weights as float16");
  cmd->add_option("--data-licence", o->data_licence, "Licence of the training data, for the model card");
  cmd->footer("Examples:\n  timbrel train melody --data ../shared/data/melodies/nottingham --out models/melody-2bar --minutes 40\n"
              "  timbrel train melody --from ../shared/models-ext/musicvae_mel_2bar_small/dljs --freeze-decoder \\\n"
              "      --data my_tunes/ --out mel_small_complete --steps 2000");
  cmd->callback([o, cmd] {
    if (!o->resume) refuse_existing_output(o->out_dir, "model.json");
    if (o->resume) resume_settings(*cmd, *o);
    name_flag("chords", "--chords");
    name_flag("freeze_decoder", "--freeze-decoder");
    o->log = stderr_log();
    o->progress = stderr_progress();
    auto r = train_musicvae(*o);
    std::cout << "trained " << r.steps << " steps in " << int(r.seconds) << " s; validation token_accuracy "
              << r.validation_accuracy << " over " << r.validation_windows << " windows; model in " << o->out_dir << std::endl;
    if (r.corpora.size() > 1)
      for (const auto& c : r.corpora)
        std::cout << "  held out of " << c.folder << ": " << c.validation_files << " files, " << c.validation_windows
                  << " windows, token_accuracy " << c.validation_accuracy << std::endl;
  });
}

// --preset-weight NAME=W (the name may itself hold '=': the last one splits).
std::string preset_weight_name(const std::string& text) {
  const size_t eq = text.rfind('=');
  if (eq == std::string::npos || eq == 0) throw Error("--preset-weight " + text, "expected NAME=W, e.g. Standard=8");
  return text.substr(0, eq);
}

double preset_weight_value(const std::string& text) {
  const std::string value = text.substr(text.rfind('=') + 1);
  char* end = nullptr;
  const double w = std::strtod(value.c_str(), &end);
  if (value.empty() || *end != '\0' || !(w > 0) || !std::isfinite(w)) throw Error("--preset-weight " + text, "W must be a positive number");
  return w;
}

void add_train_timbre(CLI::App& train) {
  auto o = std::make_shared<TimbreTrainOptions>();
  auto* cmd = train.add_subcommand("timbre", "Train the GANSynth timbre generator on a note set (timbrel dataset notes)");
  cmd->add_option("--data", o->data_dir, "Note set folder")->required();
  cmd->add_option("--out,-o", o->out_dir, "Model folder to write (checkpoints go to OUT/checkpoint)")->required();
  cmd->add_flag("--resume", o->resume, "Continue from OUT/checkpoint");
  cmd->add_option("--from", o->from, "Fine-tune this model folder (its weights and preset embeddings; a fresh optimiser)");
  cmd->add_option("--steps", o->max_steps, "Stop after this many steps (total, with --resume)");
  cmd->add_option("--minutes", o->minutes, "Stop after this many minutes of this run");
  cmd->add_option("--channels", o->channels, "Widths of blocks 1..7 (default 64,64,64,64,32,16,8 = 1/4 of GANSynth)")->delimiter(',');
  cmd->add_option("--latent", o->latent_size, "Timbre latent size")->default_val(256);
  cmd->add_option("--time-depth-blocks", o->time_depth_blocks, "Last K blocks double frequency only; time by depth-to-space")->default_val(2);
  cmd->add_flag("!--no-pitch-template", o->pitch_template, "Without the learned per-pitch output bias");
  cmd->add_option("--batch", o->batch, "Batch size")->default_val(16);
  cmd->add_option("--lr", o->learning_rate, "Peak learning rate (cosine decay to 10% over the run)")->default_val(1e-3);
  cmd->add_option("--template-lr-scale", o->template_lr_scale, "Pitch-template learning rate / lr")->default_val(20);
  cmd->add_option("--if-weight", o->if_weight, "Weight of the IF loss")->default_val(1.0);
  cmd->add_option("--loud-weight", o->loud_weight, "Magnitude error weighted by 1 + K x loudness (drum hits, harmonics; 0 = plain L1)")->default_val(0);
  cmd->add_option("--lin-weight", o->linear_weight,
                  "Weight of the spectral convergence of linear magnitudes (loud partials, bright or dull notes; 0 = off)")
      ->default_val(0)
      ->check(CLI::NonNegativeNumber);
  cmd->add_option("--band-weight", o->band_weight,
                  "Weight of the L1 on log band-energy envelopes (spectral balance over time: bright or dull attacks; 0 = off)")
      ->default_val(0)
      ->check(CLI::NonNegativeNumber);
  cmd->add_option("--band-floor", o->band_floor_db, "How far below a note's loudest bin (dB) the band and flux terms look")
      ->default_val(70)
      ->check(CLI::Range(20.0, 200.0));
  cmd->add_option("--flux-weight", o->flux_weight,
                  "Weight of the L1 on frame-to-frame changes of the log band energies (decays drawn in steps, clicks; 0 = off)")
      ->default_val(0)
      ->check(CLI::NonNegativeNumber);
  auto weights = std::make_shared<std::vector<std::string>>();
  cmd->add_option("--preset-weight", *weights, "NAME=W: draw this preset's notes W times as often (repeatable), e.g. Standard=8");
  cmd->add_option("--validate-every", o->validate_every, "Steps between validation losses")->default_val(250);
  cmd->add_option("--checkpoint-every", o->checkpoint_every, "Steps between checkpoints")->default_val(250);
  cmd->add_option("--threads", o->threads, "Torch threads")->default_val(2);
  cmd->add_option("--seed", o->seed, "Random seed")->default_val(0);
  cmd->add_flag("--float16", o->float16, "Store the final weights as float16");
  cmd->add_option("--data-licence", o->data_licence, "Licence of the training data, for the model card");
  cmd->footer("Example:\n  timbrel dataset notes --soundfont /usr/share/sounds/sf2/FluidR3_GM.sf2 -o notes/fluidr3\n"
              "  timbrel train timbre --data notes/fluidr3 --out models/my-timbres --minutes 60\n"
              "  timbrel note --model models/my-timbres --timbre preset:Flute --pitch 72 -o flute.wav");
  cmd->callback([o, weights] {
    if (!o->resume) refuse_existing_output(o->out_dir, "model.json");
    for (const auto& w : *weights) o->preset_weights[preset_weight_name(w)] = preset_weight_value(w);
    o->log = stderr_log();
    o->progress = stderr_progress();
    auto r = train_timbre(*o);
    std::cout << "trained " << r.steps << " steps in " << int(r.seconds) << " s on " << r.train_notes << " notes of " << r.presets
              << " presets; loss " << r.first_loss << " -> " << r.last_loss << ", validation loss " << r.validation_loss
              << "; model in " << o->out_dir << std::endl;
  });
}

void add_train_ddsp(CLI::App& train) {
  auto o = std::make_shared<DdspTrainOptions>();
  auto* cmd = train.add_subcommand("ddsp", "Train a DDSP decoder (harmonic + noise synthesis) on a note set (timbrel dataset notes)");
  cmd->add_option("--data", o->data_dir, "Note set folder (SoundFont notes or recordings)")->required();
  cmd->add_option("--out,-o", o->out_dir, "Model folder to write (checkpoints go to OUT/checkpoint)")->required();
  cmd->add_flag("--resume", o->resume, "Continue from OUT/checkpoint");
  cmd->add_option("--steps", o->max_steps, "Stop after this many steps (total, with --resume)");
  cmd->add_option("--minutes", o->minutes, "Stop after this many minutes of this run");
  cmd->add_option("--channels", o->channels, "Decoder width")->default_val(96)->check(CLI::Range(8, 1024));
  cmd->add_option("--layers", o->layers, "Dilated layers (dilation 1, 2, 4, ...)")->default_val(8)->check(CLI::Range(1, 16));
  cmd->add_option("--embedding", o->embedding, "Size of each preset's learned embedding")->default_val(16)->check(CLI::Range(1, 256));
  cmd->add_option("--batch", o->batch, "Crops per step")->default_val(16);
  cmd->add_option("--crop", o->crop_seconds, "Seconds per training crop")->default_val(1.0);
  cmd->add_option("--harmonic-warmup", o->harmonic_warmup_steps, "First steps trained through the harmonic synthesizer alone (noise off)")
      ->default_val(300);
  cmd->add_option("--lr", o->learning_rate, "Peak learning rate (cosine decay to 10% over the run)")->default_val(1e-3);
  cmd->add_option("--validate-every", o->validate_every, "Steps between validation losses")->default_val(200);
  cmd->add_option("--checkpoint-every", o->checkpoint_every, "Steps between checkpoints")->default_val(200);
  cmd->add_option("--threads", o->threads, "Torch threads")->default_val(2);
  cmd->add_option("--seed", o->seed, "Random seed")->default_val(0);
  cmd->add_option("--data-licence", o->data_licence, "Licence of the training data, for the model card");
  cmd->footer("Example:\n  timbrel train ddsp --data notes/fluidr3 --out models/my-ddsp --minutes 60\n"
              "  timbrel render song.mid -o song.wav --engine ddsp --ddsp-model models/my-ddsp");
  cmd->callback([o] {
    if (!o->resume) refuse_existing_output(o->out_dir, "model.json");
    o->log = stderr_log();
    o->progress = stderr_progress();
    auto r = train_ddsp(*o);
    std::cout << "trained " << r.steps << " steps in " << int(r.seconds) << " s on " << r.train_notes << " notes of " << r.presets
              << " presets; loss " << r.first_loss << " -> " << r.last_loss << ", validation loss " << r.validation_loss
              << "; model in " << o->out_dir << std::endl;
  });
}

void add_train_event_rnn(CLI::App& train, const std::string& kind) {
  auto o = std::make_shared<EventRnnTrainOptions>();
  o->kind = parse_model_kind(kind);
  const std::string name = kind + "-rnn";
  auto* cmd = train.add_subcommand(name, std::string(kind == "melody" ? "Train a Melody RNN" : "Train a Drums RNN") +
                                             " (Magenta's lookback configuration) for `timbrel continue`");
  cmd->add_option("--data", o->data_dirs, "Folders of MIDI files, each split by file and reported on its own (repeatable)")
      ->required();
  cmd->add_option("--out,-o", o->out_dir, "Model folder to write (checkpoints go to OUT/checkpoint)")->required();
  cmd->add_flag("--resume", o->resume, "Continue from OUT/checkpoint");
  cmd->add_option("--from", o->from, "Start from this model folder (e.g. the bundled one; a fresh optimiser)");
  if (kind == "melody")
    cmd->add_flag("--chords", o->chords,
                  "Melodies over their chords (ImprovRNN): chord text events in each file, else NAME.csv beside it or ../chords/NAME.csv");
  cmd->add_option("--steps", o->max_steps, "Stop after this many steps (total, with --resume)");
  cmd->add_option("--minutes", o->minutes, "Stop after this many minutes of this run");
  cmd->add_option("--layers", o->layers, "LSTM sizes (default: melody 128,128; drums 256,256,256; with --from: its own)")->delimiter(',');
  cmd->add_option("--dropout", o->dropout, "Dropout after each LSTM layer")->default_val(0.5)->check(CLI::Range(0.0, 0.95));
  cmd->add_option("--batch", o->batch, "Batch size")->default_val(64);
  cmd->add_option("--window", o->window_steps, "Sixteenth steps per training sequence (a multiple of 32)")->default_val(128);
  cmd->add_option("--lr", o->learning_rate, "Adam learning rate")->default_val(1e-3);
  cmd->add_option("--clip", o->clip_norm, "Global gradient-norm clipping")->default_val(3.0);
  cmd->add_option("--transpose", o->transpose, "Augmentation range in semitones (default: 5 for melodies, 0 for drums)");
  cmd->add_option("--validation", o->validation_fraction, "Fraction of files held out (without info.csv)")->default_val(0.1);
  cmd->add_option("--checkpoint-every", o->checkpoint_every, "Steps between checkpoints")->default_val(250);
  cmd->add_option("--threads", o->threads, "Torch threads")->default_val(1);
  cmd->add_option("--seed", o->seed, "Random seed")->default_val(0);
  cmd->add_option("--data-licence", o->data_licence, "Licence of the training data, for the model card");
  cmd->footer(kind == "melody" ? "Example:\n  timbrel train melody-rnn --data ../shared/data/melodies/nottingham --data ../shared/data/melodies/openewld/midi \\\n"
                                 "      --out models/melody-rnn --minutes 60\n  timbrel continue primer.mid --model models/melody-rnn --bars 8 -o out.mid\n"
                                 "  timbrel train melody-rnn --chords --from models/melody-rnn --data my_lead_sheets --out my-improv-rnn --minutes 20"
                               : "Example:\n  timbrel train drums-rnn --data ../shared/data/drums/groove --out models/drums-rnn --minutes 60\n"
                                 "  timbrel continue beat.mid --model models/drums-rnn --bars 4 -o more.mid");
  cmd->callback([o] {
    if (!o->resume) refuse_existing_output(o->out_dir, "model.json");
    o->log = stderr_log();
    o->progress = stderr_progress();
    auto r = train_event_rnn(*o);
    std::cout << "trained " << r.steps << " steps in " << int(r.seconds) << " s on " << r.train_windows << " windows; model in "
              << o->out_dir << std::endl;
    for (const auto& s : r.validation)
      std::cout << "  held out of " << s.folder << ": " << s.files << " files, " << s.windows << " windows, next-event accuracy "
                << s.accuracy << ", log-perplexity " << s.log_perplexity << std::endl;
  });
}

}  // namespace

void add_train(CLI::App& app, Status&) {
  auto* train = app.add_subcommand("train", "Train models: MusicVAE (melody, drums), RNNs, the timbre generator or a DDSP decoder");
  train->require_subcommand(1);
  add_train_musicvae(*train, "melody");
  add_train_musicvae(*train, "drums");
  add_train_timbre(*train);
  add_train_ddsp(*train);
  add_train_event_rnn(*train, "melody");
  add_train_event_rnn(*train, "drums");
  add_train_drum_highs(*train);
  add_train_harmony(*train);
  add_train_groove(*train);
}

}  // namespace timbrel::cli
