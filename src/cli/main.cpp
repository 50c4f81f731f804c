// timbrel: symbolic music -> neural-timbre audio. One binary, one file per subcommand.
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <exception>
#include <functional>
#include <iostream>
#include <map>

#include "command.h"
#include "paths.h"
#include "timbrel/system.h"
#include "timbrel/build_config.h"
#include "timbrel/error.h"

namespace timbrel::cli {
namespace {
bool g_progress_pending = false;  // a progress line is on screen without its newline
void end_progress_line() {
  if (g_progress_pending) std::cerr << "\n";
  g_progress_pending = false;
}
}  // namespace

void print_error(const std::string& message) {
  end_progress_line();
  std::cerr << "timbrel: " << message << std::endl;
}

std::function<void(const std::string&)> stderr_log(const std::string& prefix) {
  return [prefix](const std::string& line) {
    end_progress_line();
    std::cerr << prefix << line << std::endl;
  };
}

std::function<void(const std::string&)> stderr_progress(const std::string& prefix) {
  if (!::isatty(2)) return {};
  return [prefix](const std::string& line) {
    std::cerr << "\r" << prefix << line << "\033[K" << std::flush;
    g_progress_pending = true;
  };
}

namespace {
std::map<std::string, std::string>& flag_names() {
  static std::map<std::string, std::string> names = {
      {"timbre_model", "--model"}, {"drum_model", "--drum-model"}, {"melody_model", "--melody-model"},
      {"groove_model", "--groove-model"}, {"device", "--device"}, {"precision", "--precision"},
      {"threads", "--threads"}, {"velocity", "--velocity"}, {"z", "--z-file"}, {"count", "-n"},
      {"steps", "--steps"}, {"window", "--bar"}, {"bars", "--bars"}, {"pitch", "--pitch"},
      {"temperature", "--temperature"}, {"sample_format", "--bit-depth"}, {"sample_rate", "--sample-rate"},
      {"batch", "--batch"}, {"attack/release", "--attack/--release"}, {"pad", "--pad"}, {"corners", "--corners"},
      {"timbres", "--timbre"}, {"out_dir", "--out"}, {"max_steps", "--steps"}, {"freeze_decoder", "--freeze-decoder"},
      {"channels", "--channels"}, {"time_depth_blocks", "--time-depth-blocks"}, {"pitches", "--pitches"},
      {"velocities", "--velocities"}, {"phase", "--phase"}, {"iterations", "--iterations"}, {"midi_api", "--midi-api"},
      {"midi_port", "--midi-in"}, {"audio_device", "--device"},
      {"soundfonts", "--soundfont"}, {"from_wavs", "--from-wavs"}};
  return names;
}
}  // namespace

void name_flag(const std::string& parameter, const std::string& flag) { flag_names()[parameter] = flag; }

std::string flag_subject(const std::string& subject) {
  const size_t space = subject.find(' ');
  auto it = flag_names().find(subject.substr(0, space));
  if (it == flag_names().end()) return subject;
  return it->second + (space == std::string::npos ? "" : subject.substr(space));
}
}  // namespace timbrel::cli

namespace {
// Every command that writes takes --force (outputs that exist are otherwise an error).
void add_force_flags(CLI::App& app) {
  for (CLI::App* sub : app.get_subcommands({})) {
    if (sub->get_subcommands({}).empty()) {
      if (sub->get_name() != "info" && sub->get_name() != "inspect" && sub->get_name() != "bench")
        sub->add_flag_callback("--force", [] { timbrel::cli::set_force(true); }, "Overwrite output files that exist");
    } else {
      add_force_flags(*sub);
    }
  }
}

int run(int argc, char** argv) {
  using namespace timbrel::cli;
  timbrel::ensure_fast_blas(argv);
  CLI::App app{"timbrel " TIMBREL_VERSION ": symbolic music to neural-timbre audio", "timbrel"};
  app.set_version_flag("--version", TIMBREL_VERSION);
  app.require_subcommand(1);
  app.footer("Examples:\n  timbrel info\n  timbrel inspect song.mid take.wav\n"
             "  timbrel sample --model models/melody-2bar -n 4 -o melodies.mid\n"
             "  timbrel resynth note.wav -o kept.wav\n"
             "  timbrel note --model GANSYNTH_MODEL --pitch 60 --timbre seed:1 -o note.wav\n"
             "Run 'timbrel COMMAND --help' for a command's options.");
  Status status;
  add_info(app, status);
  add_inspect(app, status);
  add_sample(app, status);
  add_interpolate(app, status);
  add_continue(app, status);
  add_eval(app, status);
  add_train(app, status);
  add_convert(app, status);
  add_resynth(app, status);
  add_spectrogram(app, status);
  add_bench(app, status);
  add_note(app, status);
  add_morph(app, status);
  add_dataset(app, status);
  add_render(app, status);
  add_render_batch(app, status);
  add_generate(app, status);
  add_play(app, status);
  add_chords(app, status);
  add_harmonize(app, status);
  add_humanize(app, status);
  add_drumify(app, status);
  add_arrange(app, status);
  add_roll(app, status);
  add_force_flags(app);
  try {
    app.parse(argc, argv);
    end_progress_line();
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? 0 : 1;  // help and version: 0; every usage error: 1, as documented
  } catch (const timbrel::Error& e) {
    const std::string subject = flag_subject(e.subject());
    print_error(subject.empty() ? e.problem() : subject + ": " + e.problem());
    return 1;
  } catch (const std::exception& e) {
    print_error(std::string("internal error: ") + e.what());
    return 1;
  }
  return status.exit_code;
}
}  // namespace

int main(int argc, char** argv) {
  const int code = run(argc, argv);
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
  return code;  // the sanitizers check at exit
#else
  // Every file a command writes is committed and closed when it returns (their objects live in
  // run()); what is left at exit is the static teardown of libtorch and its ~300 libraries
  // (about 70 ms), which nothing needs.
  std::cout.flush();
  std::cerr.flush();
  std::fflush(nullptr);
  std::_Exit(code);
#endif
}
