// NoteSequence -> audio: distinct notes generated once in batches, placed with Magenta's envelope,
// long notes extended by looping a steady stretch, mixed under a soft limiter.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstring>
#include <map>
#include <set>

#include "render/note_level.h"
#include "render/note_renderer.h"
#include "render/sustain.h"
#include "timbrel/error.h"
#include "timbrel/render.h"
#include "timbrel/sound_file.h"

namespace timbrel {
namespace {

constexpr int kRate = kNoteSampleRate;

// The generated note stretched to `length` samples: as generated up to the loop's end, then the
// loop repeated, each seam cross-faded (sustain.h).
std::vector<float> sustained(const std::vector<float>& note, size_t length) {
  const SustainLoop loop(kRate);
  if (length <= loop.end) return std::vector<float>(note.begin(), note.begin() + long(std::min(length, note.size())));
  std::vector<float> out(note.begin(), note.begin() + long(loop.end));
  while (out.size() < length) {
    const size_t at = out.size() - loop.fade;  // the last `fade` samples are the loop's end: the seam
    for (size_t i = 0; i < loop.fade; ++i) out[at + i] = loop.seam(note.data(), i);
    out.insert(out.end(), note.begin() + long(loop.start + loop.fade), note.begin() + long(loop.end));
  }
  out.resize(length);
  return out;
}

}  // namespace

NoteRenderer::NoteRenderer(const NoteSequence& seq, const Gansynth* melodic, const Gansynth* drums, const NoteRenderOptions& o)
    : options_(o), drum_model_(drums != melodic ? drums : nullptr) {
  if (o.attack < 0 || o.release < 0) throw Error("attack/release", "must not be negative");
  if (o.batch < 1) throw Error("batch", "must be positive");
  NoteRenderReport& r = report_;
  std::vector<float> drum_z;
  if (drums) {
    const auto& names = drums->info().timbre_names;
    std::string kit = names.empty() ? "seed:0" : "preset:" + names.front();
    if (std::find(names.begin(), names.end(), "Standard") != names.end()) kit = "preset:Standard";  // the GM kit
    drum_z = drums->timbre(!o.drum_timbre.empty() ? o.drum_timbre : kit);
  }
  TimbreSchedule schedule = o.schedule;
  schedule.follow_programs = schedule.follow_programs && melodic && melodic->info().gm_programs;
  // Each timbre spec resolved once (a .npy is read once, not per note).
  std::map<std::string, std::vector<float>> latents;
  const TimbreLookup lookup = [&](const std::string& spec) -> const std::vector<float>& {
    auto it = latents.find(spec);
    if (it == latents.end()) it = latents.emplace(spec, melodic->timbre(spec)).first;
    return it->second;
  };
  // Notes in time order, so jobs are numbered (and generated) in order of first use.
  std::vector<const Note*> notes;
  for (const Note& n : seq.notes) notes.push_back(&n);
  std::stable_sort(notes.begin(), notes.end(), [](const Note* a, const Note* b) { return a->start_time < b->start_time; });
  // Distinct (model, pitch, latent) -> job index.
  std::map<std::pair<const Gansynth*, std::pair<int, std::vector<float>>>, size_t> index;
  std::set<int> checked_programs;  // GM programs already looked up for the substitution report
  double end = 0;
  for (const Note* np : notes) {
    const Note& n = *np;
    const Gansynth* model = n.is_drum ? drums : melodic;
    if (!model) {
      if (!n.is_drum) throw Error(o.subject, "has melodic notes and no melodic model was given");
      ++r.skipped_drums;
      continue;
    }
    const GansynthConfig& c = model->info().config;
    int pitch = n.pitch;
    if (n.is_drum && drum_note_for_kit(pitch) != pitch) {
      pitch = drum_note_for_kit(pitch);
      if (pitch < 0) {
        ++r.unknown_drums;
        continue;
      }
      ++r.mapped_drums;
    }
    if (pitch < c.min_pitch || pitch > c.max_pitch()) {
      if (o.strict || n.is_drum)
        throw Error("note at " + std::to_string(n.start_time) + " s", "pitch " + std::to_string(n.pitch) + " is outside the model's range " +
                                                                        std::to_string(c.min_pitch) + ".." + std::to_string(c.max_pitch()) +
                                                                        (n.is_drum ? " (drum notes are never transposed)" : " (--strict)"));
      while (pitch < c.min_pitch) pitch += 12;
      while (pitch > c.max_pitch()) pitch -= 12;
      ++r.transposed;
    }
    if (!n.is_drum && schedule.follow_programs && checked_programs.insert(n.program).second) {
      const Gansynth::ProgramPreset p = melodic->preset_for_program(n.program);
      if (!p.exact) r.substituted_programs[n.program] = p.preset;
    }
    std::vector<float> z = n.is_drum ? drum_z : scheduled_timbre(lookup, schedule, n.start_time, n.instrument, n.program);
    auto key = std::make_pair(model, std::make_pair(pitch, z));
    auto it = index.find(key);
    if (it == index.end()) {
      it = index.emplace(key, jobs_.size()).first;
      queue_[model].push_back(jobs_.size());
      jobs_.push_back({model, pitch, std::move(z), {}});
    }
    placed_.push_back({it->second, size_t(std::max(0.0, n.start_time) * kRate), std::max(n.end_time - n.start_time, 0.0) * kRate,
                       kMasterGain * float(n.velocity) / 127.0f});
    end = std::max(end, n.end_time + o.release);
    ++(n.is_drum ? r.drum_notes : r.notes);
  }
  total_ = size_t(std::ceil(end * kRate)) + 1;
}

// The model's next `batch` jobs in order of first use, each levelled (note_level.h). Batch
// boundaries depend only on that order, so one-shot and streamed renders make the same batches.
void NoteRenderer::generate_next_batch(const Gansynth* model) {
  const std::vector<size_t>& queue = queue_[model];
  size_t& next = queue_next_[model];
  const size_t n = std::min(queue.size() - next, size_t(options_.batch));
  std::vector<float> z;
  std::vector<int> pitches;
  for (size_t k = next; k < next + n; ++k) {
    z.insert(z.end(), jobs_[queue[k]].z.begin(), jobs_[queue[k]].z.end());
    pitches.push_back(jobs_[queue[k]].pitch);
  }
  std::vector<float> out(n * kNoteSamples);
  const InverseOptions& inverse = model == drum_model_ ? options_.drum_inverse : options_.inverse;
  model->generate_audio(z, pitches, inverse, out.data(), options_.device_spectral, options_.spectral, options_.threads);
  for (size_t k = 0; k < n; ++k) {
    Job& job = jobs_[queue[next + k]];
    job.audio.assign(out.begin() + long(k * kNoteSamples), out.begin() + long((k + 1) * kNoteSamples));
    level_note(job.audio, model->relative_level_db(job.z, job.pitch), kRate);
  }
  next += n;
  report_.generated += n;
  if (options_.progress) options_.progress(report_.generated, jobs_.size());
}

// Attack, hold to the note end, release; velocity / 127.
void NoteRenderer::place(const Placed& p) {
  const double attack = options_.attack * kRate, release = options_.release * kRate;
  const size_t length = size_t(p.held + release);
  const std::vector<float> note = sustained(jobs_[p.job].audio, length);
  const size_t stop = std::min(p.start + note.size(), total_);
  if (stop <= p.start) return;
  const size_t need = mix_offset_ + (stop - emitted_);
  if (mix_.size() < need) mix_.resize(need, 0.0f);
  float* dst = mix_.data() + mix_offset_ + (p.start - emitted_);
  for (size_t i = 0; p.start + i < stop; ++i) {
    const double t = double(i);
    double env = t < attack ? t / attack : 1.0;
    if (t >= p.held) env *= std::max(0.0, 1.0 - (t - p.held) / std::max(release, 1.0));
    dst[i] += float(env) * p.gain * note[i];
  }
}

void NoteRenderer::mix_in(std::vector<float> bed) {
  if (emitted_ > 0) throw Error("bed", "must be mixed in before rendering starts");
  total_ = std::max(total_, bed.size());
  bed_ = std::move(bed);
}

void NoteRenderer::render_until(size_t until, std::vector<float>& out) {
  until = std::min(until, total_);
  if (until <= emitted_) return;
  // Notes starting before `until` are mixed; later ones cannot touch the samples handed out.
  for (; next_place_ < placed_.size() && placed_[next_place_].start < until; ++next_place_) {
    const Placed& p = placed_[next_place_];
    while (jobs_[p.job].audio.empty()) generate_next_batch(jobs_[p.job].model);
    place(p);
  }
  const size_t n = until - emitted_;
  if (mix_.size() < mix_offset_ + n) mix_.resize(mix_offset_ + n, 0.0f);
  for (size_t i = 0; i < n; ++i) {
    const size_t at = emitted_ + i;
    const float v = dc_blocker_.process(mix_[mix_offset_ + i] + (at < bed_.size() ? bed_[at] : 0.0f));
    report_.peak_before_limiter = std::max(report_.peak_before_limiter, double(std::fabs(v)));
    out.push_back(soft_limit(v));
  }
  mix_offset_ += n;
  emitted_ = until;
  // Drop the consumed front now and then (not every call: it moves the tail).
  if (mix_offset_ > (1u << 16) && mix_offset_ * 2 > mix_.size()) {
    mix_.erase(mix_.begin(), mix_.begin() + long(mix_offset_));
    mix_offset_ = 0;
  }
}

TimbreEngine parse_timbre_engine(const std::string& text, const std::string& parameter) {
  if (text == "gansynth") return TimbreEngine::Gansynth;
  if (text == "ddsp") return TimbreEngine::Ddsp;
  throw Error(parameter + " " + text, "must be gansynth or ddsp");
}

std::vector<float> render_sequence(const NoteSequence& seq, const Gansynth& melodic, const Gansynth* drums,
                                   const NoteRenderOptions& o, NoteRenderReport* report) {
  return render_with_bed(seq, &melodic, drums, o, {}, report);
}

std::vector<float> render_with_bed(const NoteSequence& seq, const Gansynth* melodic, const Gansynth* drums,
                                   const NoteRenderOptions& o, std::vector<float> bed, NoteRenderReport* report) {
  const auto t0 = std::chrono::steady_clock::now();
  NoteRenderer renderer(seq, melodic, drums, o);
  renderer.mix_in(std::move(bed));
  // A file's audio is built in memory (~200 MB per hour at 48 kHz): a MIDI file whose times run
  // to days (absurd tempo or delta values) must fail here, not in the allocator. play streams.
  const double hours = double(renderer.total_samples()) / kRate / 3600.0;
  if (hours > kMaxRenderHours)
    throw Error(o.subject, "lasts " + std::to_string(int(hours)) + " h (its last note ends there); rendering to a file stops at " +
                            std::to_string(int(kMaxRenderHours)) + " h");
  std::vector<float> mix;
  mix.reserve(renderer.total_samples());
  renderer.render_until(renderer.total_samples(), mix);
  if (o.sample_rate != kRate) {
    Audio a;
    a.sample_rate = kRate;
    a.samples = std::move(mix);
    mix = resample(a, o.sample_rate).samples;
  }
  NoteRenderReport r = renderer.report();
  r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  if (report) *report = r;
  return mix;
}

}  // namespace timbrel
