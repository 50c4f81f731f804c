// timbrel eval melody|drums: reconstruction accuracy of a MusicVAE on a folder of MIDI files.
// timbrel eval timbre: pitch, distance and interpolation measures of a timbre model.
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <nlohmann/json.hpp>

#include "command.h"
#include "note_render.h"
#include "timbrel/ddsp.h"
#include "timbrel/engine.h"
#include "timbrel/error.h"
#include "timbrel/evaluate.h"
#include "timbrel/musicvae.h"
#include "paths.h"

namespace timbrel::cli {
namespace {

struct EvalFlags {
  MusicVaeEvalOptions eval;
  bool json = false;
};

void run(const EvalFlags& o, Status& status) {
  const MusicVaeEvalOptions& e = o.eval;
  name_flag("chords", "--chords");
  name_flag("bars", "--bars");
  const MusicVaeEvalReport r = evaluate_musicvae(e);
  for (const auto& f : r.skipped) print_error(f + " (skipped)");
  if (!r.skipped.empty()) status.exit_code = 1;
  if (o.json) {
    std::cout << nlohmann::json{{"model", e.model}, {"data", e.data}, {"kind", to_string(e.kind)}, {"bars", r.bars}, {"chain", r.chain},
                                {"files", r.files}, {"skipped_files", r.skipped.size()}, {"windows", r.windows},
                                {"held_out", e.held_out}, {"refine_steps", r.refine_steps}, {"token_accuracy", r.token_accuracy},
                                {"teacher_forced_accuracy", r.teacher_forced_accuracy},
                                {"over_chords", r.over_chords.files ? nlohmann::json::parse(to_json(r.over_chords, r.over_chords_about)) : nlohmann::json()}}
                     .dump()
              << std::endl;
  } else {
    std::cout << e.model << " on " << e.data << " (" << r.bars << "-bar windows" << (r.chain ? ", as a chain" : "")
              << (r.refine_steps ? ", latents refined " + std::to_string(r.refine_steps) + " steps" : "") << "): token_accuracy "
              << r.token_accuracy << ", teacher-forced " << r.teacher_forced_accuracy << " over " << r.windows << " windows of "
              << r.files << (e.held_out ? " held-out" : "") << " files (" << r.skipped.size() << " skipped)" << std::endl;
    const ContinuationScore& c = r.over_chords;
    if (c.files)
      std::cout << "sampled over the windows' chords (temperature " << e.temperature << "): strong-beat chord tones " << c.chord_tones
                << " (the windows: " << c.real_chord_tones << "), in key " << c.in_key << " (" << c.real_in_key << "), notes "
                << c.notes << " (" << c.real_notes << ")" << std::endl;
  }
}

void add_eval_musicvae(CLI::App& eval, const std::string& kind, Status& status) {
  auto o = std::make_shared<EvalFlags>();
  o->eval.kind = parse_model_kind(kind);
  auto* cmd = eval.add_subcommand(kind, "Reconstruction token accuracy of a MusicVAE " + kind + " model on a MIDI folder");
  cmd->add_option("--model,-m", o->eval.model, "MusicVAE model with an encoder")->required();
  cmd->add_option("--data", o->eval.data, "Folder of MIDI files (searched recursively)")->required();
  cmd->add_option("--bars", o->eval.bars, "Window length in bars (default: the model's); a 2-bar model given more plays them as a chain")
      ->check(CLI::Range(2, 64));
  cmd->add_option("--refine", o->eval.refine_steps, "Refine each encoded latent this many Adam steps toward the one its window decodes best from")
      ->check(CLI::Range(0, 100000))
      ->default_val(0);
  cmd->add_flag("--held-out", o->eval.held_out,
                "Only the files `train` holds out of this folder: info.csv's validation split, else the hash rule (see --validation)");
  cmd->add_option("--validation", o->eval.validation_fraction, "With --held-out and no info.csv: the fraction `train --validation` held out")
      ->check(CLI::Range(0.0, 1.0))
      ->default_val(0.1);
  if (kind == "melody") {
    cmd->add_flag("--chords", o->eval.chords,
                  "Files with chords only: also one sample per window over its chords (always, for a chord-conditioned model), "
                  "scored beside the window");
    cmd->add_option("--gap-bars", o->eval.gap_bars,
                    "Melodies end at rests of this many bars, so no window spans them (as `train --gap-bars`; default 0: never)")
        ->check(CLI::Range(0.0, 64.0))
        ->default_val(0);
    cmd->add_option("--temperature", o->eval.temperature, "Of those samples")->default_val(0.5)->check(CLI::Range(0.0, 10.0));
    cmd->add_option("--seed", o->eval.seed, "Of those samples")->default_val(0);
  }
  cmd->add_flag("--json", o->json, "Print one JSON object");
  cmd->footer("Example:\n  timbrel eval melody --model models/melody-2bar --data my_tunes/ --bars 16 --json\n"
              "Every window (a window every bar, each within its melody) is encoded to its mean and decoded by argmax:\n"
              "token_accuracy = fraction of steps equal to the input; teacher-forced: each step fed the true previous token.\n"
              "A 2-bar model on longer windows encodes and decodes each 2 bars on its own (the chain `generate` plays).\n"
              "Unreadable files are reported and skipped (exit 1).");
  cmd->callback([o, &status] { run(*o, status); });
}

void print_timbre_report(const nlohmann::json& r) {
  std::cout << "timbre model " << r["model"].get<std::string>() << "\n";
  if (r["pitch"].is_object()) {
    for (const char* side : {"generated", "truth"}) {
      if (!r["pitch"].contains(side)) continue;
      const auto& p = r["pitch"][side];
      std::cout << "  in tune (" << side << ", " << p["notes"] << " notes): " << 100 * p["in_tune_octave_folded"].get<double>()
                << "% octave-folded, " << 100 * p["in_tune_exact"].get<double>() << "% exact, median |error| "
                << p["median_abs_folded_cents"].get<double>() << " cents\n";
    }
  } else {
    std::cout << "  pitch: " << r["pitch"].get<std::string>() << "\n";
  }
  if (r["distances"].is_object()) {
    for (const char* k : {"validation_pitches", "test_presets", "same_family_other_preset"}) {
      const auto& d = r["distances"][k];
      std::cout << "  distance " << k << " (" << d["notes"] << " notes): log-mel L1 " << d["log_mel_l1"].get<double>()
                << ", MR-STFT " << d["mr_stft"].get<double>() << "\n";
    }
  }
  const auto& i = r["interpolation"];
  std::cout << "  interpolation (" << i["paths"] << " slerps x " << i["steps"] << " steps): centroid monotonic on "
            << i["centroid_monotonic_paths"] << ", loudness on " << i["loudness_monotonic_paths"] << "; worst reversal centroid "
            << i["centroid_worst_reversal"].get<double>() << ", loudness " << i["loudness_worst_reversal"].get<double>() << std::endl;
}

constexpr const char* kFluidR3 = "/usr/share/sounds/sf2/FluidR3_GM.sf2";

void print_sweep_report(const nlohmann::json& r) {
  std::cout << "keyboard sweep of " << r["model"].get<std::string>() << " (" << r["kind"].get<std::string>() << ", MIDI "
            << r["pitches"][0] << ".." << r["pitches"][1] << ", " << r["notes"] << " notes)\n";
  auto stat = [](const nlohmann::json& s, const char* key, const char* unit) {
    if (!s.contains(key) || s[key].is_null()) return std::string();
    const auto& v = s[key];
    char line[160];
    std::snprintf(line, sizeof line, " %s mean %.2f%s worst %.2f%s (MIDI %d);", key, v["mean"].get<double>(), unit, v["worst"].get<double>(),
                  unit, v["worst_pitch"].get<int>());
    return std::string(line);
  };
  for (const auto& t : r["timbres"]) {
    const auto& s = t["summary"];
    std::cout << "  " << t["timbre"].get<std::string>() << (t["preset"].get<std::string>().empty() ? "" : " (" + t["preset"].get<std::string>() + ")")
              << ":" << stat(s, "hnr_db", " dB") << stat(s, "peak_db", " dB") << stat(s, "subsonic_fraction", "")
              << stat(s, "kit_balance_error_db", " dB") << stat(s, "centroid_ratio", "x") << stat(s, "lsd_db", " dB")
              << stat(s, "lsd_floor_db", " dB") << stat(s, "lsd_neighbour_db", " dB") << "\n    at 48 kHz:" << stat(s, "lsd_48k_db", " dB")
              << stat(s, "band_8_24k_error_db", " dB") << stat(s, "level_balance_error_db", " dB") << "\n";
  }
  for (const auto& f : r["failed"]) {
    std::string why;
    for (const auto& w : f["why"]) why += (why.empty() ? "" : ", ") + w.get<std::string>();
    std::cout << "  FAIL " << f["timbre"].get<std::string>() << " MIDI " << f["pitch"] << ": " << why << "\n";
  }
  std::cout << "  " << (r["passed"].get<bool>() ? "every note passed" : std::to_string(r["failed"].size()) + " notes failed") << "; "
            << r["raw_subsonic_notes"] << " notes have more than " << r["limits"]["subsonic_fraction"]
            << " of their raw energy below 30 Hz (before the renderer's high-pass)" << std::endl;
}

void add_eval_timbre(CLI::App& eval, Status& status) {
  auto o = std::make_shared<TimbreEvalOptions>();
  auto sweep = std::make_shared<TimbreSweepOptions>();
  auto sweep_on = std::make_shared<bool>(false);
  auto sweep_timbres = std::make_shared<std::string>();
  auto sweep_phase = std::make_shared<std::string>();
  auto json = std::make_shared<bool>(false);
  auto* cmd = eval.add_subcommand("timbre", "Pitch accuracy, closeness to real notes and interpolation smoothness of a timbre model");
  cmd->add_option("--model,-m", o->model, "GANSynth model folder (default: the bundled models/gm-timbres); with --sweep also a DDSP model");
  cmd->add_option("--data", o->data, "Note set with the real notes (timbrel dataset notes); without it, only pitch and interpolation");
  cmd->add_option("--notes", o->notes, "Pitch-tracked notes per side")->default_val(80);
  cmd->add_option("--timbres", o->timbres, "Random timbres (and real presets) in the pitch test")->default_val(16);
  cmd->add_option("--distance-notes", o->distance_notes, "Validation notes for the distances")->default_val(48);
  cmd->add_option("--test-presets", o->test_presets, "Held-out presets to fit and measure")->default_val(4);
  cmd->add_option("--fit-steps", o->fit_steps, "Adam steps when fitting a held-out preset's latent")->default_val(80);
  cmd->add_option("--paths", o->paths, "Interpolation paths")->default_val(8);
  cmd->add_option("--threads", o->threads, "Threads")->default_val(2);
  cmd->add_option("--keep-audio", o->work_dir, "Keep the WAVs given to the pitch tracker in this folder");
  cmd->add_flag("--sweep", *sweep_on, "Keyboard sweep instead: every pitch (drums: every GM drum note) of a few timbres, checked; "
                                      "exit status 1 when any note fails");
  cmd->add_option("--sweep-timbres", *sweep_timbres, "Timbres of the sweep, A,B,C (default program:0,program:40,program:73; drums: the Standard kit)");
  cmd->add_option("--soundfont", sweep->soundfont, std::string("Sweep: the truth's SoundFont (default ") + kFluidR3 + " when present)");
  cmd->add_option("--phase", *sweep_phase, "Sweep: phase reconstruction of the notes (if, pghi, griffin-lim, ...; default: the renderer's: pghi, a drum model's hits griffin-lim)")
      ->capture_default_str();
  cmd->add_option("--png-dir", sweep->png_dir, "Sweep: write a spectrogram PNG per timbre (generated above, FluidSynth's notes below)");
  cmd->add_flag("--json", *json, "Print one JSON object");
  cmd->footer("Examples:\n  timbrel eval timbre --model models/gm-timbres --data notes/fluidr3 --json\n"
              "  timbrel eval timbre --sweep --model models/gm-drums --png-dir sweep/\n"
              "  timbrel eval timbre --sweep --model models/ddsp-gm      # a DDSP model, its notes as the renderer plays them\n"
              "Pitch: aubiopitch -p yinfft (Debian aubio-tools) on the note at 48 kHz, median over 0.3-1.7 s; in tune = within 50 cents\n"
              "(octave-folded: pitch class, octave errors forgiven), on MIDI 36..84, generated vs real notes.");
  cmd->callback([o, json, sweep, sweep_on, sweep_timbres, sweep_phase, &status] {
    if (o->model.empty()) o->model = bundled_model_path("gm-timbres");
    o->log = *json ? std::function<void(const std::string&)>() : stderr_log();
    if (*sweep_on) {
      sweep->model = o->model;
      if (sweep->soundfont.empty() && std::filesystem::exists(kFluidR3)) sweep->soundfont = kFluidR3;
      sweep->threads = o->threads;
      sweep->work_dir = o->work_dir;
      sweep->log = o->log;
      if (!sweep_phase->empty()) sweep->inverse = InverseOptions{}, sweep->inverse->phase = parse_phase_method(*sweep_phase, "--phase");
      if (!sweep_timbres->empty()) sweep->timbres = split_list(*sweep_timbres);
      const auto report = nlohmann::json::parse(sweep_timbre_model(*sweep));
      if (*json) std::cout << report.dump() << std::endl;
      else print_sweep_report(report);
      if (!report["passed"].get<bool>()) status.exit_code = 1;
      return;
    }
    if (is_ddsp_model(o->model) || is_ddsp_bank(o->model)) throw Error("--model " + o->model, "is a DDSP model or bank: evaluate it with --sweep");
    const auto report = nlohmann::json::parse(evaluate_timbre_model(*o));
    if (*json) std::cout << report.dump() << std::endl;
    else print_timbre_report(report);
  });
}

}  // namespace

void add_eval(CLI::App& app, Status& status) {
  auto* eval = app.add_subcommand("eval", "Evaluate models: MusicVAE (melody, drums), event RNNs or a timbre model");
  eval->require_subcommand(1);
  add_eval_musicvae(*eval, "melody", status);
  add_eval_musicvae(*eval, "drums", status);
  add_eval_timbre(*eval, status);
  add_eval_song(*eval);
  add_eval_rnn(*eval, "melody");
  add_eval_rnn(*eval, "drums");
  add_eval_structure(*eval);
  add_eval_harmony(*eval);
  add_eval_groove(*eval);
  add_eval_arrangement(*eval);
  add_eval_parts(*eval);
}

}  // namespace timbrel::cli
