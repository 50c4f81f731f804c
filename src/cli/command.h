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
void add_generate(CLI::App& app, Status& status);
void add_play(CLI::App& app, Status& status);
// `eval song` (registered by add_eval).
void add_eval_song(CLI::App& eval);

// "timbrel: <subject>: <problem>" on stderr.
void print_error(const std::string& message);

}  // namespace timbrel::cli
