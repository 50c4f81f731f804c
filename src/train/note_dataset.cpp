#include "train/note_dataset.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <cstring>
#include <fstream>
#include <iostream>
#include <map>
#include <set>
#include <mutex>
#include <nlohmann/json.hpp>
#include <regex>
#include <thread>

#include "timbrel/error.h"
#include "timbrel/sound_file.h"
#include "timbrel/spectral.h"
#include "train/audio_metrics.h"
#include "train/soundfont_notes.h"
#include "util/atomic_file.h"
#include "util/half.h"
#include "train/half_npy_writer.h"

namespace timbrel::train {
namespace fs = std::filesystem;

std::string gm_family(int program) {
  static const char* names[16] = {"Piano", "Chromatic Percussion", "Organ", "Guitar", "Bass", "Strings",
                                  "Ensemble", "Brass", "Reed", "Pipe", "Synth Lead", "Synth Pad",
                                  "Synth Effects", "Ethnic", "Percussive", "Sound Effects"};
  return program >= 0 && program < 128 ? names[program / 8] : "Other";
}

int pitch_from_name(const std::string& stem) {
  std::smatch m;
  static const std::regex nsynth(R"(-(\d{3})-(\d{3})$)");
  if (std::regex_search(stem, m, nsynth)) return std::stoi(m[1]) <= 127 ? std::stoi(m[1]) : -1;
  static const std::regex note(R"((^|[^A-Za-z])([A-Ga-g])(#|s|b)?(-?[0-9])(?![0-9]))");
  if (std::regex_search(stem, m, note)) {
    static const int classes[7] = {9, 11, 0, 2, 4, 5, 7};  // A..G
    int pc = classes[std::tolower(m[2].str()[0]) - 'a'];
    if (m[3].matched) pc += m[3].str() == "b" ? -1 : 1;
    const int pitch = 12 * (std::stoi(m[4]) + 1) + pc;
    return pitch >= 0 && pitch <= 127 ? pitch : -1;
  }
  static const std::regex number(R"((^|[_\-\s])([0-9]{1,3})($|[_\-\s]))");
  if (std::regex_search(stem, m, number)) {
    const int pitch = std::stoi(m[2]);
    return pitch <= 127 ? pitch : -1;
  }
  return -1;
}

int estimate_pitch(const float* audio, size_t samples) {
  // YIN (de Cheveigne & Kawahara 2002): cumulative-mean-normalised difference, absolute threshold
  // 0.15, parabolic refinement; 30..2000 Hz.
  const int window = 1024, min_tau = 8, max_tau = 533;
  std::vector<double> estimates, d(max_tau + 2);
  for (size_t start = 1600; start + window + max_tau + 2 <= std::min(samples, size_t(16000)); start += 512) {
    const float* x = audio + start;
    double energy = 0;
    for (int i = 0; i < window; ++i) energy += double(x[i]) * x[i];
    if (energy / window < 1e-8) continue;
    double running = 0;
    d[0] = 1;
    int best = -1;
    for (int tau = 1; tau <= max_tau + 1; ++tau) {
      double sum = 0;
      for (int i = 0; i < window; ++i) {
        const double v = double(x[i]) - x[i + tau];
        sum += v * v;
      }
      running += sum;
      d[tau] = running > 0 ? sum * tau / running : 1;
    }
    for (int tau = min_tau; tau <= max_tau; ++tau) {
      if (d[tau] < 0.15) {
        while (tau + 1 <= max_tau && d[tau + 1] < d[tau]) ++tau;
        best = tau;
        break;
      }
    }
    if (best < 0) continue;
    const double a = d[best - 1], b = d[best], c = d[best + 1], den = a - 2 * b + c;
    const double tau = best + (std::abs(den) > 1e-12 ? 0.5 * (a - c) / den : 0.0);
    estimates.push_back(69 + 12 * std::log2(16000.0 / tau / 440.0));
  }
  if (estimates.empty()) return -1;
  std::nth_element(estimates.begin(), estimates.begin() + estimates.size() / 2, estimates.end());
  return int(std::lround(estimates[estimates.size() / 2]));
}

namespace {

constexpr float kNotePeak = 0.9f;
constexpr float kSilentPeak = 1e-4f;  // -80 dBFS: the preset has no sample for this key

struct PendingNote {
  NoteRecord record;
  std::vector<float> audio;  // 4 s at the set's rate
  int order[2] = {0, 0};     // place in the whole set: preset (or recording) ordinal, note within it
};

// Deterministic preset choice for the test split.
uint32_t hash_name(const std::string& s, uint32_t seed) {
  uint32_t h = 2166136261u ^ seed;
  for (unsigned char c : s) h = (h ^ c) * 16777619u;
  h ^= h >> 15;
  h *= 0x2c1b3c6du;
  h ^= h >> 12;
  return h;
}

// Validation holds out (preset, pitch) pairs, about one in `validation_every`, by a hash: never
// a whole pitch, because the generator has per-pitch parameters that must see every pitch.
bool hashes_to_validation(const std::string& preset, int pitch, const NoteSetOptions& o) {
  return o.validation_every > 0 && hash_name(preset + "#" + std::to_string(pitch), o.seed + 1) % uint32_t(o.validation_every) == 0;
}

bool trained_whole(const std::string& preset, const NoteSetOptions& o) {
  return std::find(o.train_whole.begin(), o.train_whole.end(), preset) != o.train_whole.end();
}

// The validation pairs among the training presets, where each pitch keeps at least one trained
// preset: when the hash would hold out a pitch for all of them, the first keeps it.
std::set<std::pair<std::string, int>> validation_pairs(const std::vector<std::string>& presets, int min_pitch, int max_pitch,
                                                       const NoteSetOptions& o) {
  std::set<std::pair<std::string, int>> out;
  for (int pitch = min_pitch; pitch <= max_pitch; ++pitch) {
    std::vector<std::pair<std::string, int>> held;
    for (const auto& p : presets)
      if (!trained_whole(p, o) && hashes_to_validation(p, pitch, o)) held.emplace_back(p, pitch);
    if (!held.empty() && held.size() == presets.size()) held.erase(held.begin());
    out.insert(held.begin(), held.end());
  }
  return out;
}

std::vector<fs::path> recording_files(const NoteSetOptions& o) {
  if (!fs::is_directory(o.from_wavs)) throw Error(o.from_wavs, "no such folder of recordings");
  std::vector<fs::path> files;
  for (const auto& e : fs::recursive_directory_iterator(o.from_wavs)) {
    const std::string ext = e.path().extension().string();
    if (e.is_regular_file() && (ext == ".wav" || ext == ".flac" || ext == ".WAV" || ext == ".FLAC")) files.push_back(e.path());
  }
  std::sort(files.begin(), files.end());
  if (files.empty()) throw Error(o.from_wavs, "has no .wav or .flac files");
  return files;
}

// The instrument of a recording: its sub-folder, or its name without the pitch.
std::string recording_instrument(const fs::path& path, const std::string& root) {
  const fs::path rel = fs::relative(path, root);
  if (rel.has_parent_path()) return rel.parent_path().string();
  const std::string name =
      std::regex_replace(path.stem().string(), std::regex(R"([-_ ]*([A-Ga-g][#sb]?-?[0-9]|[0-9]{1,3})([-_ ][0-9]{1,3})?$)"), "");
  return name.empty() ? "recordings" : name;
}

// The recordings of `files[i]` for the chosen ordinals, decoded at the set's rate with their pitch.
std::vector<PendingNote> read_recordings(const NoteSetOptions& o, const std::vector<fs::path>& files, const std::vector<size_t>& chosen) {
  std::vector<PendingNote> notes;
  for (size_t i : chosen) {
    const fs::path& path = files[i];
    const Audio mono = mix_to_mono(read_sound_file(path.string()));
    const Audio a = resample(mono, o.sample_rate);
    PendingNote n;
    n.audio.assign(note_samples(o.sample_rate), 0.0f);
    std::copy_n(a.samples.begin(), std::min(a.samples.size(), n.audio.size()), n.audio.begin());
    int pitch = pitch_from_name(path.stem().string());
    if (pitch < 0) {
      const Audio low = resample(mono, kNoteSampleRate);  // the estimate reads 16 kHz
      pitch = estimate_pitch(low.samples.data(), std::min(low.samples.size(), size_t(kNoteSamples)));
    }
    if (pitch < 0) {
      if (o.log) o.log(path.string() + ": no pitch in the name and none detected (skipped)");
      continue;
    }
    n.record.source = path.string();
    n.record.pitch = pitch;
    n.record.program = -1;
    n.record.preset = recording_instrument(path, o.from_wavs);
    n.record.family = "Recording";
    n.order[0] = int(i);
    notes.push_back(std::move(n));
  }
  return notes;
}

using Clock = std::chrono::steady_clock;

void check_note_set_options(const NoteSetOptions& o) {
  if (o.out_dir.empty()) throw Error("out_dir", "required");
  if (o.soundfonts.empty() == o.from_wavs.empty()) throw Error("soundfonts", "give SoundFonts or a folder of recordings, one of the two");
  if (o.min_pitch < 0 || o.max_pitch > 127 || o.min_pitch > o.max_pitch) throw Error("pitches", "needs 0 <= low <= high <= 127");
  for (int v : o.velocities)
    if (v < 1 || v > 127) throw Error("velocities", std::to_string(v) + " is outside 1..127");
  if (o.sample_rate < 8000 || o.sample_rate > 96000 || o.sample_rate % 250 != 0)
    throw Error("sample_rate", std::to_string(o.sample_rate) + " Hz: needs 8000..96000, a multiple of 250 (DDSP's frame rate)");
}

// The presets to render: melodic ones or drum kits (bank 128), of the chosen programs, at most
// max_presets, with names made unique (they repeat across SoundFonts and banks).
std::vector<SoundFontPreset> select_presets(const NoteSetOptions& o) {
  std::vector<SoundFontPreset> presets;
  for (const auto& sf : o.soundfonts) {
    for (auto& p : list_soundfont_presets(sf)) {
      if ((p.bank == 128) != o.drums) continue;
      if (!o.programs.empty() && std::find(o.programs.begin(), o.programs.end(), p.program) == o.programs.end()) continue;
      presets.push_back(std::move(p));
    }
  }
  if (presets.empty()) throw Error(o.soundfonts[0], o.drums ? "has no drum kits (bank 128)" : "has no matching melodic presets");
  if (o.max_presets > 0 && int(presets.size()) > o.max_presets) presets.resize(size_t(o.max_presets));
  std::map<std::string, int> seen;
  for (auto& p : presets)
    if (seen[p.name]++ > 0) p.name += " (" + fs::path(p.soundfont).stem().string() + " " + std::to_string(p.bank) + ":" + std::to_string(p.program) + ")";
  return presets;
}

// One preset's notes at every pitch and velocity, with their records.
std::vector<PendingNote> render_preset(const SoundFontPreset& p, const std::vector<int>& pitches, const NoteSetOptions& o) {
  auto audio = render_preset_notes(p, pitches, o.velocities, o.sample_rate);
  std::vector<PendingNote> notes;
  for (size_t i = 0; i < audio.size(); ++i) {
    PendingNote n;
    n.record.source = p.soundfont;
    n.record.bank = p.bank;
    n.record.program = p.program;
    n.record.preset = p.name;
    n.record.family = o.drums ? "Drum Kit" : gm_family(p.program);
    n.record.pitch = pitches[i / o.velocities.size()];
    n.record.velocity = o.velocities[i % o.velocities.size()];
    n.audio = std::move(audio[i]);
    notes.push_back(std::move(n));
  }
  return notes;
}

// The note set being written: notes are levelled and split as they come, their spectrograms
// appended (16 kHz sets: GANSynth's representation is of 16 kHz notes), and the index written
// last (atomically), so a failed build leaves no index.
class NoteSetWriter {
 public:
  NoteSetWriter(const NoteSetOptions& o, int threads)
      : o_(o),
        threads_(threads),
        samples_(note_samples(o.sample_rate)),
        spectrograms_(o.sample_rate == kNoteSampleRate
                          ? std::make_unique<HalfNpyWriter>(o.out_dir + "/spectrograms.npy", std::vector<int64_t>{kSpectrogramFrames, kSpectrogramBins, 2})
                          : nullptr),
        audio_(o.out_dir + "/audio.npy", {int64_t(samples_)}) {}

