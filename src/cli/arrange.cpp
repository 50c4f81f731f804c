// timbrel arrange (a melody made a song: chords, bass, accompaniment) and eval arrangement.
#include <cstdio>
#include <iostream>

#include "command.h"
#include "paths.h"
#include "song_options.h"
#include "timbrel/arrange.h"
#include "timbrel/error.h"
#include "timbrel/music.h"

namespace timbrel::cli {
namespace {

struct ArrangeFlags {
  std::string in, out, style = "auto", chords_csv, harmonizer;
  bool no_bass = false, no_accompaniment = false;
  int bass_program = 33, accompaniment_program = -1;
};

ArrangeOptions options_of(const ArrangeFlags& f) {
  name_flag("bass_program", "--bass-program");
  name_flag("accompaniment_program", "--accompaniment-program");
  name_flag("harmonizer_model", "--harmonizer");
  ArrangeOptions o;
  o.style = parse_accompaniment_style(f.style, "--style");
  o.bass = !f.no_bass, o.accompaniment = !f.no_accompaniment;
  o.bass_program = f.bass_program, o.accompaniment_program = f.accompaniment_program;
  o.harmonizer_model = f.harmonizer;
  if (!f.chords_csv.empty()) o.chords = read_chords_csv(f.chords_csv);
  return o;
}

void print_score(const char* what, const ArrangementScore& s) {
  std::printf("%s: bass on root or fifth %.1f%% of %zu downbeats; voices move %.2f semitones a chord (%zu changes); "
              "minor seconds between parts on %.1f%% of %zu strong beats\n",
              what, 100 * s.bass_root_or_fifth, s.downbeats, s.voice_movement, s.chord_changes, 100 * s.clashes, s.strong_beats);
}

}  // namespace

void add_arrange(CLI::App& app, Status&) {
  auto f = std::make_shared<ArrangeFlags>();
  auto* cmd = app.add_subcommand("arrange", "Make a melody a song: chords, a bass line and an accompaniment, each on its own track");
  cmd->add_option("melody", f->in, "MIDI file of the melody (its chord symbols are kept; without them it is harmonised)")->required()->check(CLI::ExistingFile);
  cmd->add_option("-o,--output", f->out, "MIDI file to write: the melody, its chord symbols, the bass and the accompaniment")->required();
  cmd->add_option("--style", f->style, "Accompaniment: auto (by meter and tempo), block, broken or strummed")->capture_default_str();
  cmd->add_option("--chords", f->chords_csv, "A chords CSV to play instead of the file's own (or the harmoniser's)")->check(CLI::ExistingFile);
  cmd->add_option("--harmonizer", f->harmonizer, "Harmoniser model folder for melodies without chords (default: the bundled one)");
  cmd->add_option("--bass-program", f->bass_program, "General MIDI program of the bass")->capture_default_str();
  cmd->add_option("--accompaniment-program", f->accompaniment_program, "General MIDI program of the accompaniment (-1: piano, guitar when strummed)")
      ->capture_default_str();
  cmd->add_flag("--no-bass", f->no_bass, "No bass line");
  cmd->add_flag("--no-accompaniment", f->no_accompaniment, "No accompaniment");
  cmd->footer("Examples:\n  timbrel arrange samples/twinkle.mid -o twinkle-song.mid\n"
              "  timbrel arrange melody.mid -o song.mid --style strummed && timbrel render song.mid -o song.wav\n"
              "See docs/chords.md.");
  cmd->callback([f] {
    refuse_to_overwrite_input(f->in, f->out);
    refuse_existing_output(f->out);
    ArrangeReport r;
    const NoteSequence song = arrange(read_midi(f->in), options_of(*f), &r);
    write_midi(song, f->out);
    std::cout << "wrote " << f->out << ": " << r.chords << " chords" << (r.harmonized ? " (harmonised)" : "") << ", " << r.bass_notes
              << " bass notes, " << r.accompaniment_notes << " accompaniment notes (" << to_string(r.style) << ")" << std::endl;
  });
}

void add_eval_arrangement(CLI::App& eval) {
  auto f = std::make_shared<ArrangeFlags>();
  auto data = std::make_shared<std::string>();
  auto all = std::make_shared<bool>(false);
  auto* cmd = eval.add_subcommand("arrangement", "Arrange a folder's melodies with their chords and measure them beside the data's own arrangements");
  cmd->add_option("--data", *data, "Folder of MIDI melodies with chords (as train harmony reads them)")->required();
  cmd->add_option("--style", f->style, "Accompaniment style (auto, block, broken, strummed)")->capture_default_str();
  cmd->add_flag("--all", *all, "Every file, not only those the trainers hold out");
  cmd->footer("Example:\n  timbrel eval arrangement --data ../shared/data/melodies/nottingham/midi");
  cmd->callback([f, data, all] {
    const ArrangementEvaluation e = evaluate_arrangement(*data, options_of(*f), !*all);
    std::printf("%zu files arranged with their own chords, beside the data's own for %zu (../chords-midi renders, or ../full arrangements)\n",
                e.files, e.data_files);
    print_score("arranged", e.arranged);
    if (e.data_files) print_score("the data's own", e.data);
  });
}

void add_eval_parts(CLI::App& eval) {
  auto o = std::make_shared<SongFlags>();
  auto* cmd = eval.add_subcommand("parts", "How loud each part (instrument) of a song is, rendered alone, beside its first part (the melody)");
  cmd->add_option("input", o->input, "MIDI file")->required()->check(CLI::ExistingFile);
  add_timbre_options(cmd, *o, false);
  cmd->footer("Example:\n  timbrel eval parts song.mid              # after timbrel arrange melody.mid -o song.mid\n"
              "  timbrel eval parts song.mid --engine ddsp");
  cmd->callback([o] {
    const NoteSequence seq = read_midi(o->input);
    Engine engine(engine_params(*o));
    NoteRenderOptions r = note_render_options(*o);
    r.subject = o->input;
    const std::vector<PartLevel> parts = engine.part_levels(seq, r);
    if (parts.empty()) throw Error(o->input, "has no notes");
    const PartLevel* melody = nullptr;
    for (const PartLevel& p : parts)
      if (!melody && !p.drums) melody = &p;
    for (const PartLevel& p : parts) {
      const std::string what = p.drums ? "drums" : "program " + std::to_string(p.program);
      std::printf("instrument %d  %-14s %-12s %5zu notes  %6.1f LUFS", p.instrument, p.name.empty() ? "-" : p.name.c_str(), what.c_str(), p.notes, p.lufs);
      if (melody && &p != melody) std::printf("  (%+.1f dB beside the melody)", p.lufs - melody->lufs);
      std::printf("\n");
    }
  });
}

}  // namespace timbrel::cli
