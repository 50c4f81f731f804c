// timbrel_consumer OUT.wav: a two-bar melody composed and played by Timbrel's bundled models,
// written as a WAV file; prints where it ran and how loud the result is. It includes every public
// header and touches each one, so an installed package missing a header or a symbol fails here.
#include <cmath>
#include <cstdio>
#include <iostream>

#include "timbrel/build_config.h"
#include "timbrel/bundled_models.h"
#include "timbrel/dataset.h"
#include "timbrel/ddsp.h"
#include "timbrel/device.h"
#include "timbrel/engine.h"
#include "timbrel/error.h"
#include "timbrel/evaluate.h"
#include "timbrel/event_rnn.h"
#include "timbrel/export.h"
#include "timbrel/files.h"
#include "timbrel/gansynth.h"
#include "timbrel/model_kind.h"
#include "timbrel/music.h"
#include "timbrel/musicvae.h"
#include "timbrel/note_sequence.h"
#include "timbrel/npy.h"
#include "timbrel/play.h"
#include "timbrel/render.h"
#include "timbrel/shard.h"
#include "timbrel/sound_file.h"
#include "timbrel/spectral.h"
#include "timbrel/system.h"
#include "timbrel/timbre_spec.h"
#include "timbrel/train.h"

namespace {

// One cheap call into each header's part of the library; false names what disagreed.
bool every_header_answers(std::string& what) {
  using namespace timbrel;
  const std::vector<uint8_t> npy = encode_npy(NpyArray{{2}, {1.5f, -2.0f}});
  const NpyArray back = parse_npy(npy.data(), npy.size(), "npy");
  const std::vector<std::pair<bool, const char*>> checks = {
      {parse_timbre_spec("program:40").program == 40, "timbre_spec.h"},
      {parse_model_kind("drums") == ModelKind::Drums, "model_kind.h"},
      {parse_device("cpu") == Device::Cpu && to_string(Precision::Bf16) == "bf16", "device.h"},
      {parse_pad_position("0.25,1").y == 1.0, "render.h"},
      {parse_midi_backend("jack") == MidiBackend::Jack, "play.h"},
      {parse_phase_method("pghi") == PhaseMethod::Pghi, "spectral.h"},
      {parse_sample_format("24") == SampleFormat::Pcm24, "sound_file.h"},
      {parse_shard("1/4").count == 4, "shard.h"},
      {back.data == std::vector<float>{1.5f, -2.0f}, "npy.h"},
      {!system_info().version.empty() && system_info().version == TIMBREL_VERSION, "system.h"},
      {histogram_distance(std::array<double, 2>{1, 0}, std::array<double, 2>{0, 1}) == 1.0, "evaluate.h"},
      {MusicVaeTrainOptions{}.kind == ModelKind::Melody && NoteSetOptions{}.min_pitch == 24, "train.h, dataset.h"},
      {melody_class_to_event(2) == kMelodyMinPitch && drum_class_of_pitch(36) == 0, "musicvae.h"},
      {!bundled_model_path("gm-timbres").empty(), "bundled_models.h"},
      {is_ddsp_model(bundled_model_path("ddsp-gm")), "ddsp.h"},
  };
  for (const auto& [ok, header] : checks)
    if (!ok) what += std::string(what.empty() ? "" : ", ") + header;
  return what.empty();
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::cerr << "usage: timbrel_consumer OUT.wav\n";
    return 2;
  }
  try {
    std::string what;
    if (!every_header_answers(what)) {
      std::cerr << "timbrel_consumer: unexpected answers from " << what << "\n";
      return 1;
    }
    timbrel::EngineOptions params;
    params.device = timbrel::Device::Cpu;
    params.log = [](const std::string& m) { std::cerr << "timbrel: " << m << "\n"; };
    timbrel::Engine engine(params);
    timbrel::SongOptions song;
    song.bars = 2;
    song.seed = 5;
    const timbrel::NoteSequence melody = engine.compose(song);
    const timbrel::Audio audio = engine.render(melody);
    timbrel::write_sound_file(argv[1], audio);
    const std::string note = std::string(argv[1]) + ".txt";  // files.h: the summary, written atomically
    const std::string text = std::to_string(melody.notes.size()) + " notes\n";
    timbrel::write_file_atomically(note, text.data(), text.size());
    double peak = 0;
    for (float v : audio.samples) peak = std::max(peak, double(std::abs(v)));
    std::printf("%zu notes, %.2f s on %s, peak %.3f -> %s\n", melody.notes.size(), audio.seconds(), engine.compute_name().c_str(), peak, argv[1]);
    return peak > 0.01 ? 0 : 1;
  } catch (const timbrel::Error& e) {
    std::cerr << "timbrel_consumer: " << e.what() << "\n";
    return 1;
  }
}