  std::set<std::pair<std::string, int>> validation;  // (preset, pitch) pairs held out
  NoteSetReport summary;

  // Scales each note to the stored peak (silent ones are dropped, counted) and assigns its split.
  std::vector<PendingNote> finish(std::vector<PendingNote>& notes, bool is_test) {
    std::vector<PendingNote> kept;
    for (auto& n : notes) {
      const float peak = scale_to_peak(n.audio, kNotePeak);
      if (!(peak >= kSilentPeak) || !std::isfinite(peak)) {
        ++summary.silent;
        continue;
      }
      n.record.peak = peak;
      if (is_test) n.record.split = "test";
      else if (validation.count({n.record.preset, n.record.pitch})) n.record.split = "validation";
      kept.push_back(std::move(n));
    }
    return kept;
  }

  void write(const std::vector<PendingNote>& notes) {
    if (notes.empty()) return;
    const auto t0 = Clock::now();
    std::vector<float> audio(notes.size() * samples_);
    for (size_t i = 0; i < notes.size(); ++i) std::copy(notes[i].audio.begin(), notes[i].audio.end(), audio.begin() + long(i * samples_));
    if (spectrograms_) {
      std::vector<float> spec(notes.size() * kSpectrogramValues);
      audios_to_spectrograms(audio.data(), notes.size(), spec.data(), SpectralScale::Mel, threads_);
      spectrograms_->append(spec.data(), spec.size());
    }
    audio_.append(audio.data(), audio.size());
    summary.analyse_seconds += std::chrono::duration<double>(Clock::now() - t0).count();
    for (const auto& n : notes) {
      const NoteRecord& r = n.record;
      index_.push_back({{"source", r.source}, {"bank", r.bank}, {"program", r.program}, {"preset", r.preset}, {"family", r.family},
                        {"pitch", r.pitch}, {"velocity", r.velocity}, {"split", r.split}, {"peak", r.peak}});
      if (sharded()) index_.back()["order"] = {n.order[0], n.order[1]};
      ++(r.split == "train" ? summary.train : r.split == "validation" ? summary.validation : summary.test);
    }
    summary.notes += notes.size();
  }

