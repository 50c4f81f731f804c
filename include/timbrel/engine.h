#pragma once
// The library's front door. An Engine owns the models, decides once where the work runs (CPU, or
// a CUDA GPU when the build and the machine have one) and at what precision, and composes the
// stages: MusicVAE -> NoteSequence -> timbre generator -> spectral stage -> audio. Training and
// evaluation, which load their own models, are the free functions of train.h and evaluate.h. The
// `timbrel` command and the Python module are thin layers over these headers.
//
// Conventions of the whole public API (include/timbrel/):
// - Names of structs: what a call takes is `<Job>Options` (EngineOptions, NoteOptions,
//   NoteRenderOptions, ...); what a call fills in besides its result is `<Job>Report`; what a
//   model or file says about itself is `<Thing>Info`; a network's architecture is `<Model>Config`.
// - Every closed choice is an enum (Device, Precision, PhaseMethod, TimbreEngine, SampleFormat,
//   ModelKind, ...) with `parse_<enum>(text, parameter)` and `to_string` for the CLI and Python;
//   open-ended specs (timbres: "seed:N", "preset:NAME", "program:N", "Z.npy") go through one
//   parser each (parse_timbre_spec in gansynth.h).
// - Errors are timbrel::Error naming the parameter (as spelled in these structs, e.g.
//   "timbre_model", "steps") or the input (a file, "sequence a") and the problem. The library never
//   prints: notes and warnings (a GPU fallback, a General MIDI program played by a substitute,
//   notes moved by octaves) go to EngineOptions::log; trainers report through callbacks.
// - Model objects the Engine hands out are const views it owns; they live as long as the Engine.
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "timbrel/arrange.h"
#include "timbrel/bundled_models.h"
#include "timbrel/ddsp.h"
#include "timbrel/device.h"
#include "timbrel/event_rnn.h"
#include "timbrel/export.h"
#include "timbrel/gansynth.h"
#include "timbrel/groove.h"
#include "timbrel/musicvae.h"
#include "timbrel/note_sequence.h"
#include "timbrel/play.h"
#include "timbrel/render.h"
#include "timbrel/sound_file.h"
#include "timbrel/spectral.h"

