// timbrel inspect: what a MIDI or sound file holds, one result per file in argument order.
#include <sys/stat.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>
#include <set>

#include "command.h"
#include "timbrel/error.h"
#include "timbrel/loudness.h"
#include "timbrel/music.h"
#include "timbrel/sound_file.h"

namespace timbrel::cli {
namespace {

using nlohmann::json;

json inspect_midi(const std::string& path) {
  MidiFileInfo info;
  NoteSequence seq = read_midi(path, &info);
  json j = {{"file", path}, {"type", "midi"}, {"format", info.format}, {"tracks", info.tracks}};
  if (info.smpte) j["ticks_per_second"] = info.division;
  else j["ticks_per_quarter"] = info.division;
  j["tempo_qpm"] = seq.first_qpm();
  j["tempo_changes"] = seq.tempos.size() > 1 ? seq.tempos.size() - 1 : 0;
  j["time_signature"] = seq.time_signatures.empty()
                            ? json(nullptr)
                            : json(std::to_string(seq.time_signatures[0].numerator) + "/" +
                                   std::to_string(seq.time_signatures[0].denominator));
  j["notes"] = seq.notes.size();
  j["duration_seconds"] = seq.total_time;
  if (seq.notes.empty()) {
    j["pitch_range"] = nullptr;
  } else {
    auto [lo, hi] = std::minmax_element(seq.notes.begin(), seq.notes.end(),
                                        [](const Note& a, const Note& b) { return a.pitch < b.pitch; });
    j["pitch_range"] = {lo->pitch, hi->pitch};
  }
  j["drums"] = seq.has_drums();
  std::set<int> programs;
  for (const Note& n : seq.notes)
    if (!n.is_drum) programs.insert(n.program);
  j["programs"] = programs;
  json names = json::array();
  for (const TrackInfo& t : seq.tracks)
    if (!t.name.empty()) names.push_back(t.name);
  j["track_names"] = names;
  return j;
}

// -inf (silence, or under 0.4 s for the integrated loudness) has no JSON number: null.
json finite_or_null(double v) { return std::isfinite(v) ? json(std::round(v * 100) / 100) : json(nullptr); }

// EBU R128 integrated loudness, true peak, sample peak and loudness range; null where the audio
// cannot be measured (a rate under 8 kHz, non-finite samples).
void add_loudness(json& j, const Audio& audio) {
  LoudnessInfo m{-HUGE_VAL, -HUGE_VAL, -HUGE_VAL, -HUGE_VAL};
  try {
    m = measure_loudness(audio);
  } catch (const Error&) {
  }
  j["integrated_lufs"] = finite_or_null(m.integrated_lufs);
  j["true_peak_dbtp"] = finite_or_null(m.true_peak_dbtp);
  j["sample_peak_dbfs"] = finite_or_null(m.sample_peak_dbfs);
  j["loudness_range_lu"] = finite_or_null(m.loudness_range_lu);
}

json inspect_sound(const std::string& path) {
  SoundFileInfo info;
  Audio audio = read_sound_file(path, &info);
  json j = {{"file", path}, {"type", "audio"}, {"container", info.container}, {"encoding", info.encoding},
            {"sample_rate", info.sample_rate}, {"channels", info.channels}, {"frames", info.frames},
            {"seconds", audio.seconds()}, {"peak", audio.peak()}};
  add_loudness(j, audio);
  return j;
}

json inspect_file(const std::string& path) {
  struct stat st;
  if (::stat(path.c_str(), &st) != 0) throw Error(path, "no such file");
  if (S_ISDIR(st.st_mode)) throw Error(path, "is a folder, not a MIDI or sound file");
  char magic[4] = {};
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error(path, "cannot open file");
  in.read(magic, 4);
  if (in.gcount() == 4 && std::string(magic, 4) == "MThd") return inspect_midi(path);
  try {
    return inspect_sound(path);
  } catch (const Error&) {
    throw Error(path, "not a MIDI file or a sound file that libsndfile reads");
  }
}

std::string fmt_seconds(double s) {
  char b[32];
  std::snprintf(b, sizeof b, "%.2f s", s);
  return b;
}

// "-23.0 LUFS", or "-inf LUFS" for a null (silent) value.
std::string fmt_level(const json& v, const char* unit) {
  char b[32];
  if (v.is_null()) std::snprintf(b, sizeof b, "-inf %s", unit);
  else std::snprintf(b, sizeof b, "%.1f %s", v.get<double>(), unit);
  return b;
}

void print_text(const json& j) {
  std::cout << j["file"].get<std::string>() << ": ";
  if (j["type"] == "midi") {
    std::cout << "MIDI format " << j["format"] << ", " << j["tracks"] << (j["tracks"] == 1 ? " track" : " tracks")
              << ", " << (j.contains("ticks_per_quarter") ? j["ticks_per_quarter"].dump() + " ticks/quarter"
                                                             : j["ticks_per_second"].dump() + " ticks/s (SMPTE)")
              << "\n  tempo " << j["tempo_qpm"].get<double>() << " qpm";
    if (j["tempo_changes"] > 0) std::cout << " (" << j["tempo_changes"] << " changes)";
    std::cout << ", time signature " << (j["time_signature"].is_null() ? "none" : j["time_signature"].get<std::string>())
              << "\n  " << j["notes"] << " notes, " << fmt_seconds(j["duration_seconds"].get<double>());
    if (!j["pitch_range"].is_null()) std::cout << ", pitches " << j["pitch_range"][0] << "-" << j["pitch_range"][1];
    std::cout << ", drums: " << (j["drums"].get<bool>() ? "yes" : "no") << "\n";
  } else {
    std::cout << j["container"].get<std::string>() << " " << j["encoding"].get<std::string>() << ", "
              << j["sample_rate"] << " Hz, " << j["channels"] << (j["channels"] == 1 ? " channel, " : " channels, ")
              << fmt_seconds(j["seconds"].get<double>()) << ", peak " << j["peak"].get<float>() << "\n  loudness "
              << fmt_level(j["integrated_lufs"], "LUFS") << ", true peak " << fmt_level(j["true_peak_dbtp"], "dBTP")
              << ", range " << fmt_level(j["loudness_range_lu"], "LU") << "\n";
  }
}

}  // namespace

void add_inspect(CLI::App& app, Status& status) {
  auto* cmd = app.add_subcommand("inspect", "Describe MIDI and sound files (sound files: EBU R128 loudness and true peak)");
  auto files = std::make_shared<std::vector<std::string>>();
  auto json_out = std::make_shared<bool>(false);
  cmd->add_option("files", *files, "MIDI (.mid) or sound files (WAV, FLAC, ...)")->required();
  cmd->add_flag("--json", *json_out, "One JSON object per file per line, in argument order");
  cmd->footer("Examples:\n  timbrel inspect melody.mid\n  timbrel inspect --json take.wav song.mid");
  cmd->callback([files, json_out, &status] {
    for (const std::string& path : *files) {
      try {
        json j = inspect_file(path);
        if (*json_out) std::cout << j.dump() << std::endl;
        else print_text(j);
      } catch (const Error& e) {
        std::cout.flush();
        print_error(e.what());
        status.exit_code = 1;
      }
    }
  });
}

}  // namespace timbrel::cli
