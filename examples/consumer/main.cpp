// timbrel_consumer OUT.wav: a two-bar melody composed and played by Timbrel's bundled models,
// written as a WAV file; prints where it ran and how loud the result is.
#include <cmath>
#include <cstdio>
#include <iostream>

#include "timbrel/engine.h"
#include "timbrel/error.h"
#include "timbrel/sound_file.h"

int main(int argc, char** argv) {
  if (argc != 2) {
    std::cerr << "usage: timbrel_consumer OUT.wav\n";
    return 2;
  }
  try {
    timbrel::EngineParams params;
    params.device = timbrel::Device::Cpu;
    params.log = [](const std::string& m) { std::cerr << "timbrel: " << m << "\n"; };
    timbrel::Engine engine(params);
    timbrel::SongRequest song;
    song.bars = 2;
    song.seed = 5;
    const timbrel::NoteSequence melody = engine.compose(song);
    const timbrel::Audio audio = engine.render(melody);
    timbrel::write_sound_file(argv[1], audio);
    double peak = 0;
    for (float v : audio.samples) peak = std::max(peak, double(std::abs(v)));
    std::printf("%zu notes, %.2f s on %s, peak %.3f -> %s\n", melody.notes.size(), audio.seconds(), engine.compute_name().c_str(), peak, argv[1]);
    return peak > 0.01 ? 0 : 1;
  } catch (const timbrel::Error& e) {
    std::cerr << "timbrel_consumer: " << e.what() << "\n";
    return 1;
  }
}
