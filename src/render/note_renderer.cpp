// NoteSequence -> audio: distinct notes generated once in batches, placed with Magenta's envelope,
// long notes extended by looping a steady stretch, mixed under a soft limiter.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstring>
#include <map>

#include "timbrel/error.h"
#include "timbrel/render.h"
#include "timbrel/sound_file.h"

namespace timbrel {
namespace {

constexpr int kRate = kNoteSampleRate;
// Mix headroom: a note at velocity 127 peaks at -6 dBFS; overlaps beyond that meet the limiter.
constexpr float kMasterGain = 0.5f;
// The training notes are held for 3 s: beyond ~2.5 s a generated note starts to release.
constexpr size_t kLoopStart = size_t(1.0 * kRate), kLoopEnd = size_t(2.5 * kRate), kFade = size_t(0.1 * kRate);

// The generated note stretched to `length` samples: as generated up to kLoopEnd, then the
// [kLoopStart, kLoopEnd) stretch repeated with equal-power cross-fades.
std::vector<float> sustained(const std::vector<float>& note, size_t length) {
  if (length <= kLoopEnd) return std::vector<float>(note.begin(), note.begin() + long(std::min(length, note.size())));
  std::vector<float> out(note.begin(), note.begin() + long(kLoopEnd));
  while (out.size() < length) {
    const size_t at = out.size() - kFade;  // overlap the last kFade samples
    for (size_t i = 0; i < kFade; ++i) {
      const float t = float(i) / float(kFade);
      out[at + i] = out[at + i] * std::cos(t * float(M_PI) / 2) + note[kLoopStart + i] * std::sin(t * float(M_PI) / 2);
    }
    out.insert(out.end(), note.begin() + long(kLoopStart + kFade), note.begin() + long(kLoopEnd));
  }
  out.resize(length);
  return out;
}

struct Job {
  const Gansynth* model;
  int pitch;
  std::vector<float> z;
};

}  // namespace

std::vector<float> render_sequence(const NoteSequence& seq, const Gansynth& melodic, const Gansynth* drums,
                                   const NoteRenderOptions& o, NoteRenderReport* report) {
  const auto t0 = std::chrono::steady_clock::now();
  if (o.attack < 0 || o.release < 0) throw Error("--attack/--release", "must not be negative");
  if (o.batch < 1) throw Error("--batch", "must be positive");
  NoteRenderReport r;
  std::vector<float> drum_z;
  if (drums) {
    const auto& names = drums->info().timbre_names;
    std::string kit = names.empty() ? "seed:0" : "preset:" + names.front();
    if (std::find(names.begin(), names.end(), "Standard") != names.end()) kit = "preset:Standard";  // the GM kit
    drum_z = drums->timbre(!o.drum_timbre.empty() ? o.drum_timbre : kit);
  }
  // Each timbre spec resolved once (a .npy is read once, not per note).
  std::map<std::string, std::vector<float>> latents;
  const TimbreLookup lookup = [&](const std::string& spec) -> const std::vector<float>& {
    auto it = latents.find(spec);
    if (it == latents.end()) it = latents.emplace(spec, melodic.timbre(spec)).first;
    return it->second;
  };
  // Distinct (model, pitch, latent) -> job index.
  std::map<std::pair<const Gansynth*, std::pair<int, std::vector<float>>>, size_t> index;
  std::vector<Job> jobs;
  struct Placed {
    size_t job;
    const Note* note;
  };
  std::vector<Placed> placed;
  for (const Note& n : seq.notes) {
    const Gansynth* model = n.is_drum ? drums : &melodic;
    if (!model) {
      ++r.skipped_drums;
      continue;
    }
    const GansynthConfig& c = model->info().config;
    int pitch = n.pitch;
    if (pitch < c.min_pitch || pitch > c.max_pitch()) {
      if (o.strict || n.is_drum)
        throw Error("note at " + std::to_string(n.start_time) + " s", "pitch " + std::to_string(n.pitch) + " is outside the model's range " +
                                                                        std::to_string(c.min_pitch) + ".." + std::to_string(c.max_pitch()) +
                                                                        (n.is_drum ? " (drum notes are never transposed)" : " (--strict)"));
      while (pitch < c.min_pitch) pitch += 12;
      while (pitch > c.max_pitch()) pitch -= 12;
      ++r.transposed;
    }
    std::vector<float> z = n.is_drum ? drum_z : scheduled_timbre(lookup, o.schedule, n.start_time, n.instrument);
    auto key = std::make_pair(model, std::make_pair(pitch, z));
    auto it = index.find(key);
    if (it == index.end()) {
      it = index.emplace(key, jobs.size()).first;
      jobs.push_back({model, pitch, std::move(z)});
    }
    placed.push_back({it->second, &n});
    ++(n.is_drum ? r.drum_notes : r.notes);
  }

  // Generate per model in batches; each note normalised to its own peak.
  std::vector<std::vector<float>> audio(jobs.size());
  size_t done = 0;
  for (const Gansynth* model : {&melodic, drums}) {
    if (!model) continue;
    std::vector<size_t> mine;
    for (size_t j = 0; j < jobs.size(); ++j)
      if (jobs[j].model == model && audio[j].empty()) mine.push_back(j);
    for (size_t first = 0; first < mine.size(); first += size_t(o.batch)) {
      const size_t n = std::min(mine.size() - first, size_t(o.batch));
      std::vector<float> z;
      std::vector<int> pitches;
      for (size_t k = first; k < first + n; ++k) {
        z.insert(z.end(), jobs[mine[k]].z.begin(), jobs[mine[k]].z.end());
        pitches.push_back(jobs[mine[k]].pitch);
      }
      std::vector<float> spec = model->generate(z, pitches), out(n * kNoteSamples);
      spectrograms_to_audio(spec.data(), n, out.data(), o.inverse, o.threads);
      for (size_t k = 0; k < n; ++k) {
        std::vector<float>& a = audio[mine[first + k]];
        a.assign(out.begin() + long(k * kNoteSamples), out.begin() + long((k + 1) * kNoteSamples));
        float peak = 0;
        for (float v : a) peak = std::max(peak, std::fabs(v));
        if (peak > 0)
          for (float& v : a) v /= peak;
      }
      done += n;
      if (o.progress) o.progress(done, jobs.size());
    }
  }
  r.generated = jobs.size();

  // Place: attack, hold to the note end, release; velocity / 127.
  double end = 0;
  for (const auto& p : placed) end = std::max(end, p.note->end_time + o.release);
  std::vector<float> mix(size_t(std::ceil(end * kRate)) + 1, 0.0f);
  const double attack = o.attack * kRate, release = o.release * kRate;
  for (const auto& p : placed) {
    const Note& n = *p.note;
    const size_t start = size_t(std::max(0.0, n.start_time) * kRate);
    const double held = std::max(n.end_time - n.start_time, 0.0) * kRate;
    const size_t length = size_t(held + release);
    const std::vector<float> note = sustained(audio[p.job], length);
    const float gain = kMasterGain * float(n.velocity) / 127.0f;
    for (size_t i = 0; i < note.size() && start + i < mix.size(); ++i) {
      const double t = double(i);
      double env = t < attack ? t / attack : 1.0;
      if (t >= held) env *= std::max(0.0, 1.0 - (t - held) / std::max(release, 1.0));
      mix[start + i] += float(env) * gain * note[i];
    }
  }
  for (float& v : mix) {
    r.peak_before_limiter = std::max(r.peak_before_limiter, double(std::fabs(v)));
    v = soft_limit(v);
  }
  if (o.sample_rate != kRate) {
    Audio a;
    a.sample_rate = kRate;
    a.samples = std::move(mix);
    mix = resample(a, o.sample_rate).samples;
  }
  r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  if (report) *report = r;
  return mix;
}

}  // namespace timbrel
