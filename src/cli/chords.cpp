// timbrel chords: the chord symbols of a MIDI file (text events), listed or written as a chords
// CSV; or a chords CSV put into a melody's MIDI file as chord symbols.
#include <cstdio>
#include <iostream>

#include "command.h"
#include "paths.h"
#include "timbrel/chords.h"
#include "timbrel/error.h"
#include "timbrel/music.h"

namespace timbrel::cli {
namespace {

void list_chords(const std::vector<ChordSpan>& spans, const std::string& file) {
  if (spans.empty()) {
    std::cout << file << ": no chord symbols" << std::endl;
    return;
  }
  std::cout << "beat      beats  symbol      kind" << std::endl;
  for (const ChordSpan& s : spans) {
    char line[160];
    std::snprintf(line, sizeof line, "%-9.6g %-6.4g %-11s %s", s.start_beat, s.end_beat - s.start_beat, s.symbol.c_str(),
                  s.chord.is_none() ? "no chord" : chord_kind_name(s.chord.kind));
    std::cout << line << std::endl;
  }
}

}  // namespace

void add_chords(CLI::App& app, Status&) {
  auto in = std::make_shared<std::string>();
  auto csv = std::make_shared<std::string>();
  auto out = std::make_shared<std::string>();
  auto write_csv = std::make_shared<std::string>();
  auto* cmd = app.add_subcommand("chords", "List a MIDI file's chord symbols, write them as a chords CSV, or put a chords CSV into a MIDI file");
  cmd->add_option("midi", *in, "MIDI file (chord symbols are its text or marker events)")->required()->check(CLI::ExistingFile);
  cmd->add_option("--csv", *csv, "Chords CSV (start_beat,end_beat,root,kind,bass,symbol; beats = quarter notes) to put into the file")
      ->check(CLI::ExistingFile);
  cmd->add_option("-o,--output", *out, "MIDI file to write: the input with the CSV's chord symbols (needs --csv)");
  cmd->add_option("--write-csv", *write_csv, "Write the file's chord symbols as a chords CSV");
  cmd->footer("Examples:\n  timbrel chords ../shared/data/melodies/nottingham/midi/ashover1.mid --csv ../shared/data/melodies/nottingham/chords/ashover1.csv -o lead.mid\n"
              "  timbrel chords lead.mid\n  timbrel chords lead.mid --write-csv lead.csv\n"
              "Symbols: C, Am, G7, Fmaj7, Bm7b5, Ddim7, Eaug, Gsus4, D/F#, N.C. ...; see docs/chords.md.");
  cmd->callback([in, csv, out, write_csv] {
    if (!out->empty() && csv->empty()) throw Error("--output", "needs --csv: the chords to put into the file");
    if (out->empty() && !csv->empty()) throw Error("--csv", "needs --output: the MIDI file to write");
    NoteSequence seq = read_midi(*in);
    if (!csv->empty()) {
      refuse_to_overwrite_input(*in, *out);
      refuse_existing_output(*out);
      set_chords(seq, read_chords_csv(*csv));
      write_midi(seq, *out);
      std::cout << "wrote " << *out << " (" << chord_spans(seq).size() << " chord spans)" << std::endl;
    }
    if (!write_csv->empty()) {
      refuse_to_overwrite_input(*in, *write_csv);
      refuse_existing_output(*write_csv);
      write_chords_csv(chord_spans(seq), *write_csv);
      std::cout << "wrote " << *write_csv << std::endl;
    }
    if (csv->empty() && write_csv->empty()) list_chords(chord_spans(seq), *in);
  });
}

}  // namespace timbrel::cli
