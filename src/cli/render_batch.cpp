// timbrel render-batch: every MIDI file of a folder to audio with `render`'s options, one shard of
// the folder per job (util/shard.h): finished outputs are skipped, each file is written
// atomically, and a bad file is reported in the shard's summary without stopping the shard.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "command.h"
#include "song_options.h"
#include "timbrel/error.h"
#include "timbrel/music.h"
#include "timbrel/sound_file.h"
#include "timbrel/files.h"
#include "timbrel/shard.h"

namespace timbrel::cli {
namespace {

namespace fs = std::filesystem;

struct BatchFlags {
  SongFlags song;
  std::string input_dir, format = "wav", shard = "0/1";
  int shard_count = 0;
};

// MIDI files under `dir`, as paths relative to it with '/' separators, sorted.
std::vector<std::string> midi_files(const std::string& dir) {
  if (!fs::is_directory(dir)) throw Error(dir, "is not a folder");
  std::vector<std::string> out;
  for (const auto& e : fs::recursive_directory_iterator(dir, fs::directory_options::skip_permission_denied)) {
    if (!e.is_regular_file()) continue;
    std::string ext = e.path().extension().string();
    std::transform(ext.begin(), ext.end(), ext.begin(), [](unsigned char c) { return char(std::tolower(c)); });
    if (ext == ".mid" || ext == ".midi") out.push_back(fs::relative(e.path(), dir).generic_string());
  }
  std::sort(out.begin(), out.end());
  return out;
}

// Returns the number of files that failed.
size_t run(const BatchFlags& b) {
  const Shard shard = parse_shard(b.shard, b.shard_count, "--shard");
  if (b.format != "wav" && b.format != "flac") throw Error("--format " + b.format, "must be wav or flac");
  const std::vector<std::string> all = midi_files(b.input_dir);
  std::vector<std::string> mine;
  for (const auto& f : all)
    if (shard.contains(f)) mine.push_back(f);
  const auto t0 = std::chrono::steady_clock::now();
  fs::create_directories(b.song.out);
  NoteRenderOptions r = note_render_options(b.song);
  const SampleFormat format = parse_sample_format(b.song.bit_depth, "--bit-depth");
  std::unique_ptr<Engine> engine;
  size_t rendered = 0, skipped = 0;
  nlohmann::json failed = nlohmann::json::array();
  for (size_t i = 0; i < mine.size(); ++i) {
    const std::string in = (fs::path(b.input_dir) / mine[i]).string();
    const std::string out = (fs::path(b.song.out) / fs::path(mine[i]).replace_extension("." + b.format)).string();
    if (fs::exists(out)) {  // writes are atomic: a file that exists is complete
      ++skipped;
      continue;
    }
    try {
      const NoteSequence seq = read_midi(in);
      if (seq.notes.empty()) throw Error(in, "has no notes to render");
      if (!engine) engine = std::make_unique<Engine>(engine_params(b.song));
      r.subject = in;
      const Audio a = engine->render(seq, r);
      fs::create_directories(fs::path(out).parent_path());
      write_sound_file(out, a, format);
      ++rendered;
    } catch (const Error& e) {
      failed.push_back({{"file", mine[i]}, {"error", e.what()}});
    }
    std::fprintf(stderr, "\rshard %s: %zu/%zu files", shard.text().c_str(), i + 1, mine.size());
  }
  if (!mine.empty()) std::fprintf(stderr, "\n");
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  const nlohmann::json summary = {{"shard", shard.index},      {"shards", shard.count},  {"input", b.input_dir},
                                  {"files_in_folder", all.size()}, {"files_in_shard", mine.size()}, {"rendered", rendered},
                                  {"skipped_existing", skipped}, {"failed", failed},      {"seconds", seconds}};
  const std::string summary_path =
      (fs::path(b.song.out) / ("render-batch-shard-" + std::to_string(shard.index) + "-of-" + std::to_string(shard.count) + ".json")).string();
  const std::string text = summary.dump(2) + "\n";
  write_file_atomically(summary_path, text.data(), text.size());
  std::printf("shard %s: %zu of %zu files; %zu rendered, %zu already there, %zu failed in %.1f s -> %s\n", shard.text().c_str(),
              mine.size(), all.size(), rendered, skipped, failed.size(), seconds, summary_path.c_str());
  return failed.size();
}

}  // namespace

void add_render_batch(CLI::App& app, Status& status) {
  auto b = std::make_shared<BatchFlags>();
  auto* cmd = app.add_subcommand("render-batch", "Render every MIDI file of a folder (one shard of it per job) to audio files");
  cmd->add_option("input", b->input_dir, "Folder of MIDI files (searched recursively)")->required();
  cmd->add_option("-o,--output", b->song.out, "Output folder (the input's sub-folders are kept)")->required();
  cmd->add_option("--shard", b->shard, "i/n: this job's shard (0-based) of the files, by a stable hash of their paths; "
                                       "auto: from SLURM_ARRAY_TASK_ID or JOB_COMPLETION_INDEX")
      ->capture_default_str();
  cmd->add_option("--shard-count", b->shard_count, "--shard auto with JOB_COMPLETION_INDEX: the Job's completions (else TIMBREL_SHARD_COUNT)");
  cmd->add_option("--format", b->format, "wav or flac")->capture_default_str()->check(CLI::IsMember({"wav", "flac"}));
  add_timbre_options(cmd, b->song);
  cmd->footer("Examples:\n  timbrel render-batch midi/ -o audio/                       # everything, one job\n"
              "  timbrel render-batch midi/ -o audio/ --shard 3/8            # job 3 of 8 (any scheduler)\n"
              "  sbatch --array=0-7 docs/render-batch.sbatch                  # --shard auto under Slurm\n"
              "Files whose output exists are skipped (outputs are written atomically, so a rerun resumes). A bad file is\n"
              "listed in OUT/render-batch-shard-I-of-N.json and the shard goes on; the exit status is 1 when any failed.");
  cmd->callback([b, &status] {
    if (run(*b) > 0) status.exit_code = 1;
  });
}

}  // namespace timbrel::cli
