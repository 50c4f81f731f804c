#include "note_render.h"

#include <sstream>

#include "command.h"
#include "timbrel/error.h"
#include "timbrel/sound_file.h"

namespace timbrel::cli {

void add_render_options(CLI::App* cmd, NoteFlags& o) {
  cmd->add_option("--velocity", o.velocity, "MIDI velocity 1..127: a gain of velocity/127 (GANSynth has no velocity input)")
      ->capture_default_str()->check(CLI::Range(1, 127));
  cmd->add_option("--compat", o.compat,
                  "exact (Magenta's Python) or magentajs (@magenta/music's spectrogram-to-audio and, unless --phase is "
                  "given, its phase: if)")
      ->check(CLI::IsMember({"exact", "magentajs"}))->capture_default_str();
  cmd->add_option("--phase", o.phase, "pghi (phase from the generated magnitudes) | if (the generator's own IF; all on the GPU) | if+fgla | "
                                      "pghi+fgla | griffin-lim | fgla (default: pghi; a drum model's hits griffin-lim; "
                                      "with --compat magentajs, if)");
  cmd->add_option("--iterations", o.iterations, "Iterations of the iterative phase methods")
      ->capture_default_str()->check(CLI::Range(0, 10000));
  cmd->add_option("--bit-depth", o.bit_depth, "16, 24 or float")->capture_default_str();
  cmd->add_option("--device", o.device, "Spectral stage on: auto (the GPU if this build has CUDA kernels and one answers) | cpu | cuda")
      ->check(CLI::IsMember({"auto", "cpu", "cuda"}))->capture_default_str();
}

std::vector<std::string> split_list(const std::string& text, char sep) {
  std::vector<std::string> out;
  std::stringstream in(text);
  std::string item;
  while (std::getline(in, item, sep)) out.push_back(item);
  return out;
}

Engine note_engine(const std::string& model, const NoteFlags& o) {
  EngineOptions p;
  p.timbre_model = model;
  p.device = parse_device(o.device);
  p.log = [](const std::string& m) { print_error(m); };
  return Engine(p);
}

std::string note_phase(Engine& engine, const NoteFlags& o) {
  if (!o.phase.empty()) return o.phase;
  // A compatibility mode reproduces its peer's audio, so it takes the peer's phase too.
  if (o.compat == "magentajs") return to_string(PhaseMethod::If);
  return to_string(engine.timbre_model().played_inverse().phase);
}

std::vector<float> render_notes(Engine& engine, const std::vector<float>& spectrograms, const NoteFlags& o) {
  InverseOptions inv;
  inv.phase = parse_phase_method(note_phase(engine, o), "--phase");
  inv.compat = o.compat == "magentajs" ? SpectralCompat::MagentaJs : SpectralCompat::Exact;
  inv.iterations = o.iterations;
  return engine.spectrograms_to_audio(spectrograms, inv, o.velocity);
}

void write_note_audio(const std::string& path, std::vector<float> samples, const NoteFlags& o) {
  Audio a;
  a.sample_rate = kNoteSampleRate;
  a.samples = std::move(samples);
  write_sound_file(path, a, parse_sample_format(o.bit_depth, "--bit-depth"));
}

}  // namespace timbrel::cli
