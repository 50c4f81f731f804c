#pragma once
// Options and rendering shared by the GANSynth commands (note, morph): generator spectrograms ->
// audio through the spectral core, with a velocity gain.
#include <CLI/CLI.hpp>
#include <string>
#include <vector>

#include "timbrel/engine.h"
#include "timbrel/gansynth.h"
#include "timbrel/spectral.h"

namespace timbrel::cli {

struct NoteFlags {
  std::string compat = "exact", phase, bit_depth = "16", device = "auto";  // phase "": the renderer's for the model
  int iterations = 32;
  int velocity = 127;
};

void add_render_options(CLI::App* cmd, NoteFlags& o);
// "a,b,c" -> {"a", "b", "c"} (timbre lists, corners, pad coordinates).
std::vector<std::string> split_list(const std::string& text, char sep = ',');
// The engine for a GANSynth command: `model` ("" = bundled) and --device.
Engine note_engine(const std::string& model, const NoteFlags& o);
// --phase; else magenta.js's (if) with --compat magentajs; else what the renderer takes for the
// model's notes (drum hits: griffin-lim, else pghi).
std::string note_phase(Engine& engine, const NoteFlags& o);
// n spectrograms (n * kSpectrogramValues) -> n * kNoteSamples samples, times velocity / 127.
std::vector<float> render_notes(Engine& engine, const std::vector<float>& spectrograms, const NoteFlags& o);
// Writes 16 kHz mono audio in the chosen bit depth (atomic).
void write_note_audio(const std::string& path, std::vector<float> samples, const NoteFlags& o);

}  // namespace timbrel::cli
