// timbrel play: stream a MIDI file (or a freshly sampled song) to an audio device while it is
// being rendered; optionally record exactly what was sent.
#include <unistd.h>

#include <chrono>
#include <csignal>
#include <cstdio>

#include "command.h"
#include "note_render.h"
#include "paths.h"
#include "song_options.h"
#include "timbrel/error.h"
#include "timbrel/music.h"
#include "timbrel/play.h"

namespace timbrel::cli {
namespace {

struct PlayFlags {
  SongFlags song;
  bool generate = false, live = false, answer = false, tap = false;
  int answer_bars = 2, tap_key = -1;
  std::string audio_device, record, midi_in, midi_api = "auto", programs;
  int buffer = 0;
  double seconds = 0;
};

std::atomic<bool> g_interrupted{false};
extern "C" void on_sigint(int) { g_interrupted.store(true); }

void play_file_or_song(const PlayFlags& p) {
  const auto t0 = std::chrono::steady_clock::now();
  if (p.generate == !p.song.input.empty()) throw Error("play", "give a MIDI file or --generate (one of them)");
  if (p.answer || p.tap) throw Error(p.answer ? "--continue" : "--tap", "answers live playing: give it with --live");
  Engine engine(engine_params(p.song));
  const NoteSequence seq = p.generate ? generated_song(engine, p.song) : read_midi(p.song.input);
  if (seq.notes.empty()) throw Error(p.song.input, "has no notes to play");
  if (!p.record.empty() && !p.song.input.empty()) refuse_to_overwrite_input(p.song.input, p.record);
  refuse_existing_output(p.record);
  PlayOptions o;
  o.render = note_render_options(p.song);
  o.device = p.audio_device;
  o.buffer_frames = p.buffer;
  o.record = p.record;
  o.record_format = parse_sample_format(p.song.bit_depth, "--bit-depth");
  o.interrupt = &g_interrupted;
  const bool tty = ::isatty(2);
  if (tty) o.progress = [](double played, double total) { std::fprintf(stderr, "\rplaying %.1f / %.1f s", played, total); };
  std::signal(SIGINT, on_sigint);
  const double loading = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  const PlayReport r = engine.play(seq, o);
  std::signal(SIGINT, SIG_DFL);
  if (tty) std::fprintf(stderr, "\n");
  std::printf("played %.1f s%s on \"%s\" (%s, %d Hz, %d ch): %zu notes, %zu generated, sound %.2f s after the command, underruns: %llu, server xruns: %llu%s%s\n",
              double(r.frames) / r.sample_rate, r.interrupted ? " (interrupted)" : "", r.device.c_str(), r.host_api.c_str(), r.sample_rate,
              r.channels, r.render.notes + r.render.drum_notes, r.render.generated, loading + r.start_latency, (unsigned long long)r.underruns, (unsigned long long)r.xruns,
              p.record.empty() ? "" : ", recorded -> ", p.record.c_str());
}

void play_live_input(const PlayFlags& p) {
  if (p.generate || !p.song.input.empty()) throw Error("play --live", "plays the MIDI input; give no file and no --generate");
  if (!(p.song.qpm >= 20 && p.song.qpm <= 400)) throw Error("--qpm", "must be 20..400");
  if (!p.song.morph.empty() || !p.song.pad.empty()) throw Error("play --live", "takes one --timbre (program changes switch between --programs)");
  refuse_existing_output(p.record);
  Engine engine(engine_params(p.song));
  LivePlayOptions o;
  o.engine = parse_timbre_engine(p.song.engine, "--engine");
  if (!p.song.timbre.empty()) o.timbre = p.song.timbre;
  else if (o.engine == TimbreEngine::Ddsp) o.timbre = "program:0";
  else if (!engine.timbre_model().info().timbre_names.empty()) o.timbre = "preset:" + engine.timbre_model().info().timbre_names.front();
  if (!p.programs.empty()) o.programs = split_list(p.programs);
  o.device = p.audio_device;
  o.buffer_frames = p.buffer;
  o.midi_port = p.midi_in;
  o.midi_api = parse_midi_backend(p.midi_api, "--midi-api");
  o.seconds = p.seconds;
  o.attack = p.song.attack;
  o.release = p.song.release;
  o.room = !p.song.dry;
  o.inverse.phase = parse_phase_method(p.song.phase, "--phase");
  o.record = p.record;
  o.record_format = parse_sample_format(p.song.bit_depth, "--bit-depth");
  o.interrupt = &g_interrupted;
  if (p.answer) {
    name_flag("melody_rnn_model", "--melody-rnn");
    o.answer_model = &engine.melody_rnn_model();
    o.answer_qpm = p.song.qpm;
    o.answer_bars = p.answer_bars;
    o.answer_temperature = song_temperature(p.song);
  }
  if (p.tap) {
    name_flag("drumify_model", "--drumify-model");
    o.tap_model = &engine.drumify_model();
    o.tap_qpm = p.song.qpm;
    o.tap_key = p.tap_key;
    o.tap_groove.seed = p.song.seed;
    if (p.song.temperature >= 0) o.tap_groove.temperature = p.song.temperature;
  }
  o.status = [](const std::string& m) {
    std::printf("%s\n", m.c_str());
    std::fflush(stdout);
  };
  std::printf("rendering every pitch of the timbre (%s) ...\n", o.timbre.c_str());
  std::fflush(stdout);
  std::signal(SIGINT, on_sigint);
  const LivePlayReport r = engine.play_live(o);
  std::signal(SIGINT, SIG_DFL);
  std::printf("played %.1f s live on \"%s\" (%s, %d Hz, %d ch): %llu notes, %zu timbre changes (%.1f s to render one), underruns: %llu, server xruns: %llu%s%s\n",
              double(r.frames) / r.sample_rate, r.device.c_str(), r.host_api.c_str(), r.sample_rate, r.channels, (unsigned long long)r.notes,
              r.timbre_changes, r.cache_seconds, (unsigned long long)r.underruns, (unsigned long long)r.xruns, p.record.empty() ? "" : ", recorded -> ", p.record.c_str());
  if (p.answer) std::printf("%zu phrases answered\n", r.answers);
  if (p.tap) std::printf("%zu tapped bars answered with a beat\n", r.beats);
}

}  // namespace

void add_play(CLI::App& app, Status&) {
  auto p = std::make_shared<PlayFlags>();
  auto* cmd = app.add_subcommand("play", "Stream a MIDI file or a sampled song to an audio device, rendered just ahead");
  cmd->add_option("input", p->song.input, "MIDI file");
  cmd->add_flag("--generate", p->generate, "Play a freshly sampled song instead (the generate command's --bars, --seed, ...)");
  cmd->add_option("--device", p->audio_device, "Audio device: index or part of its name (`timbrel info` lists them; default: JACK if running, else the system default)");
  cmd->add_option("--buffer", p->buffer, "Frames per device buffer (default: the host's choice)")->check(CLI::Range(16, 16384));
  cmd->add_option("--record", p->record, "Also write exactly the samples sent to the device to this .wav/.flac");
  cmd->add_option("--bit-depth", p->song.bit_depth, "Recording: 16, 24 or float")->capture_default_str();
  cmd->add_flag("--live", p->live, "Play from a live MIDI input (a keyboard, a sequencer) instead of a file");
  cmd->add_option("--midi-in", p->midi_in, "--live: MIDI input port to connect (index or part of its name; default: open a virtual port 'timbrel:in')");
  cmd->add_option("--midi-api", p->midi_api, "--live: auto (ALSA sequencer if present, else JACK MIDI) | alsa | jack")
      ->capture_default_str()->check(CLI::IsMember({"auto", "alsa", "jack"}));
  cmd->add_option("--programs", p->programs, "--live: timbres that MIDI program changes 0,1,... select (default: General MIDI programs where the model maps them, else its presets in order)");
  cmd->add_option("--seconds", p->seconds, "--live: stop after this long (default: at Ctrl-C)")->check(CLI::NonNegativeNumber);
  auto* answer = cmd->add_flag("--continue", p->answer,
                               "--live: call and response: after a bar of rest the Melody RNN (--melody-rnn) answers your phrase "
                               "(at --qpm, --temperature)");
  cmd->add_option("--answer-bars", p->answer_bars, "--live --continue: bars of each answer")->default_val(2)->check(CLI::Range(1, 16))->needs(answer);
  auto* tap = cmd->add_flag("--tap", p->tap,
                            "--live: tap a rhythm (any key, or --tap-key) and a drummer answers each tapped bar with a beat in its "
                            "rhythm through the next bar (GrooVAE drumify, --drumify-model; at --qpm from your first tap, a downbeat)")
                  ->excludes(answer);
  cmd->add_option("--tap-key", p->tap_key, "--live --tap: the only key that taps (0..127; default: every key)")->check(CLI::Range(0, 127))->needs(tap);
  cmd->add_option("--drumify-model", p->song.drumify_model, "--live --tap: GrooVAE drumify model (default: models/groove-drumify)")->needs(tap);
  add_song_options(cmd, p->song);
  add_timbre_options(cmd, p->song, false);
  cmd->footer("Examples:\n  timbrel play samples/twinkle.mid --timbre preset:Flute\n"
              "  timbrel play --generate --bars 16 --seed 3 --drums --record take.wav\n"
              "  timbrel play --live --timbre preset:Cello           # then connect a keyboard to timbrel:in\n"
              "  timbrel play --live --continue --qpm 100 --timbre preset:Flute   # play a phrase, rest a bar: it answers\n"
              "  timbrel play --live --tap --qpm 96                 # tap a bar: drums play it back in the next, bar by bar\n"
              "  timbrel play --live --engine ddsp --ddsp-model ../shared/models-ext/ddsp --timbre program:73\n"
              "The song is rendered by a worker thread a few seconds ahead of the device; the audio callback only copies.\n"
              "--live renders every pitch of the timbre ahead, then mixes voices in the callback: a note sounds from the next\n"
              "buffer; program changes re-render the cache in the background. Sustain pedal (CC64) and all-notes-off work.\n"
              "Ends with a line that says how many underruns (buffers that could not be filled in time) there were.");
  cmd->callback([p] {
    name_flag("device", "--compute");  // play's --device is the audio device
    p->live ? play_live_input(*p) : play_file_or_song(*p);
  });
}

}  // namespace timbrel::cli
