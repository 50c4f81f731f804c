#pragma once
// The library's front door. An Engine owns the models, decides once where the work runs (CPU, or
// a CUDA GPU when the build and the machine have one) and at what precision, and composes the
// stages: MusicVAE -> NoteSequence -> timbre generator -> spectral stage -> audio. The `timbrel`
// command and the Python module are thin layers over it.
//
// Errors are timbrel::Error naming the parameter (as spelled in these structs, e.g.
// "timbre_model", "steps") or the input (a file, "sequence a") and the problem. The engine never
// prints: notes and warnings (a GPU fallback, a General MIDI program played by a substitute, notes
// moved by octaves) go to EngineParams::log.
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "timbrel/event_rnn.h"
#include "timbrel/gansynth.h"
#include "timbrel/musicvae.h"
#include "timbrel/note_sequence.h"
#include "timbrel/play.h"
#include "timbrel/render.h"
#include "timbrel/sound_file.h"
#include "timbrel/spectral.h"

namespace timbrel {

enum class Device { Auto, Cpu, Cuda };     // Auto: the GPU when one answers, else the CPU
enum class Precision { Fp32, Tf32, Bf16 };  // of the timbre generator (see Gansynth::set_precision)

// "auto" | "cpu" | "cuda" and "fp32" | "tf32" | "bf16"; Error naming `parameter` otherwise.
Device parse_device(const std::string& text, const std::string& parameter = "device");
Precision parse_precision(const std::string& text, const std::string& parameter = "precision");
std::string to_string(Device device);
std::string to_string(Precision precision);

// A model the project ships (models/NAME): found under $TIMBREL_MODELS, ./models, models/ beside
// (or one level above) the running executable, or PREFIX/share/timbrel/models of the executable
// or of the installed libtimbrel.so. Error naming the places looked when none has it.
std::string bundled_model_path(const std::string& name);

struct EngineParams {
  // Model folders; "" = the bundled one (gm-timbres, gm-drums, melody-2bar, drums-2bar,
  // melody-rnn, drums-rnn, ddsp-gm).
  std::string timbre_model, drum_model, melody_model, groove_model, melody_rnn_model, drums_rnn_model;
  // DDSP (NoteRenderOptions::engine = Ddsp): a DDSP model folder, which plays every program (by
  // its presets, when it has them), or a folder of them, chosen per General MIDI family (e.g.
  // ../shared/models-ext/ddsp: violin for strings, trumpet for brass, tenor_saxophone for reeds,
  // flute for pipes); "" = the bundled models/ddsp-gm.
  std::string ddsp_model;
  Device device = Device::Auto;
  Precision precision = Precision::Fp32;
  int threads = 0;  // CPU threads of the spectral stage (0 = all cores)
  std::function<void(const std::string& message)> log;  // notes and warnings; unset: dropped
};

struct NoteRequest {
  int pitch = 60;                  // inside the model's range (24..84 for the shipped models)
  std::string timbre = "seed:0";   // seed:N | preset:NAME | program:N | Z.npy (Gansynth::timbre)
  std::vector<float> z;            // a latent of the model's size; overrides `timbre` when set
  int velocity = 127;              // 1..127: a gain of velocity / 127
  InverseOptions inverse = generated_note_inverse();
};

struct SampleRequest {
  size_t count = 1;                // 2-bar windows to draw (ignored when z is given)
  uint64_t seed = 0;
  double temperature = 0.5;        // 0 = argmax
  bool standard_prior = false;     // N(0, 1) even when the card has a fitted prior
  std::vector<float> z;            // decode these latents (count x z_size) instead of drawing
  bool drums = false;              // the groove model instead of the melody model
  double qpm = 120;
};

struct InterpolateRequest {
  int steps = 5;                   // windows, both ends included (2..1000)
  int window = 0;                  // which 2-bar window (with notes) of each sequence
  bool drums = false;              // the groove model instead of the melody model
  double qpm = 120;
  // MusicVae::encode's (0: the encoder's means): endpoints closer to the inputs. -1: 25 for a
  // 2-bar model, 0 for a hierarchical one (refined, its reconstructions lose notes).
  int refine_steps = -1;
  std::string a_name = "sequence a", b_name = "sequence b";  // for errors (e.g. the MIDI files)
};

struct SongRequest {               // the song `generate` makes
  int bars = 8;                    // even: 2-bar windows along a smooth latent walk
  uint64_t seed = 0;
  double temperature = 0.5;
  bool drums = false;              // a sampled groove on channel 10 under the melody
  double qpm = 120;
};

class Engine {
 public:
  explicit Engine(EngineParams params = {});
  ~Engine();
  Engine(Engine&&) noexcept;
  Engine& operator=(Engine&&) noexcept;

  // Where the work runs: "cpu" or e.g. "cuda:0 (NVIDIA H200)".
  std::string compute_name() const;
  // The models, loaded on first use (and placed on the compute device).
  Gansynth& timbre_model();
  Gansynth& drum_model();
  MusicVae& melody_model();
  MusicVae& groove_model();
  EventRnn& melody_rnn_model();
  EventRnn& drums_rnn_model();
  std::string timbre_model_path() const;

  // One note as the generator makes it: [128, 1024, 2] normalised IF-mel values.
  std::vector<float> note_spectrogram(const NoteRequest& request);
  // One note: kNoteSamples samples at kNoteSampleRate.
  std::vector<float> note(const NoteRequest& request);
  // n spectrograms (n x kSpectrogramValues) -> n x kNoteSamples samples on the compute device.
  std::vector<float> spectrograms_to_audio(const std::vector<float>& spectrograms,
                                           const InverseOptions& options = generated_note_inverse());

  // A sequence played by the timbre models (drum notes by the drum model, loaded when the
  // sequence has any; options.schedule and the rest as render_sequence). The compute device's
  // spectral stage is used; warnings of the report go to the log. With options.engine = Ddsp the
  // melodic notes are played by params.ddsp_model (options.ddsp shapes the performance).
  Audio render(const NoteSequence& sequence, NoteRenderOptions options = {}, NoteRenderReport* report = nullptr);
  PlayReport play(const NoteSequence& sequence, PlayOptions options);
  LivePlayReport play_live(LivePlayOptions options);

  // 2-bar windows of the melody (or groove) model, as one sequence (window i at bar 2i) and as
  // tokens (one entry per window).
  NoteSequence sample(const SampleRequest& request, std::vector<Tokens>* windows = nullptr);
  // Encodes one window of each sequence and decodes `steps` windows along the slerp between them.
  NoteSequence interpolate(const NoteSequence& a, const NoteSequence& b, const InterpolateRequest& request);
  // The melody (and groove) of `generate`.
  NoteSequence compose(const SongRequest& request);
  // The primer with options.bars more bars: its melody continued by the Melody RNN and its drums
  // by the Drums RNN (each when the primer has that part), from the bar after the primer ends.
  NoteSequence continue_sequence(const NoteSequence& primer, const ContinueOptions& options);

  struct Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace timbrel
