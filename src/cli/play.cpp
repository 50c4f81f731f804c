// timbrel play: stream a MIDI file (or a freshly sampled song) to an audio device while it is
// being rendered; optionally record exactly what was sent.
#include <unistd.h>

#include <csignal>
#include <cstdio>

#include "cli/command.h"
#include "cli/paths.h"
#include "cli/song_options.h"
#include "timbrel/error.h"
#include "timbrel/music.h"
#include "timbrel/play.h"

namespace timbrel::cli {
namespace {

struct PlayCliOptions {
  SongOptions song;
  bool generate = false;
  std::string audio_device, record;
  int buffer = 0;
};

std::atomic<bool> g_interrupted{false};
extern "C" void on_sigint(int) { g_interrupted.store(true); }

void play_file_or_song(const PlayCliOptions& p) {
  if (p.generate == !p.song.input.empty()) throw Error("play", "give a MIDI file or --generate (one of them)");
  const NoteSequence seq = p.generate ? sample_song(p.song) : read_midi(p.song.input);
  if (!p.record.empty() && !p.song.input.empty()) refuse_to_overwrite_input(p.song.input, p.record);
  TimbreModels models = load_timbre_models(seq, p.song);
  PlayOptions o;
  o.render = note_render_options(p.song);
  o.device = p.audio_device;
  o.buffer_frames = p.buffer;
  o.record = p.record;
  o.record_format = parse_sample_format(p.song.bit_depth);
  o.interrupt = &g_interrupted;
  const bool tty = ::isatty(2);
  if (tty) o.progress = [](double played, double total) { std::fprintf(stderr, "\rplaying %.1f / %.1f s", played, total); };
  std::signal(SIGINT, on_sigint);
  const PlayReport r = play_sequence(seq, *models.melodic, models.drums.get(), o);
  std::signal(SIGINT, SIG_DFL);
  if (tty) std::fprintf(stderr, "\n");
  if (r.render.transposed) print_error(std::to_string(r.render.transposed) + " notes outside the model's pitch range moved by octaves (--strict: error)");
  std::printf("played %.1f s%s on \"%s\" (%s, %d Hz, %d ch): %zu notes, %zu generated, started after %.2f s, underruns: %llu%s%s\n",
              double(r.frames) / r.sample_rate, r.interrupted ? " (interrupted)" : "", r.device.c_str(), r.host_api.c_str(), r.sample_rate,
              r.channels, r.render.notes + r.render.drum_notes, r.render.generated, r.start_latency, (unsigned long long)r.underruns,
              p.record.empty() ? "" : ", recorded -> ", p.record.c_str());
}

}  // namespace

void add_play(CLI::App& app, Status&) {
  auto p = std::make_shared<PlayCliOptions>();
  auto* cmd = app.add_subcommand("play", "Stream a MIDI file or a sampled song to an audio device, rendered just ahead");
  cmd->add_option("input", p->song.input, "MIDI file");
  cmd->add_flag("--generate", p->generate, "Play a freshly sampled song instead (the generate command's --bars, --seed, ...)");
  cmd->add_option("--device", p->audio_device, "Audio device: index or part of its name (`timbrel info` lists them; default: JACK if running, else the system default)");
  cmd->add_option("--buffer", p->buffer, "Frames per device buffer (default: the host's choice)")->check(CLI::Range(16, 16384));
  cmd->add_option("--record", p->record, "Also write exactly the samples sent to the device to this .wav/.flac");
  cmd->add_option("--bit-depth", p->song.bit_depth, "Recording: 16, 24 or float")->capture_default_str();
  add_song_options(cmd, p->song);
  add_timbre_options(cmd, p->song, false);
  cmd->footer("Examples:\n  timbrel play samples/twinkle.mid --timbre preset:Flute\n"
              "  timbrel play --generate --bars 16 --seed 3 --drums --record take.wav\n"
              "The song is rendered by a worker thread a few seconds ahead of the device; the audio callback only copies.\n"
              "Ends with a line that says how many underruns (buffers the renderer could not fill in time) there were.");
  cmd->callback([p] { play_file_or_song(*p); });
}

}  // namespace timbrel::cli
