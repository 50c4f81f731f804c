#pragma once
// Evaluation, the library's door to every measure `timbrel eval` prints: MusicVAE reconstruction
// on a MIDI folder, event-RNN next-event accuracy and continuations, bar structure of sampled songs
// beside a corpus, the timbre models' pitch, distance, interpolation and keyboard-sweep measures,
// and a render beside FluidSynth's. Each takes `<Measure>Options`; the timbre and song measures
// return one JSON object as text (their reports are nested and grow with the measures).
#include <array>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "timbrel/export.h"
#include "timbrel/model_kind.h"
#include "timbrel/note_sequence.h"
#include "timbrel/spectral.h"
#include "timbrel/train.h"

namespace timbrel {

// --- MusicVAE reconstruction (`timbrel eval melody|drums`): every window (one every bar, each
// within its melody) encoded to its mean (refined when refine_steps > 0) and decoded by argmax.
struct MusicVaeEvalOptions {
  std::string model, data;             // a MusicVAE with an encoder; a folder of MIDI files (recursive)
  ModelKind kind = ModelKind::Melody;  // what the model must be
  int bars = 0;                        // window length; 0 = the model's; a 2-bar model given more plays a chain
  int refine_steps = 0;                // as MusicVae::encode
  bool held_out = false;               // only the files `train` holds out of `data` (info.csv, else its hash rule)
  double validation_fraction = 0.1;    // with held_out and no info.csv
  double gap_bars = 0;                 // melodies end at rests this long, as the trainer's MusicVaeTraining.gap_bars (0: never)
  // Melodies over chords (always for a chord-conditioned model): only files with chords, and one
  // sample per window, drawn at `temperature` over the window's own chords (an unconditioned
  // model's without them: a baseline), scored beside the window itself.
  bool chords = false;
  double temperature = 0.5;
  uint64_t seed = 0;
};
struct MusicVaeEvalReport {
  int bars = 0;
  bool chain = false;                  // a 2-bar model played as a chain over longer windows
  int refine_steps = 0;
  size_t files = 0, windows = 0;
  std::vector<std::string> skipped;    // "file: problem" for files that could not be read
  double token_accuracy = 0;           // greedy: each step fed the model's own previous output
  double teacher_forced_accuracy = 0;  // each step fed the true previous token
  // With chords: the samples' strong-beat chord tones, notes in key (of the major key its chords
  // fit best) and notes, beside the real windows' ("files" counts windows).
  ContinuationScore over_chords;
  std::string over_chords_about;       // what over_chords measured, for its JSON
};
TIMBREL_API MusicVaeEvalReport evaluate_musicvae(const MusicVaeEvalOptions& options);

// --- Event RNNs (`timbrel eval melody-rnn|drums-rnn`): teacher-forced next-event accuracy on the
// files' windows, and primer_bars bars of each file (from the bar of its first note) continued
// for `bars` bars beside what the file really does next.
struct EventRnnEvalOptions {
  std::string model, data;  // model "" = the bundled melody-rnn / drums-rnn
  ModelKind kind = ModelKind::Melody;
  int primer_bars = 4, bars = 4;
  double temperature = 1.0;
  double chord_guidance = -1;         // a chord model's (ContinueOptions::chord_guidance; < 0: its own)
  uint64_t seed = 0;
  bool held_out = false;              // only the files the trainers hold out of `data` (their split)
  bool training_files = false;        // only the files they train on (to choose a setting without the held-out ones)
  double validation_fraction = 0.1;   // the split's fraction (folders without info.csv)
};
struct EventRnnEvalReport {
  std::string model;  // the folder evaluated
  CorpusScore next;
  ContinuationScore continuation;
  std::string continuation_about;  // what the continuations were (bars, temperature), for to_json
};
TIMBREL_API EventRnnEvalReport evaluate_event_rnn(const EventRnnEvalOptions& options);
// One JSON object, as model cards hold it; `about` says what was measured ("": an RNN's continuations).
TIMBREL_API std::string to_json(const ContinuationScore& score, const std::string& about = "");

// --- Structure of melodies (`timbrel eval structure`): do bars repeat earlier bars, as real
// tunes' do, and do pitch classes, intervals and note density look like a corpus's?
struct StructureStats {
  size_t pieces = 0, bars = 0;  // bars with notes, over all pieces
  double melody_repeat = 0;     // share of bars whose melody (onsets + intervals, any transposition) an earlier bar has
  double rhythm_repeat = 0;     // share of bars whose onset pattern an earlier bar has
  double notes_per_bar = 0;
  double bars_without_onset = 0;  // share of all the pieces' bars that start no note (rests, held notes)
  double in_key = 0;            // share of notes in each piece's key (the major scale holding most of its notes)
  double pitch_range = 0;       // mean over pieces of highest minus lowest pitch (semitones)
  std::array<double, 12> pitch_classes{};  // histogram relative to each piece's key
  std::array<double, 25> intervals{};      // successive-note intervals -12..+12 semitones (larger ones clamped)
};

// The first `bars` bars (16 sixteenths each, 4/4) of each piece's melody (extract_melody).
TIMBREL_API StructureStats melody_structure(const std::vector<NoteSequence>& pieces, int bars);
// Half the L1 distance of two histograms (0 = equal, 1 = disjoint).
template <size_t N>
double histogram_distance(const std::array<double, N>& a, const std::array<double, N>& b) {
  double d = 0;
  for (size_t i = 0; i < N; ++i) d += a[i] > b[i] ? a[i] - b[i] : b[i] - a[i];
  return d / 2;
}

struct StructureComparison {
  StructureStats samples, data;
  double pitch_class_distance = 0, interval_distance = 0;  // histogram_distance of samples and data
};
// `songs` beside the first `bars` bars of the 4/4 pieces under `data_dir`, read on their beat
// grid from the bar of their first note (Error naming it when it has none that long).
TIMBREL_API StructureComparison compare_structure(const std::vector<NoteSequence>& songs, const std::string& data_dir, int bars);

// --- Timbre models (`timbrel eval timbre`): in tune (aubiopitch on generated and real notes),
// close to the truth (log-mel and multi-resolution STFT distances on validation pitches and held-out
// presets) and smooth interpolation.
struct TimbreEvalOptions {
  std::string model, data;  // data: the note set (truth); "" = only the model's own measures
  int notes = 80;           // pitch-tracked notes (each side)
  int timbres = 16;         // random timbres (seed:0..) and real presets for the pitch test
  int distance_notes = 48;  // validation notes for the distances
  int test_presets = 4;     // held-out presets whose embedding is fitted
  int fit_steps = 80;
  int paths = 8, path_steps = 9;  // interpolation paths between presets
  int threads = 2;
  std::string work_dir;     // where the WAVs for the tracker go ("" = a temporary folder)
  std::function<void(const std::string&)> log;
};

TIMBREL_API std::string evaluate_timbre_model(const TimbreEvalOptions& options);

// --- Keyboard sweep (`timbrel eval timbre --sweep`): every pitch of a model's range (every GM
// drum note of a kit) for a few timbres, each note measured and checked ("passed" in the report);
// with a SoundFont, each note beside FluidSynth's.
struct TimbreSweepOptions {
  std::string model;
  std::string soundfont;             // the truth's SoundFont ("" = the model alone); presets by the card's bank:program
  std::vector<std::string> timbres;  // empty: program:0, program:40, program:73 (drums: the Standard kit)
  int threads = 2;
  std::string work_dir;              // WAVs for the tracker ("" = a temporary folder)
  std::string png_dir;               // "" = none; else one generated | truth spectrogram PNG per timbre
  std::optional<InverseOptions> inverse;  // how notes become audio; unset: as the renderer (drum hits: their own)
  std::function<void(const std::string&)> log;
};

TIMBREL_API std::string sweep_timbre_model(const TimbreSweepOptions& options);

// --- A render beside the truth (`timbrel eval song`): `ours` (interleaved, at `sample_rate` with
// `channels`) and FluidSynth's render of `sequence` through `soundfont` at the same rate and
// channels, every controller of the sequence sent to it. Per side: the energy shares of 0-8, 8-16
// and 16-24 kHz (all channels), each channel's RMS level, EBU R128 integrated loudness, true peak
// and loudness range; and, on the mono mix at 16 kHz, what it reported before: energy below 30 Hz,
// spectral centroid, loudness range of 50 ms levels, 3-5 / 5-7.5 / 3-7.5 kHz shares, sample peak.
// With `png`, both spectrograms (ours above) written there. A JSON object.
struct SongComparisonOptions {
  std::string soundfont;
  std::string png;               // "" = none
  size_t notes = 0;              // reported as given (e.g. the render's note count)
  std::string subject = "song";  // names the input in the report and in errors
  int sample_rate = 48000;       // of `ours`, and the truth's
  int channels = 2;              // of `ours` (1 or 2), and the truth's
  bool effects = true;           // the truth with FluidSynth's default reverb and chorus (as a listener hears it)
};
TIMBREL_API std::string compare_with_soundfont(std::vector<float> ours, const NoteSequence& sequence,
                                               const SongComparisonOptions& options);

// --- GrooVAE (`timbrel eval groove`), on Groove MIDI's test split (info.csv; never trained on) or
// a folder's held-out performances. humanize: velocity and timing errors of the model's playing of
// each quantized performance against the drummer's own, beside two baselines (each class's mean
// from the training split; a random training performance of the same style laid over it), the
// per-class spread and the swing of hi-hats and ride. drumify: hit F1 of the beat made from each
// 2-bar window's taps against that window, beside the drums MusicVAE's reconstruction of the taps.
struct GrooveEvalOptions {
  std::string task = "humanize";   // or "drumify"
  std::string model;               // "" = the bundled groove-humanize / groove-drumify
  std::string data;                // a folder of drum performances
  std::string baseline_model;      // drumify: a 2-bar drums MusicVAE ("" = the bundled drums-2bar)
  double validation_fraction = 0.1;
  uint64_t seed = 0;
  double temperature = 1.0;        // as GrooveOptions
};
TIMBREL_API std::string evaluate_groove(const GrooveEvalOptions& options);  // one JSON object

}  // namespace timbrel