  bool sharded() const { return o_.shard.count > 1; }

  void commit() {
    if (summary.notes == 0 && !sharded()) throw Error(o_.out_dir, "no audible notes to store");
    nlohmann::json doc = {{"format", "timbrel-notes"},
                          {"version", 1},
                          {"kind", o_.drums ? "drums" : "melodic"},
                          {"sample_rate", o_.sample_rate},
                          {"samples", samples_},
                          {"representation", spectrograms_ ? "normalised IF-mel [128, 1024, 2], float16" : "none (audio only)"},
                          {"note_peak", kNotePeak},
                          {"sources", o_.from_wavs.empty() ? nlohmann::json(o_.soundfonts) : nlohmann::json({o_.from_wavs})},
                          {"pitches", {o_.min_pitch, o_.max_pitch}},
                          {"velocities", o_.velocities},
                          {"split", {{"test_fraction", o_.test_fraction}, {"validation_every", o_.validation_every}, {"seed", o_.seed},
                                     {"train_whole", o_.train_whole}}},
                          {"notes", index_}};
    if (sharded()) doc["shard"] = {{"index", o_.shard.index}, {"count", o_.shard.count}};
    if (spectrograms_) spectrograms_->commit(summary.notes);
    audio_.commit(summary.notes);
    const std::string text = doc.dump(1) + "\n";
    write_file_atomically(o_.out_dir + "/index.json", text.data(), text.size());
  }