namespace timbrel {

struct EngineOptions {
  // Model folders; "" = the bundled one (gm-timbres, gm-drums, melody-2bar, drums-2bar,
  // melody-rnn, drums-rnn, improv-rnn, melody-chords-2bar, groove-humanize, groove-drumify, ddsp-bank).
  std::string timbre_model, drum_model, melody_model, groove_model, melody_rnn_model, drums_rnn_model;
  std::string improv_rnn_model;    // the chord-conditioned Melody RNN: melodies over given chords
  std::string chord_melody_model;  // the chord-conditioned 2-bar MusicVAE: SampleOptions::chords
  std::string humanize_model, drumify_model;  // GrooVAE (groove.h): groove-humanize, groove-drumify
  // DDSP (NoteRenderOptions::engine = Ddsp): a DDSP model folder, which plays every program (by
  // its presets, when it has them); a bank (a folder with bank.json naming its models and the
  // programs each plays); or a folder of model folders, each program by a model that learned it,
  // else by General MIDI family (e.g. ../shared/models-ext/ddsp: violin for strings, trumpet for
  // brass, tenor_saxophone for reeds, flute for pipes). "" = the bundled bank models/ddsp-bank
  // (ddsp-gm's 16 programs where it plays them closer, ddsp-gm-all for the rest).
  std::string ddsp_model;
  Device device = Device::Auto;
  Precision precision = Precision::Fp32;
  int threads = 0;  // CPU threads of the spectral stage (0 = all cores)
  std::function<void(const std::string& message)> log;  // notes and warnings; unset: dropped
};

struct NoteOptions {
  int pitch = 60;                  // inside the model's range (24..84 for the shipped models)
  std::string timbre = "seed:0";   // seed:N | preset:NAME | program:N | Z.npy (Gansynth::timbre)
  std::vector<float> z;            // a latent of the model's size; overrides `timbre` when set
  std::optional<PadPosition> pad;  // with four `corners`: their bilinear mix (overrides `timbre`)
  std::vector<std::string> corners;
  int velocity = 127;              // 1..127: a gain of velocity / 127
  InverseOptions inverse = generated_note_inverse();
};

struct SampleOptions {
  size_t count = 1;                // samples to draw (ignored when z is given): a 2-bar window each, or with chords the whole progression
  uint64_t seed = 0;
  double temperature = -1;         // 0 = argmax; < 0: the model card's (MusicVaeInfo::temperature)
  bool standard_prior = false;     // N(0, 1) even when the card has a fitted prior
  // How the temperature draws each step (StepDraw); unset: the model card's (MusicVaeInfo::draw).
  std::optional<StepDraw> draw;
  std::vector<float> z;            // decode these latents (count x z_size) instead of drawing
  bool drums = false;              // the groove model instead of the melody model
  double qpm = 120;
  // A progression (parse_progression): each sample is then one z of the chord-conditioned
  // MusicVAE (chord_melody_model) played over the whole progression, 2 bars per window (a
  // progression of odd bars repeats to fill its last window), and carries the chord symbols.
  std::vector<ChordSpan> chords;
};

struct InterpolateOptions {
  int steps = 5;                   // windows, both ends included (2..1000)
  int window = 0;                  // which 2-bar window (with notes) of each sequence
  bool drums = false;              // the groove model instead of the melody model
  double qpm = 120;
  // MusicVae::encode's (0: the encoder's means): endpoints closer to the inputs. -1: 25 for a
  // 2-bar model, 0 for a hierarchical one (refined, its reconstructions lose notes).
  int refine_steps = -1;
  std::string a_name = "sequence a", b_name = "sequence b";  // for errors (e.g. the MIDI files)
};

struct SongOptions {               // the song `generate` makes
  int bars = 8;                    // even: 2-bar windows along a smooth latent walk
  uint64_t seed = 0;
  // Sampling temperature; < 0: each model's usual, its card's for MusicVAE (the melody's walk and
  // the groove) and 1.0 for the chord RNN (at 0.5 its melodies span about a third less than the data's).
  double temperature = -1;
  std::optional<StepDraw> draw;    // MusicVAE's, the melody's and the groove's (StepDraw); unset: each model card's
  bool drums = false;              // a sampled groove on channel 10 under the melody
  // The groove played by the humanize model (a drummer's timing and velocities); false keeps the
  // sampled grid and velocities.
  bool humanize = true;
  double qpm = 120;
  // A progression (parse_progression), repeated over the bars: the melody is then improvised
  // over it by the chord-conditioned Melody RNN (improv_rnn_model) and carries its symbols.
  std::vector<ChordSpan> chords;
  double chord_guidance = -1;      // over chords: ContinueOptions::chord_guidance (< 0: the model's own)
  bool arrange = false;            // harmonised (or on `chords`), with a bass and an accompaniment (arrange.h)
  ArrangeOptions arrangement;
  // With arrange: the bass, the accompaniment and the drums set beside the melody as these
  // render options play them (balance_arrangement); unset: arrange()'s estimate from velocities.
  std::optional<NoteRenderOptions> balance;
};

// One part (instrument) of a song rendered alone: how loud it is heard.
struct PartLevel {
  int instrument = 0;
  std::string name;      // the track's name, if it has one
  int program = 0;       // its first note's General MIDI program
  bool drums = false;
  size_t notes = 0;
  double lufs = 0;       // integrated loudness (EBU R128) of the part alone, in the full mix's render settings
};

struct DdspCurveOptions {
  std::string timbre;   // "preset:NAME" | "program:N" of a model with presets; "" = its first
  bool noise = true;    // false: the harmonic part only
  uint64_t seed = 0;    // of the filtered noise
};

class TIMBREL_API Engine {
 public:
  explicit Engine(EngineOptions options = {});
  ~Engine();
  Engine(Engine&&) noexcept;
  Engine& operator=(Engine&&) noexcept;

  // Where the work runs: "cpu" or e.g. "cuda:0 (NVIDIA H200)".
  std::string compute_name() const;
  // The models, loaded on first use (and placed on the compute device); owned by the Engine.
  const Gansynth& timbre_model();
  const Gansynth& drum_model();
  const MusicVae& melody_model();
  const MusicVae& groove_model();
  const EventRnn& melody_rnn_model();
  const EventRnn& drums_rnn_model();
  const EventRnn& improv_rnn_model();
  const MusicVae& chord_melody_model();
  const GrooveModel& humanize_model();
  const GrooveModel& drumify_model();
  std::string timbre_model_path() const;

