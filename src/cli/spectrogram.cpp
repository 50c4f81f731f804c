// timbrel spectrogram: the normalised GANSynth representation of a sound, as an image or .npy.
#include <algorithm>
#include <cctype>
#include <filesystem>
#include <iostream>

#include "command.h"
#include "paths.h"
#include "timbrel/error.h"
#include "timbrel/npy.h"
#include "timbrel/sound_file.h"
#include "timbrel/spectral.h"

namespace timbrel::cli {
namespace {

struct Flags {
  std::string input, output;
  bool linear = false;
};

std::string lower_extension(const std::string& path) {
  std::string ext = std::filesystem::path(path).extension().string();
  if (!ext.empty()) ext.erase(0, 1);
  std::transform(ext.begin(), ext.end(), ext.begin(), [](unsigned char c) { return char(std::tolower(c)); });
  return ext;
}

void run(const Flags& o) {
  refuse_to_overwrite_input(o.input, o.output);
  refuse_existing_output(o.output);
  const std::string ext = lower_extension(o.output);
  if (ext != "png" && ext != "npy") throw Error(o.output, "output must end in .png or .npy");
  Audio in = resample(mix_to_mono(read_sound_file(o.input)), kNoteSampleRate);
  if (in.samples.empty()) throw Error(o.input, "has no audio");
  // At least one note's length, so a short sound gives the generator's 128 x 1024 x 2 shape.
  in.samples.resize(std::max(in.samples.size(), size_t(kNoteSamples)), 0.0f);
  const int frames = spectrogram_frames(in.samples.size());
  auto spec = analyse_audio(in.samples.data(), in.samples.size(), o.linear ? SpectralScale::Linear : SpectralScale::Mel);
  if (ext == "npy") {
    write_npy(o.output, NpyArray{{frames, kSpectrogramBins, 2}, std::move(spec)});
  } else {
    write_spectrogram_png(o.output, spec, frames);
  }
  std::cout << o.input << ": " << frames << " frames x " << kSpectrogramBins << " bins ("
            << (o.linear ? "linear" : "mel") << ") -> " << o.output << std::endl;
}

}  // namespace

void add_spectrogram(CLI::App& app, Status&) {
  auto o = std::make_shared<Flags>();
  auto* cmd = app.add_subcommand("spectrogram", "Write the GANSynth spectrogram of a sound as PNG or .npy");
  cmd->add_option("input", o->input, "Sound file (any rate, mixed to mono, resampled to 16 kHz)")->required();
  cmd->add_option("-o,--output", o->output,
                  "OUT.png (log magnitude and instantaneous frequency, with colour scales) or OUT.npy "
                  "(float32 [frames, 1024, 2]; 128 frames for sounds up to 4 s)")->required();
  cmd->add_flag("--linear", o->linear, "Linear-frequency representation instead of mel");
  cmd->footer("Examples:\n  timbrel spectrogram note.wav -o note.png\n  timbrel spectrogram note.wav -o note.npy --linear");
  cmd->callback([o] { run(*o); });
}

}  // namespace timbrel::cli