 private:
  const NoteSetOptions& o_;
  int threads_;
  size_t samples_;
  std::unique_ptr<HalfNpyWriter> spectrograms_;
  HalfNpyWriter audio_;
  std::vector<nlohmann::json> index_;
};

void check_named_presets(const std::vector<std::string>& names, const NoteSetOptions& o) {
  for (const auto& name : o.train_whole)
    if (std::find(names.begin(), names.end(), name) == names.end())
      throw Error("train_whole", "names preset \"" + name + "\", which is not among the selected presets");
}

// The split is the whole set's (every instrument's name is known before decoding); this shard
// decodes only its instruments.
void add_recordings(const NoteSetOptions& o, bool named_whole, NoteSetWriter& out) {
  const auto t0 = Clock::now();
  const auto files = recording_files(o);
  std::set<std::string> names;
  std::vector<size_t> chosen;
  for (size_t i = 0; i < files.size(); ++i) {
    const std::string name = recording_instrument(files[i], o.from_wavs);
    names.insert(name);
    if (o.shard.contains(name)) chosen.push_back(i);
  }
  const std::vector<std::string> all(names.begin(), names.end());
  if (named_whole) check_named_presets(all, o);
  out.validation = validation_pairs(all, 0, 127, o);
  auto notes = read_recordings(o, files, chosen);
  out.summary.render_seconds = std::chrono::duration<double>(Clock::now() - t0).count();
  std::set<std::string> mine;
  for (const auto& n : notes) mine.insert(n.record.preset);
  out.summary.presets = mine.size();
  out.write(out.finish(notes, false));
}

// Presets in groups of `threads`, rendered in parallel, written in order (the file is deterministic).
void add_soundfont_presets(const NoteSetOptions& o, bool named_whole, int threads, NoteSetWriter& out) {
  const std::vector<SoundFontPreset> presets = select_presets(o);
  std::vector<std::string> names;
  std::vector<size_t> mine;  // this shard's presets; the split is the whole selection's
  for (size_t i = 0; i < presets.size(); ++i) {
    names.push_back(presets[i].name);
    if (o.shard.contains(presets[i].name)) mine.push_back(i);
  }
  if (named_whole) check_named_presets(names, o);
  std::vector<int> pitches;
  for (int p = o.min_pitch; p <= o.max_pitch; ++p) pitches.push_back(p);
  auto is_test = [&](const SoundFontPreset& p) {
    return !trained_whole(p.name, o) && double(hash_name(p.name, o.seed) % 10000) < o.test_fraction * 10000;
  };
  std::vector<std::string> training_presets;
  for (const auto& p : presets)
    if (!is_test(p)) training_presets.push_back(p.name);
  out.validation = validation_pairs(training_presets, o.min_pitch, o.max_pitch, o);
  for (size_t first = 0; first < mine.size(); first += size_t(threads)) {
    const size_t count = std::min(mine.size() - first, size_t(threads));
    std::vector<std::vector<PendingNote>> rendered(count);
    std::vector<std::string> errors(count);
    const auto t0 = Clock::now();
    std::vector<std::thread> workers;
    for (size_t k = 0; k < count; ++k) {
      workers.emplace_back([&, k] {
        try {
          rendered[k] = render_preset(presets[mine[first + k]], pitches, o);
        } catch (const std::exception& e) {
          errors[k] = e.what();
        }
      });
    }
    for (auto& w : workers) w.join();
    for (size_t k = 0; k < count; ++k)
      if (!errors[k].empty()) throw Error(presets[mine[first + k]].soundfont, errors[k]);
    out.summary.render_seconds += std::chrono::duration<double>(Clock::now() - t0).count();
    for (size_t k = 0; k < count; ++k) {
      const SoundFontPreset& p = presets[mine[first + k]];
      for (size_t j = 0; j < rendered[k].size(); ++j) rendered[k][j].order[0] = int(mine[first + k]), rendered[k][j].order[1] = int(j);
      auto kept = out.finish(rendered[k], is_test(p));
      if (!kept.empty()) ++out.summary.presets;
      out.write(kept);
    }
    if (o.progress)
      o.progress(std::to_string(first + count) + "/" + std::to_string(mine.size()) + " presets, " + std::to_string(out.summary.notes) + " notes");
  }
}

}  // namespace

NoteSetReport build_note_set(const NoteSetOptions& options) {
  check_note_set_options(options);
  NoteSetOptions o = options;
  if (o.drums && o.train_whole.empty()) o.train_whole = {"Standard"};  // the renderer's default kit
  fs::create_directories(o.out_dir);
  const int threads = o.threads > 0 ? o.threads : std::max(1u, std::thread::hardware_concurrency());
  NoteSetWriter out(o, threads);
  const bool named_whole = !options.train_whole.empty();
  if (!o.from_wavs.empty()) add_recordings(o, named_whole, out);
  else add_soundfont_presets(o, named_whole, threads, out);
  out.commit();
  return out.summary;
}

// ---- reading ----

namespace {
struct Mapping {
  void* base = MAP_FAILED;
  size_t size = 0;
  const uint16_t* data = nullptr;
  ~Mapping() {
    if (base != MAP_FAILED) ::munmap(base, size);
  }
};

void map_half_npy(const std::string& path, std::vector<int64_t> row_shape, size_t rows, Mapping& m) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) throw Error(path, std::string("cannot open: ") + std::strerror(errno));
  struct stat st {};
  ::fstat(fd, &st);
  m.size = size_t(st.st_size);
  m.base = m.size ? ::mmap(nullptr, m.size, PROT_READ, MAP_SHARED, fd, 0) : MAP_FAILED;
  ::close(fd);
  if (m.base == MAP_FAILED) throw Error(path, "cannot map the file");
  NpyHeader h = parse_npy_header(static_cast<const uint8_t*>(m.base), m.size, path, size_t(1) << 46);
  row_shape.insert(row_shape.begin(), int64_t(rows));
  if (h.descr != "<f2" || h.shape != row_shape)
    throw Error(path, "expected float16 of shape [" + std::to_string(rows) + ", ...] matching index.json");
  if (m.size - h.data_offset != h.count * 2) throw Error(path, "truncated: data is shorter than its shape");
  m.data = reinterpret_cast<const uint16_t*>(static_cast<const uint8_t*>(m.base) + h.data_offset);
  ::madvise(m.base, m.size, MADV_RANDOM);
}
}  // namespace

