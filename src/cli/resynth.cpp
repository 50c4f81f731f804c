// timbrel resynth: analysis/resynthesis through the GANSynth representation, so users hear what
// it keeps. The whole file is one long STFT with the GANSynth framing (not 4 s clips), so there
// are no seams; quality is reported against the 16 kHz mono input.
#include <cstdio>
#include <iostream>
#include <nlohmann/json.hpp>

#include "command.h"
#include "paths.h"
#include "timbrel/error.h"
#include "timbrel/sound_file.h"
#include "timbrel/spectral.h"

namespace timbrel::cli {
namespace {

struct Flags {
  std::string input, output, phase = "if", compat = "exact", bit_depth = "16";
  bool linear = false, json = false;
  int iterations = 32, sample_rate = 16000;
  uint64_t seed = 0;
};

void run(const Flags& o) {
  refuse_to_overwrite_input(o.input, o.output);
  refuse_existing_output(o.output);
  InverseOptions inv;
  inv.scale = o.linear ? SpectralScale::Linear : SpectralScale::Mel;
  inv.phase = parse_phase_method(o.phase, "--phase");
  inv.compat = o.compat == "magentajs" ? SpectralCompat::MagentaJs : SpectralCompat::Exact;
  inv.iterations = o.iterations;
  inv.seed = o.seed;
  const SampleFormat format = parse_sample_format(o.bit_depth, "--bit-depth");

  Audio in = resample(mix_to_mono(read_sound_file(o.input)), kNoteSampleRate);
  if (in.samples.empty()) throw Error(o.input, "has no audio");
  const size_t samples = in.samples.size();
  std::vector<float> spec = analyse_audio(in.samples.data(), samples, inv.scale);
  Audio out;
  out.sample_rate = kNoteSampleRate;
  out.samples.resize(samples);
  resynthesize(spec.data(), spectrogram_frames(samples), out.samples.data(), samples, inv);
  const double sc = spectral_convergence_of(out.samples, in.samples), snr = snr_db(out.samples, in.samples);
  write_sound_file(o.output, resample(out, o.sample_rate), format);

  const char* scale = o.linear ? "linear" : "mel";
  if (o.json) {
    std::cout << nlohmann::json{{"input", o.input}, {"output", o.output}, {"seconds", in.seconds()},
                                {"scale", scale}, {"phase", to_string(inv.phase)}, {"compat", o.compat},
                                {"iterations", o.iterations}, {"spectral_convergence", sc}, {"snr_db", snr}}
                     .dump()
              << std::endl;
  } else {
    std::printf("%s: %.2f s through the %s representation, phase %s%s: spectral convergence %.4f, SNR %.2f dB -> %s\n",
                o.input.c_str(), in.seconds(), scale, to_string(inv.phase).c_str(),
                o.compat == "magentajs" ? " (magenta.js mode)" : "", sc, snr, o.output.c_str());
  }
}

}  // namespace

void add_resynth(CLI::App& app, Status&) {
  auto o = std::make_shared<Flags>();
  auto* cmd = app.add_subcommand("resynth", "Analyse a sound into the GANSynth spectrogram and resynthesise it");
  cmd->add_option("input", o->input, "Sound file (any rate, mixed to mono, resampled to 16 kHz)")->required();
  cmd->add_option("-o,--output", o->output, "Output sound file (.wav or .flac)")->required();
  cmd->add_flag("--linear", o->linear, "Linear-frequency representation instead of mel");
  cmd->add_flag("--mel", [o](int64_t) { o->linear = false; }, "Mel representation (the default, GANSynth's)");
  cmd->add_option("--phase", o->phase, "if | griffin-lim | fgla | pghi | if+fgla | pghi+fgla")->capture_default_str();
  cmd->add_option("--iterations", o->iterations, "Iterations of the iterative phase methods")->capture_default_str()->check(CLI::Range(0, 10000));
  cmd->add_option("--compat", o->compat, "exact (Magenta's Python) or magentajs")->check(CLI::IsMember({"exact", "magentajs"}))->capture_default_str();
  cmd->add_option("--seed", o->seed, "Random start for griffin-lim and fgla")->capture_default_str();
  cmd->add_option("--sample-rate", o->sample_rate, "Output sample rate")->capture_default_str()->check(CLI::Range(1000, 768000));
  cmd->add_option("--bit-depth", o->bit_depth, "16, 24 or float")->capture_default_str();
  cmd->add_flag("--json", o->json, "Print the result as one JSON object");
  cmd->footer("Examples:\n  timbrel resynth note.wav -o kept.wav\n"
              "  timbrel resynth note.wav -o polished.wav --phase if+fgla --iterations 32");
  cmd->callback([o] { run(*o); });
}

}  // namespace timbrel::cli
