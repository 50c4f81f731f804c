#include "song_options.h"

#include <algorithm>

#include "note_render.h"
#include "command.h"
#include "timbrel/error.h"
#include "timbrel/music.h"

namespace timbrel::cli {

void add_timbre_options(CLI::App* cmd, SongFlags& o, bool with_file_output) {
  cmd->add_option("--model,-m", o.model, "Timbre model (default: the bundled models/gm-timbres)");
  cmd->add_option("--engine", o.engine, "Melodic notes by: gansynth (--model) | ddsp (--ddsp-model; drums stay on --drum-model)")
      ->capture_default_str()->check(CLI::IsMember({"gansynth", "ddsp"}));
  cmd->add_option("--ddsp-model", o.ddsp_model,
                  "DDSP model folder, a bank (bank.json: its models and the programs each plays; default: the bundled "
                  "models/ddsp-bank), or a folder of model folders, chosen per program (e.g. ../shared/models-ext/ddsp)");
  cmd->add_option("--vibrato", o.vibrato, "DDSP: vibrato depth in cents (0: none; modulation CC 1 adds to it)")->capture_default_str()
      ->check(CLI::Range(0.0, 200.0));
  cmd->add_option("--glide", o.glide, "DDSP: seconds the pitch slides into a legato note")->capture_default_str()->check(CLI::Range(0.0, 2.0));
  cmd->add_flag("--flat-envelope", o.flat_envelope, "DDSP: hold notes flat after a 40 ms attack instead of following the preset's learned envelope (a piano's decay)");
  cmd->add_option("--drum-model", o.drum_model, "Drum timbre model for channel-10 notes (default: the bundled models/gm-drums)");
  cmd->add_flag("--no-drums", o.no_drums, "Leave drum notes out");
  cmd->add_option("--timbre", o.timbre, "seed:N | preset:NAME | program:N | Z.npy (default: each note's General MIDI program; seed:0 for models without programs)");
  cmd->add_option("--morph", o.morph, "A,B[,C...]: slerp from timbre to timbre over time (at each note's start)");
  cmd->add_option("--seconds-per-timbre", o.seconds_per_timbre, "Morph speed")->capture_default_str();
  cmd->add_option("--pad", o.pad, "x,y in [0,1]: bilinear mix of the four --corners");
  cmd->add_option("--corners", o.corners, "A,B,C,D timbres at (0,0), (1,0), (0,1), (1,1)");
  cmd->add_option("--drum-timbre", o.drum_timbre, "Drum kit: preset:NAME of the drum model (default: Standard, else its first)");
  cmd->add_option("--attack", o.attack, "Linear attack, seconds")->capture_default_str();
  cmd->add_option("--release", o.release, "Linear release after the note end, seconds")->capture_default_str();
  cmd->add_flag("--dry", o.dry, "No room: no reverb or chorus, whatever the file's CC91/CC93 say");
  if (with_file_output) {
    cmd->add_option("--sample-rate", o.sample_rate, "Output rate (the 16 kHz notes are resampled with soxr)")->capture_default_str()
        ->check(CLI::Range(8000, 192000));
    cmd->add_flag("--mono", o.mono, "One channel (default: stereo, panned by each channel's CC10)");
    cmd->add_option("--bit-depth", o.bit_depth, "16, 24 or float (FLAC: 16 or 24)")->capture_default_str();
    cmd->add_option("--loudness", o.loudness, "Normalise to this integrated loudness, LUFS (EBU R128), e.g. -16; default: as rendered")
        ->check(CLI::Range(-70.0, -1.0));
    cmd->add_option("--true-peak", o.true_peak, "True-peak ceiling for --loudness, dBTP")->capture_default_str()->check(CLI::Range(-30.0, 0.0));
  }
  cmd->add_option("--phase", o.phase, "Phase reconstruction: pghi (from the generated magnitudes) | if (the generator's own IF; all on the GPU) | if+fgla | ...")->capture_default_str();
  cmd->add_option("--drum-phase", o.drum_phase, "Phase reconstruction of the drum hits (griffin-lim keeps their decays noise; pghi turns them into clicks)")->capture_default_str();
  cmd->add_option("--batch", o.batch, "Notes generated per call (halved automatically when device memory runs out)")
      ->capture_default_str()->check(CLI::Range(1, 4096));
  cmd->add_option("--cache-dir", o.cache_dir,
                  "Keep generated notes here between renders (default: $TIMBREL_NOTE_CACHE ('off': none), else "
                  "$XDG_CACHE_HOME/timbrel/notes, else ~/.cache/timbrel/notes)");
  cmd->add_flag("--no-cache", o.no_cache, "Generate every note, and keep none");
  cmd->add_option("--cache-size", o.cache_size_mb, "Most the note cache folder holds, MB (least recently used notes go first)")
      ->capture_default_str()->check(CLI::Range(1.0, 1e7));
  cmd->add_flag("--strict", o.strict, "Pitches outside the model's range are errors (default: moved by octaves, with a warning)");
  cmd->add_option("--precision", o.precision, "Generator arithmetic: fp32 | tf32 (NVIDIA GPUs) | bf16")
      ->capture_default_str()->check(CLI::IsMember({"fp32", "tf32", "bf16"}));
  // play's --device is the audio device, so its compute device is --compute.
  cmd->add_option(with_file_output ? "--device" : "--compute", o.device, "Compute device: auto | cpu | cuda")
      ->capture_default_str()->check(CLI::IsMember({"auto", "cpu", "cuda"}));
}

void add_song_options(CLI::App* cmd, SongFlags& o) {
  cmd->add_option("--bars", o.bars, "Bars (even; 2-bar windows)")->capture_default_str()->check(CLI::Range(2, 512));
  cmd->add_option("--seed", o.seed, "Seed of the melody (and drums)")->capture_default_str();
  cmd->add_option("--temperature", o.temperature,
                  "Sampling temperature (0 = argmax; default: each MusicVAE card's, 0.5 for the RNNs, over --chords 1.0)")
      ->check(CLI::Range(0.0, 10.0));
  cmd->add_option("--draw", o.draw,
                  "How MusicVAE's temperature draws each step of the melody and the groove: per_decision, keep_density or "
                  "flat (see sample --help); default: each model card's");
  cmd->add_option("--qpm", o.qpm, "Tempo, quarter notes per minute")->capture_default_str();
  cmd->add_option("--melody-model", o.melody_model, "MusicVAE melody model (default: the bundled models/melody-2bar)");
  auto* drums = cmd->add_flag("--drums", o.drums,
                               "Add a sampled drum groove (bundled models/drums-2bar) under the melody, played by a drummer (models/groove-humanize)");
  cmd->add_flag("--quantized", o.quantized, "With --drums: keep the groove on the grid with its sampled velocities (not humanized)")->needs(drums);
  cmd->add_option("--humanize-model", o.humanize_model, "GrooVAE humanize model for --drums (default: models/groove-humanize)")->needs(drums);
  cmd->add_flag("--arrange", o.arrange, "Make it a song: chords (the bundled harmoniser), a bass line and an accompaniment, each on its own track");
  cmd->add_option("--style", o.style, "With --arrange: the accompaniment's style (auto, block, broken, strummed)")->capture_default_str();
  cmd->add_option("--groove-model", o.groove_model, "MusicVAE drum model for --drums (default: models/drums-2bar)");
  cmd->add_option("--primer", o.primer,
                  "MIDI file to continue for --bars bars (its melody by the Melody RNN, its drums by the Drums RNN) "
                  "instead of sampling a song")
      ->check(CLI::ExistingFile);
  cmd->add_option("--melody-rnn", o.melody_rnn_model, "Melody RNN for --primer (default: the bundled models/melody-rnn)");
  cmd->add_option("--drums-rnn", o.drums_rnn_model, "Drums RNN for --primer (default: the bundled models/drums-rnn)");
  cmd->add_option("--chords", o.chords,
                  "A progression to play over, one chord per bar, commas sharing a bar (\"C G Am F\", \"Dm7 G7 C,Am C\"), repeated "
                  "over the song: the melody is improvised over it (with --primer, the continuation)");
  cmd->add_option("--improv-rnn", o.improv_rnn_model, "Chord-conditioned Melody RNN for --chords (default: the bundled models/improv-rnn)");
  add_chord_guidance_option(cmd, o.chord_guidance);
}

void add_chord_guidance_option(CLI::App* cmd, double& guidance) {
  cmd->add_option("--chord-guidance", guidance,
                  "A chord model's guidance: how far each pitch is pushed toward what the chords add (classifier-free "
                  "guidance; 0 = none, as Magenta; default: the model's own)")
      ->check(CLI::Range(0.0, 20.0));
}

void refuse_guidance_without_chords(double guidance, bool no_chords) {
  if (guidance >= 0 && no_chords) throw Error("--chord-guidance", "guides a melody over --chords: give a progression");
}

std::vector<ChordSpan> progression_flag(const std::string& text, double beats_per_bar) {
  if (text.empty()) return {};
  try {
    return parse_progression(text, beats_per_bar);
  } catch (const Error& e) {
    throw Error("--chords", e.problem());
  }
}

double song_temperature(const SongFlags& o) { return o.temperature >= 0 ? o.temperature : o.chords.empty() ? 0.5 : 1.0; }

double beats_per_bar(const NoteSequence& seq) {
  if (seq.time_signatures.empty()) return 4;
  const TimeSignature& ts = seq.time_signatures.back();
  return ts.denominator > 0 ? 4.0 * ts.numerator / ts.denominator : 4;
}

NoteRenderOptions note_render_options(const SongFlags& o) {
  NoteRenderOptions r;
  if (!o.morph.empty()) {
    if (!o.timbre.empty()) throw Error("--morph", "give --timbre or --morph, not both");
    r.schedule.timbres = split_list(o.morph);
    if (r.schedule.timbres.size() < 2) throw Error("--morph " + o.morph, "needs at least two timbres A,B");
    r.schedule.seconds_per_timbre = o.seconds_per_timbre;
  } else if (!o.timbre.empty()) {
    r.schedule.timbres = {o.timbre};
  }
  // Without a forced timbre, each note plays its General MIDI program (models that record them).
  r.schedule.follow_programs = o.morph.empty() && o.timbre.empty() && o.pad.empty();
  if (!o.pad.empty()) {
    r.schedule.pad = parse_pad_position(o.pad, "--pad");
    r.schedule.corners = split_list(o.corners);
  }
  r.drum_timbre = o.drum_timbre;
  r.attack = o.attack;
  r.batch = o.batch;
  r.release = o.release;
  r.sample_rate = o.sample_rate;
  r.channels = o.mono ? 1 : 2;
  r.room = !o.dry;
  if (o.loudness != 0) r.loudness = o.loudness;
  r.true_peak = o.true_peak;
  r.strict = o.strict;
  if (o.no_cache && !o.cache_dir.empty()) throw Error("--no-cache", "give --cache-dir or --no-cache, not both");
  r.note_cache = o.no_cache ? "" : !o.cache_dir.empty() ? o.cache_dir : default_note_cache_folder();
  r.note_cache_bytes = uint64_t(o.cache_size_mb * 1048576.0);
  r.inverse.phase = parse_phase_method(o.phase, "--phase");
  r.drum_inverse.phase = parse_phase_method(o.drum_phase, "--drum-phase");
  r.drums = !o.no_drums;
  r.engine = parse_timbre_engine(o.engine, "--engine");
  if (r.engine == TimbreEngine::Ddsp) {
    if (!o.timbre.empty() || !o.morph.empty() || !o.pad.empty())
      throw Error("--engine ddsp", "plays each program with the instrument --ddsp-model has for it (no --timbre, --morph or --pad)");
    r.ddsp.vibrato_cents = o.vibrato;
    r.ddsp.glide = o.glide;
    r.ddsp.learned_envelopes = !o.flat_envelope;
  }
  return r;
}

void print_note(const std::string& message) { print_error(message); }

EngineOptions engine_params(const SongFlags& o) {
  EngineOptions p;
  p.timbre_model = o.model;
  p.drum_model = o.drum_model;
  p.melody_model = o.melody_model;
  p.groove_model = o.groove_model;
  p.humanize_model = o.humanize_model;
  p.drumify_model = o.drumify_model;
  p.melody_rnn_model = o.melody_rnn_model;
  p.drums_rnn_model = o.drums_rnn_model;
  p.improv_rnn_model = o.improv_rnn_model;
  p.ddsp_model = o.ddsp_model;
  p.device = parse_device(o.device);
  p.precision = parse_precision(o.precision);
  p.log = print_note;
  return p;
}

SongOptions song_request(const SongFlags& o) {
  SongOptions r;
  r.bars = o.bars;
  r.seed = o.seed;
  r.temperature = o.temperature;  // < 0: each model's usual
  if (!o.draw.empty()) r.draw = parse_step_draw(o.draw, "--draw");
  r.chord_guidance = o.chord_guidance;
  r.drums = o.drums;
  r.humanize = !o.quantized;
  r.qpm = o.qpm;
  r.arrange = o.arrange;
  r.arrangement.style = parse_accompaniment_style(o.style, "--style");
  r.chords = progression_flag(o.chords);
  if (!r.chords.empty() && !o.melody_model.empty())
    throw Error("--melody-model", "is MusicVAE's: over --chords the melody comes from --improv-rnn");
  return r;
}

NoteSequence generated_song(Engine& engine, const SongFlags& o) {
  refuse_guidance_without_chords(o.chord_guidance, o.chords.empty());
  if (!o.draw.empty()) parse_step_draw(o.draw, "--draw");  // a bad one is refused even where no MusicVAE samples
  if (o.primer.empty()) {
    SongOptions r = song_request(o);
    if (o.arrange) r.balance = note_render_options(o);  // the parts set beside the melody as this render plays them
    return engine.compose(r);
  }
  const NoteSequence primer = read_midi(o.primer);
  if (o.drums && std::none_of(primer.notes.begin(), primer.notes.end(), [](const Note& n) { return n.is_drum; }))
    throw Error("--drums", "the primer has no drums to continue (--primer continues the parts it has)");
  ContinueOptions c;
  c.bars = o.bars;
  c.temperature = song_temperature(o);
  c.chord_guidance = o.chord_guidance;
  c.seed = o.seed;
  c.chords = progression_flag(o.chords, beats_per_bar(primer));
  try {
    const NoteSequence song = engine.continue_sequence(primer, c);
    if (!o.arrange) return song;
    NoteSequence arranged = arrange(song, song_request(o).arrangement);
    engine.balance_arrangement(arranged, note_render_options(o), false);
    return arranged;
  } catch (const Error& e) {
    if (e.subject() == "primer") throw Error(o.primer, e.problem());
    throw;
  }
}

}  // namespace timbrel::cli