  // One note as the generator makes it: [128, 1024, 2] normalised IF-mel values.
  std::vector<float> note_spectrogram(const NoteOptions& request);
  // One note: kNoteSamples samples at kNoteSampleRate.
  std::vector<float> note(const NoteOptions& request);
  // n spectrograms (n x kSpectrogramValues) -> n x kNoteSamples samples on the compute device,
  // at a gain of velocity / 127 (1..127), as note() plays them.
  std::vector<float> spectrograms_to_audio(const std::vector<float>& spectrograms,
                                           const InverseOptions& options = generated_note_inverse(), int velocity = 127);

  // A sequence played by the timbre models (drum notes by the drum model, loaded when the
  // sequence has any; options as render.h describes them). The compute device's spectral stage
  // is used; warnings of the report go to the log. With options.engine = Ddsp the melodic notes
  // are played by EngineOptions::ddsp_model (options.ddsp shapes the performance).
  Audio render(const NoteSequence& sequence, NoteRenderOptions options = {}, NoteRenderReport* report = nullptr);
  // Each instrument of `sequence` rendered alone (options as render(); loudness normalisation
  // off) and measured: are all parts heard beside the melody?
  std::vector<PartLevel> part_levels(const NoteSequence& sequence, NoteRenderOptions options = {});
  // Sets the channel volume (CC7 at the start; velocities when 127 is not enough) of each part
  // named in `offsets_db` (instrument -> dB beside the melody) so that, rendered alone as
  // part_levels measures, it sits that far from `melody` (an instrument). Returns the levels
  // aimed at (a part whose velocities reach 127 falls short of its aim).
  std::vector<PartLevel> balance_parts(NoteSequence& sequence, int melody, const std::vector<std::pair<int, double>>& offsets_db,
                                       NoteRenderOptions options = {});
  // An arrangement's parts (arrange()'s Bass and Accompaniment tracks, and the drums when
  // `drums`) set kArranged*Db beside its melody (its first other pitched instrument) by
  // balance_parts.
  void balance_arrangement(NoteSequence& song, const NoteRenderOptions& options, bool drums = true);
  PlayReport play(const NoteSequence& sequence, PlayOptions options);
  LivePlayReport play_live(LivePlayOptions options);

  // 2-bar windows of the melody (or groove) model, as one sequence (window i at bar 2i) and as
  // tokens (one entry per window).
  NoteSequence sample(const SampleOptions& request, std::vector<Tokens>* windows = nullptr);
  // Encodes one window of each sequence and decodes `steps` windows along the slerp between them.
  NoteSequence interpolate(const NoteSequence& a, const NoteSequence& b, const InterpolateOptions& request);
  // The melody (and groove) of `generate`; arranged (chords, bass, accompaniment) when asked.
  NoteSequence compose(const SongOptions& request);
  // The primer with options.bars more bars: its melody continued by the Melody RNN and its drums
  // by the Drums RNN (each when the primer has that part), from the bar after the primer ends.
  NoteSequence continue_sequence(const NoteSequence& primer, const ContinueOptions& options);
  // A beat played by humanize_model() / a beat for taps by drumify_model() (groove.h).
  NoteSequence humanize(const NoteSequence& beat, const GrooveOptions& options = {});
  NoteSequence drumify(const NoteSequence& taps, const GrooveOptions& options = {});

  // DDSP driven by given curves: f0 (Hz; <= 0 unvoiced) and loudness (dB) per frame (250 a
  // second), equal lengths, played by EngineOptions::ddsp_model at its rate (a bank or folder of
  // models: by the model that plays options.timbre; "" = the bank's first preset).
  Audio ddsp_from_curves(const std::vector<float>& f0_hz, const std::vector<float>& loudness_db,
                         const DdspCurveOptions& options = {});
  // The one model of EngineOptions::ddsp_model (Error naming ddsp_model when it holds several).
  const Ddsp& ddsp_model();
  // The DDSP model that plays General MIDI `program` (0..127).
  const Ddsp& ddsp_model(int program);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace timbrel
