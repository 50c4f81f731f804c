#pragma once
// Each subcommand lives in its own file and registers itself on the app through one of these.
#include <CLI/CLI.hpp>

namespace timbrel::cli {

// Commands report failures that should not stop the others (e.g. one bad file of several) here;
// main() returns it.
struct Status {
  int exit_code = 0;
};

void add_info(CLI::App& app, Status& status);
void add_inspect(CLI::App& app, Status& status);
void add_sample(CLI::App& app, Status& status);
void add_interpolate(CLI::App& app, Status& status);
void add_eval(CLI::App& app, Status& status);
void add_train(CLI::App& app, Status& status);
void add_convert(CLI::App& app, Status& status);
void add_resynth(CLI::App& app, Status& status);
void add_spectrogram(CLI::App& app, Status& status);
void add_bench(CLI::App& app, Status& status);
void add_note(CLI::App& app, Status& status);
void add_morph(CLI::App& app, Status& status);
void add_dataset(CLI::App& app, Status& status);
void add_render(CLI::App& app, Status& status);
void add_render_batch(CLI::App& app, Status& status);
void add_generate(CLI::App& app, Status& status);
void add_play(CLI::App& app, Status& status);
void add_continue(CLI::App& app, Status& status);
void add_chords(CLI::App& app, Status& status);
void add_harmonize(CLI::App& app, Status& status);
void add_arrange(CLI::App& app, Status& status);
void add_roll(CLI::App& app, Status& status);
void add_humanize(CLI::App& app, Status& status);
void add_drumify(CLI::App& app, Status& status);
// `eval song` (registered by add_eval).
void add_eval_song(CLI::App& eval);
// `eval melody-rnn|drums-rnn` (registered by add_eval).
void add_eval_rnn(CLI::App& eval, const std::string& kind);
void add_eval_structure(CLI::App& eval);
// `train drum-highs` (registered by add_train).
void add_train_drum_highs(CLI::App& train);
// `train harmony` and `eval harmony` (harmonize.cpp).
void add_train_harmony(CLI::App& train);
void add_eval_harmony(CLI::App& eval);
// `train groove` and `eval groove` (groove.cpp).
void add_train_groove(CLI::App& train);
void add_eval_groove(CLI::App& eval);
// `eval arrangement` and `eval parts` (arrange.cpp).
void add_eval_arrangement(CLI::App& eval);
void add_eval_parts(CLI::App& eval);

// "timbrel: <subject>: <problem>" on stderr.
void print_error(const std::string& message);

// The library's lines for stderr: `stderr_progress` redraws one line in place on a terminal (and
// is empty elsewhere: the library then logs every Nth progress line itself); `stderr_log` prints
// a line, below a pending progress line.
std::function<void(const std::string&)> stderr_log(const std::string& prefix = "");
std::function<void(const std::string&)> stderr_progress(const std::string& prefix = "");

// Library errors name parameters (EngineOptions::timbre_model, SongOptions::bars, ...); the CLI
// reports the flag that sets each. A command whose flag differs renames it (sample's --model sets
// melody_model) before it runs.
void name_flag(const std::string& parameter, const std::string& flag);
// "bars 7" -> "--bars 7" (the first word, when it is a parameter with a flag); else unchanged.
std::string flag_subject(const std::string& subject);

}  // namespace timbrel::cli