struct NoteSet::Impl {
  std::string dir, kind;
  int sample_rate = kNoteSampleRate;
  size_t samples = kNoteSamples;
  bool spectrograms_stored = true;
  std::vector<NoteRecord> notes;
  Mapping spectrograms, audio;
};

NoteSet::NoteSet(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
NoteSet::~NoteSet() = default;
NoteSet::NoteSet(NoteSet&&) noexcept = default;
NoteSet& NoteSet::operator=(NoteSet&&) noexcept = default;

NoteSet NoteSet::open(const std::string& dir) {
  const std::string index_path = dir + "/index.json";
  if (!fs::exists(index_path)) throw Error(dir, "not a note set: no index.json (make one with `timbrel dataset notes`)");
  auto impl = std::make_unique<Impl>();
  impl->dir = dir;
  try {
    std::ifstream in(index_path);
    nlohmann::json doc = nlohmann::json::parse(in);
    if (doc.value("format", "") != "timbrel-notes") throw Error(index_path, "not a timbrel note index (\"format\" is not \"timbrel-notes\")");
    impl->kind = doc.value("kind", "melodic");
    impl->sample_rate = doc.value("sample_rate", kNoteSampleRate);
    impl->samples = doc.value("samples", size_t(kNoteSamples));
    if (impl->sample_rate < 8000 || impl->samples != note_samples(impl->sample_rate))
      throw Error(index_path, "sample_rate " + std::to_string(impl->sample_rate) + " and samples " + std::to_string(impl->samples) +
                                  " do not make 4 s notes");
    impl->spectrograms_stored = impl->sample_rate == kNoteSampleRate;
    for (const auto& n : doc.at("notes")) {
      NoteRecord r;
      r.source = n.at("source").get<std::string>();
      r.bank = n.at("bank").get<int>();
      r.program = n.at("program").get<int>();
      r.preset = n.at("preset").get<std::string>();
      r.family = n.at("family").get<std::string>();
      r.pitch = n.at("pitch").get<int>();
      r.velocity = n.at("velocity").get<int>();
      r.split = n.at("split").get<std::string>();
      r.peak = n.at("peak").get<float>();
      impl->notes.push_back(std::move(r));
    }
  } catch (const nlohmann::json::exception& e) {
    throw Error(index_path, std::string("invalid index: ") + e.what());
  }
  if (impl->notes.empty()) throw Error(index_path, "lists no notes");
  map_half_npy(dir + "/audio.npy", {int64_t(impl->samples)}, impl->notes.size(), impl->audio);  // first: it shows the rate
  if (impl->spectrograms_stored)
    map_half_npy(dir + "/spectrograms.npy", {kSpectrogramFrames, kSpectrogramBins, 2}, impl->notes.size(), impl->spectrograms);
  return NoteSet(std::move(impl));
}

size_t NoteSet::size() const { return impl_->notes.size(); }
const NoteRecord& NoteSet::note(size_t i) const { return impl_->notes.at(i); }
const std::vector<NoteRecord>& NoteSet::notes() const { return impl_->notes; }
const uint16_t* NoteSet::spectrogram(size_t i) const {
  if (!impl_->spectrograms_stored) require_sample_rate(kNoteSampleRate, "spectrograms");
  return impl_->spectrograms.data + i * kSpectrogramValues;
}
const uint16_t* NoteSet::audio(size_t i) const { return impl_->audio.data + i * impl_->samples; }
int NoteSet::sample_rate() const { return impl_->sample_rate; }
size_t NoteSet::samples() const { return impl_->samples; }
bool NoteSet::has_spectrograms() const { return impl_->spectrograms_stored; }

void NoteSet::require_sample_rate(int rate, const std::string& user) const {
  if (impl_->sample_rate != rate)
    throw Error(impl_->dir, "holds " + std::to_string(impl_->sample_rate) + " Hz notes; " + user + " needs a " + std::to_string(rate) +
                                " Hz note set (timbrel dataset notes --sample-rate " + std::to_string(rate) + ")");
}
const std::string& NoteSet::dir() const { return impl_->dir; }
std::string NoteSet::kind() const { return impl_->kind; }

}  // namespace timbrel::train
