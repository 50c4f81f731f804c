// timbrel render: a MIDI file played by neural timbres -> WAV/FLAC.
// timbrel generate: the main job: sample a melody (MusicVAE), render it, write audio + MIDI.
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <iostream>
#include <sstream>

#include "command.h"
#include "note_render.h"
#include "song_options.h"
#include "paths.h"
#include "timbrel/error.h"
#include "timbrel/music.h"
#include "timbrel/musicvae.h"
#include "timbrel/render.h"
#include "timbrel/sound_file.h"

namespace timbrel::cli {
namespace {

// ", N from the note cache" when any were.
std::string cached_text(const NoteRenderReport& r) { return r.cached ? ", " + std::to_string(r.cached) + " from the note cache" : ""; }

// Renders and writes the audio; `midi_out` (if any) is written only once rendering succeeded, so
// a failure leaves no partial output.
void render_and_write(Engine& engine, const NoteSequence& seq, const SongFlags& o, const std::string& midi_out = "",
                      const std::string& subject = "song") {
  NoteRenderOptions r = note_render_options(o);
  r.subject = subject;
  const SampleFormat format = parse_sample_format(o.bit_depth, "--bit-depth");
  check_sound_file_output(o.out, format);  // before the melody beside it is written
  const bool tty = ::isatty(2);
  if (tty) r.progress = [](size_t done, size_t total) { std::fprintf(stderr, "\rgenerating notes %zu/%zu", done, total); };
  NoteRenderReport report;
  const Audio a = engine.render(seq, r, &report);
  if (tty) std::fprintf(stderr, "\n");
  if (!midi_out.empty()) write_midi(seq, midi_out);
  write_sound_file(o.out, a, format);
  std::printf("%d Hz, %s, %.1f LUFS, true peak %.1f dBTP%s\n", a.sample_rate, a.channels == 2 ? "stereo" : "mono", report.integrated_lufs,
              report.true_peak_dbtp, r.loudness ? " (normalised)" : "");
  const double speed = a.seconds() / std::max(report.seconds, 1e-9);
  if (r.engine == TimbreEngine::Ddsp)
    std::printf("DDSP %s: %zu notes in %zu voices (+%zu drum%s), %.1f s of audio in %.1f s (%.1fx real time) -> %s\n",
                o.ddsp_model.empty() ? "models/ddsp-bank" : o.ddsp_model.c_str(), report.notes, report.ddsp_voices, report.drum_notes,
                cached_text(report).c_str(), a.seconds(), report.seconds, speed, o.out.c_str());
  else
    std::printf("%s: %zu notes (%zu drum), %zu generated%s, %.1f s of audio in %.1f s (%.1fx real time) -> %s\n", engine.timbre_model_path().c_str(),
                report.notes, report.drum_notes, report.generated, cached_text(report).c_str(), a.seconds(), report.seconds, speed, o.out.c_str());
}

std::string with_extension(const std::string& path, const std::string& ext) {
  return std::filesystem::path(path).replace_extension(ext).string();
}

}  // namespace

void add_render(CLI::App& app, Status&) {
  auto o = std::make_shared<SongFlags>();
  auto* cmd = app.add_subcommand("render", "Play a MIDI file with neural timbres into a WAV/FLAC file");
  cmd->add_option("input", o->input, "MIDI file")->required();
  cmd->add_option("-o,--output", o->out, "Output .wav or .flac")->required();
  add_timbre_options(cmd, *o);
  cmd->footer("Examples:\n  timbrel render samples/twinkle.mid -o twinkle.wav --timbre preset:Flute\n"
              "  timbrel render song.mid -o song.flac --morph preset:Flute,preset:Cello,seed:3 --seconds-per-timbre 6 --sample-rate 44100\n"
              "  timbrel render song.mid -o song.wav --loudness -16     # EBU R128 integrated loudness, true peak <= -1 dBTP\n"
              "  timbrel render song.mid -o song.wav --timbre program:40     # every note a violin\n"
              "Without --timbre each note plays its General MIDI program (channel 10: the drum kit). Each distinct\n"
              "(pitch, timbre) is generated once, high-passed at 30 Hz and set to its training level; notes get a 10 ms\n"
              "attack, hold to their end (long notes loop a steady stretch) and a 0.3 s release, x velocity/127, and follow\n"
              "their channel's controllers (volume, expression, pan, sustain pedal, pitch bend, modulation, reverb and\n"
              "chorus sends). The stereo mix (48 kHz unless --sample-rate) goes through a room, a DC blocker and a soft limiter.");
  cmd->callback([o] {
    refuse_to_overwrite_input(o->input, o->out);
    refuse_existing_output(o->out);
    const NoteSequence seq = read_midi(o->input);
    if (seq.notes.empty()) throw Error(o->input, "has no notes to render");
    Engine engine(engine_params(*o));
    render_and_write(engine, seq, *o, "", o->input);
  });
}

void add_generate(CLI::App& app, Status&) {
  auto o = std::make_shared<SongFlags>();
  auto* cmd = app.add_subcommand("generate", "The main job: sample a melody with MusicVAE and render it with neural timbres");
  cmd->add_option("-o,--output", o->out, "Output .wav or .flac (the melody is written beside it as .mid)")->required();
  add_song_options(cmd, *o);
  add_timbre_options(cmd, *o);
  cmd->footer("Examples:\n  timbrel generate -o song.wav --bars 16 --seed 7 --timbre preset:Flute --drums\n"
              "  timbrel generate -o more.wav --primer my_first_bars.mid --bars 8 --temperature 0.9");
  cmd->callback([o] {
    Engine engine(engine_params(*o));
    name_flag("melody_rnn_model", "--melody-rnn");
    name_flag("drums_rnn_model", "--drums-rnn");
    const NoteSequence seq = generated_song(engine, *o);
    const std::string mid = with_extension(o->out, ".mid");
    refuse_to_overwrite_input(o->out, mid);
    refuse_existing_output(o->out);
    refuse_existing_output(mid);
    std::printf("%s: %d bars, %zu notes -> %s\n", o->primer.empty() ? "melody" : "primer + continuation", o->bars, seq.notes.size(), mid.c_str());
    render_and_write(engine, seq, *o, mid);
  });
}

}  // namespace timbrel::cli
