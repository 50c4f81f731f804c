// NoteSequence -> audio: distinct notes generated once in batches, resampled to the mix rate,
// placed with Magenta's envelope and their channels' controllers (note_placement.h), long notes
// extended by looping a steady stretch, mixed in stereo through the room under a soft limiter.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstring>
#include <map>
#include <set>

#include "audio/resample.h"
#include "render/drum_highs.h"
#include "render/gm_sends.h"
#include "render/note_level.h"
#include "render/note_placement.h"
#include "render/note_renderer.h"
#include "render/room.h"
#include "render/sustain.h"
#include "timbrel/error.h"
#include "timbrel/loudness.h"
#include "timbrel/render.h"
#include "timbrel/sound_file.h"

namespace timbrel {
namespace {

// The generated note stretched to `length` samples at `rate`: as generated up to the loop's end,
// then the loop repeated, each seam cross-faded (sustain.h).
std::vector<float> sustained(const std::vector<float>& note, size_t length, int rate) {
  const SustainLoop loop(rate);
  if (length <= loop.end || note.size() < loop.end)
    return std::vector<float>(note.begin(), note.begin() + long(std::min(length, note.size())));
  std::vector<float> out(note.begin(), note.begin() + long(loop.end));
  while (out.size() < length) {
    const size_t at = out.size() - loop.fade;  // the last `fade` samples are the loop's end: the seam
    for (size_t i = 0; i < loop.fade; ++i) out[at + i] = loop.seam(note.data(), i);
    out.insert(out.end(), note.begin() + long(loop.start + loop.fade), note.begin() + long(loop.end));
  }
  out.resize(length);
  return out;
}

// The kit's name when the drum timbre is a preset of the drum model ("" otherwise).
std::string kit_name(const std::string& spec) { return spec.rfind("preset:", 0) == 0 ? spec.substr(7) : ""; }

}  // namespace

NoteRenderer::NoteRenderer(const NoteSequence& seq, const Gansynth* melodic, const Gansynth* drums, const NoteRenderOptions& o,
                           const DrumHighs* highs)
    : options_(o), rate_(o.sample_rate), drum_model_(drums != melodic ? drums : nullptr), highs_(highs),
      dc_left_(20.0, double(o.sample_rate)), dc_right_(20.0, double(o.sample_rate)) {
  if (o.attack < 0 || o.release < 0) throw Error("attack/release", "must not be negative");
  if (o.batch < 1) throw Error("batch", "must be positive");
  if (o.sample_rate < 8000 || o.sample_rate > 192000) throw Error("sample_rate", std::to_string(o.sample_rate) + " is outside 8000..192000");
  if (o.channels != 1 && o.channels != 2) throw Error("channels", "must be 1 (mono) or 2 (stereo), not " + std::to_string(o.channels));
  controls_ = std::make_unique<SequenceControls>(seq, o.ddsp.bend_range);
  NoteSequence pedalled = seq;
  apply_sustain(pedalled, *controls_);
  for (size_t i = 0; i < seq.notes.size(); ++i) report_.sustained += pedalled.notes[i].end_time > seq.notes[i].end_time;
  add_notes(pedalled, melodic, drums);
  open_note_cache();
  if (o.room) {
    room_ = std::make_unique<Room>(rate_);
    if (total_ > 1) total_ += size_t(std::ceil(room_->tail_seconds() * rate_));
  }
}

NoteRenderer::~NoteRenderer() = default;

// A folder that cannot be made leaves the render uncached, never failed (the report says why).
void NoteRenderer::open_note_cache() {
  if (options_.note_cache.empty()) return;
  if (options_.note_cache_bytes == 0) throw Error("note_cache_bytes", "must be positive (an empty note_cache folder turns the cache off)");
  try {
    cache_ = std::make_unique<NoteCache>(options_.note_cache, options_.note_cache_bytes);
  } catch (const Error& e) {
    report_.cache_error = e.what();
  }
}

// Every note becomes a job (distinct model, pitch, latent) and a placement.
void NoteRenderer::add_notes(const NoteSequence& seq, const Gansynth* melodic, const Gansynth* drums) {
  const NoteRenderOptions& o = options_;
  NoteRenderReport& r = report_;
  std::vector<float> drum_z;
  if (drums) {
    const auto& names = drums->info().timbre_names;
    std::string kit = names.empty() ? "seed:0" : "preset:" + names.front();
    if (std::find(names.begin(), names.end(), "Standard") != names.end()) kit = "preset:Standard";  // the GM kit
    const std::string spec = !o.drum_timbre.empty() ? o.drum_timbre : kit;
    drum_z = drums->timbre(spec);
    kit_ = kit_name(spec);
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
  std::map<std::pair<const Gansynth*, std::pair<int, std::vector<float>>>, size_t> index;  // distinct job -> index
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
      jobs_.push_back({model, pitch, std::move(z), n.is_drum ? pitch : -1, {}});
    }
    const gm::BaseSends sends = n.is_drum ? gm::drum_sends(n.pitch) : gm::program_sends(n.program);
    placed_.push_back({it->second, size_t(std::max(0.0, n.start_time) * rate_), std::max(n.end_time - n.start_time, 0.0) * rate_,
                       kMasterGain * float(n.velocity) / 127.0f, n.channel, sends.reverb, sends.chorus});
    end = std::max(end, n.is_drum ? n.start_time + double(kNoteSamples) / kNoteSampleRate : n.end_time + o.release);
    ++(n.is_drum ? r.drum_notes : r.notes);
  }
  total_ = size_t(std::ceil(end * rate_)) + 1;
}

// A generated note levelled (note_level.h), at the mix rate, a drum hit with its high band.
void NoteRenderer::prepare_job_audio(Job& job, std::vector<float> note) const {
  level_note(note, job.model->relative_level_db(job.z, job.pitch), kNoteSampleRate);
  job.audio = resample_note(std::move(note), kNoteSampleRate, rate_);
  if (job.drum_note >= 0 && highs_ && !kit_.empty() && highs_->has_kit(kit_))
    highs_->add_high_band(job.audio, rate_, kit_, job.drum_note, uint64_t(job.drum_note));
}

const InverseOptions& NoteRenderer::inverse_for(const Gansynth* model) const {
  return model == drum_model_ ? options_.drum_inverse : options_.inverse;
}

// Which spectral path makes a model's audio (a note made by another is not reused); "" for a
// caller's backend without a name: its notes are not kept.
static std::string spectral_path(const Gansynth& model, const NoteRenderOptions& o) {
  const bool on_device = model.device() == Device::Cuda && o.device_spectral;
  if (!on_device && !o.spectral) return "cpu";
  return o.spectral_name.empty() ? "" : (on_device ? "device: " : "host: ") + o.spectral_name;
}

std::vector<size_t> NoteRenderer::take_cached(const Gansynth* model, size_t first, size_t n, std::vector<NoteCacheKey>& keys) {
  const std::vector<size_t>& queue = queue_[model];
  std::vector<size_t> missing;
  const InverseOptions& inverse = inverse_for(model);
  const std::string path = cache_ ? spectral_path(*model, options_) : "";
  for (size_t k = first; k < first + n; ++k) {
    Job& job = jobs_[queue[k]];
    if (!path.empty()) {
      NoteCacheKey key = note_cache_key(*model, job.pitch, job.z, inverse, path);
      std::vector<float> note;
      if (cache_->load(key, note)) {
        prepare_job_audio(job, std::move(note));
        ++report_.cached;
        continue;
      }
      keys.push_back(std::move(key));
    }
    missing.push_back(queue[k]);
  }
  return missing;
}

// The model's next `batch` jobs in order of first use (those the note cache lacks are generated,
// then stored). Batch boundaries depend only on that order, so one-shot and streamed renders make
// the same batches; with a note cache, only the missing notes of a batch are generated together
// (a batch's composition can move a note's samples by float rounding, ~1e-7).
void NoteRenderer::generate_next_batch(const Gansynth* model) {
  size_t& next = queue_next_[model];
  const size_t n = std::min(queue_[model].size() - next, size_t(options_.batch));
  std::vector<NoteCacheKey> keys;
  const std::vector<size_t> jobs = take_cached(model, next, n, keys);
  next += n;
  if (!jobs.empty()) {
    std::vector<float> z;
    std::vector<int> pitches;
    for (size_t j : jobs) {
      z.insert(z.end(), jobs_[j].z.begin(), jobs_[j].z.end());
      pitches.push_back(jobs_[j].pitch);
    }
    std::vector<float> out(jobs.size() * kNoteSamples);
    const InverseOptions& inverse = inverse_for(model);
    model->generate_audio(z, pitches, inverse, out.data(), options_.device_spectral, options_.spectral, options_.threads);
    for (size_t k = 0; k < jobs.size(); ++k) {
      std::vector<float> note(out.begin() + long(k * kNoteSamples), out.begin() + long((k + 1) * kNoteSamples));
      if (!keys.empty()) {
        if (cache_->store(keys[k], note)) cache_stored_ = true;
        else ++report_.cache_write_failures;
      }
      prepare_job_audio(jobs_[jobs[k]], std::move(note));
    }
    report_.generated += jobs.size();
  }
  if (cache_stored_ && report_.generated + report_.cached == jobs_.size()) {
    cache_->trim();
    cache_stored_ = false;
  }
  if (options_.progress) options_.progress(report_.generated + report_.cached, jobs_.size());
}

// Makes the buses hold `frames` frames from emitted_ on.
void NoteRenderer::grow(size_t frames) {
  const size_t need = offset_ + frames;
  if (reverb_.size() >= need) return;
  if (whole_render_ && reverb_.capacity() < need) {
    const size_t whole = std::max(need, offset_ + (total_ - std::min(total_, emitted_)));
    stereo_.reserve(2 * whole);
    reverb_.reserve(whole);
    chorus_.reserve(whole);
  }
  stereo_.resize(2 * need, 0.0f);
  reverb_.resize(need, 0.0f);
  chorus_.resize(need, 0.0f);
}

void NoteRenderer::place(const Placed& p) {
  const Job& job = jobs_[p.job];
  Placement v;
  v.start = p.start;
  v.held = p.held;
  v.attack = options_.attack * rate_;
  v.release = options_.release * rate_;
  if (job.drum_note >= 0) {  // a hit plays whole, from its own onset, whatever its note's length
    const double fade = std::min(double(job.audio.size()), kWholeNoteFadeSeconds * rate_);
    v.attack = 0;
    v.held = double(job.audio.size()) - fade;
    v.release = fade;
  }
  v.length = std::min(size_t(v.held + v.release), total_ - std::min(total_, p.start));
  v.gain = p.gain;
  v.reverb_base = p.reverb_base;
  v.chorus_base = p.chorus_base;
  v.follow_pitch = job.drum_note < 0;
  v.channel = &controls_->channel(p.channel);
  v.rate = rate_;
  if (v.length == 0) return;
  std::vector<float> note;
  if (job.drum_note >= 0) {
    v.source = job.audio.data(), v.source_frames = job.audio.size();  // the hit as made, its tail too
  } else {
    note = sustained(job.audio, source_frames_needed(v), rate_);
    v.source = note.data(), v.source_frames = note.size();
  }
  grow(p.start + v.length - emitted_);
  place_voice(v, {stereo_.data(), reverb_.data(), chorus_.data(), emitted_ - offset_, reverb_.size()});
}

void NoteRenderer::mix_in(std::vector<Stem> stems) {
  if (emitted_ > 0) throw Error("stems", "must be mixed in before rendering starts");
  for (Stem& s : stems) {
    s.start = size_t(double(s.start) * rate_ / s.sample_rate);
    s.audio = resample_note(std::move(s.audio), s.sample_rate, rate_);
    s.sample_rate = rate_;
    const size_t room_tail = room_ ? size_t(std::ceil(room_->tail_seconds() * rate_)) : 0;
    total_ = std::max(total_, s.start + s.audio.size() + room_tail);
  }
  for (const Stem& s : stems) place_stem(s);
}

// A stem follows its channel's level (CC7, CC11), pan and sends; its pitch was bent where it was made.
void NoteRenderer::place_stem(const Stem& s) {
  Placement v;
  v.source = s.audio.data();
  v.source_frames = s.audio.size();
  v.start = s.start;
  v.length = std::min(s.audio.size(), total_ - std::min(total_, s.start));
  v.held = double(v.length);
  v.follow_pitch = false;
  const gm::BaseSends sends = gm::program_sends(s.program);
  v.reverb_base = sends.reverb;
  v.chorus_base = sends.chorus;
  v.channel = &controls_->channel(s.channel);
  v.rate = rate_;
  grow(s.start + v.length - emitted_);
  place_voice(v, {stereo_.data(), reverb_.data(), chorus_.data(), emitted_ - offset_, reverb_.size()});
}

// The next `n` frames of the buses through the room, the DC blockers and the limiter.
void NoteRenderer::emit(size_t n, std::vector<float>& out) {
  grow(n);
  float* dry = stereo_.data() + 2 * offset_;
  if (room_) room_->process(reverb_.data() + offset_, chorus_.data() + offset_, dry, n);
  const size_t first = out.size();
  out.resize(first + n * size_t(options_.channels));
  float* o = out.data() + first;
  float peak = float(report_.peak_before_limiter);
  for (size_t i = 0; i < n; ++i) {
    const float l = dc_left_.process(dry[2 * i]), r = dc_right_.process(dry[2 * i + 1]);
    peak = std::max({peak, std::fabs(l), std::fabs(r)});
    if (options_.channels == 2) {
      o[2 * i] = soft_limit(l);
      o[2 * i + 1] = soft_limit(r);
    } else {
      o[i] = soft_limit(float(M_SQRT1_2) * (l + r));  // a centred note keeps its mono level
    }
  }
  report_.peak_before_limiter = peak;
  offset_ += n;
  // Drop the consumed front now and then (not every call: it moves the tail).
  if (offset_ > (1u << 16) && offset_ * 2 > reverb_.size()) {
    stereo_.erase(stereo_.begin(), stereo_.begin() + long(2 * offset_));
    reverb_.erase(reverb_.begin(), reverb_.begin() + long(offset_));
    chorus_.erase(chorus_.begin(), chorus_.begin() + long(offset_));
    offset_ = 0;
  }
}

void NoteRenderer::render_until(size_t until, std::vector<float>& out) {
  until = std::min(until, total_);
  if (until <= emitted_) return;
  // Notes starting before `until` are mixed; later ones cannot touch the frames handed out.
  for (; next_place_ < placed_.size() && placed_[next_place_].start < until; ++next_place_) {
    const Placed& p = placed_[next_place_];
    while (jobs_[p.job].audio.empty()) generate_next_batch(jobs_[p.job].model);
    place(p);
  }
  emit(until - emitted_, out);
  emitted_ = until;
}

TimbreEngine parse_timbre_engine(const std::string& text, const std::string& parameter) {
  if (text == "gansynth") return TimbreEngine::Gansynth;
  if (text == "ddsp") return TimbreEngine::Ddsp;
  throw Error(parameter + " " + text, "must be gansynth or ddsp");
}

Audio render_sequence(const NoteSequence& seq, const Gansynth& melodic, const Gansynth* drums, const NoteRenderOptions& o,
                      NoteRenderReport* report, const DrumHighs* highs) {
  return render_with_stems(seq, &melodic, drums, o, {}, report, highs);
}

Audio render_with_stems(const NoteSequence& seq, const Gansynth* melodic, const Gansynth* drums, const NoteRenderOptions& o,
                        std::vector<Stem> stems, NoteRenderReport* report, const DrumHighs* highs) {
  const auto t0 = std::chrono::steady_clock::now();
  NoteRenderer renderer(seq, melodic, drums, o, highs);
  renderer.reserve_whole_render();
  renderer.mix_in(std::move(stems));
  // A file's audio is built in memory: a MIDI file whose times run to days (absurd tempo or delta
  // values) must fail here, not in the allocator. play streams.
  const double hours = double(renderer.total_frames()) / renderer.sample_rate() / 3600.0;
  if (hours > kMaxRenderHours)
    throw Error(o.subject, "lasts " + std::to_string(int(hours)) + " h (its last note ends there); rendering to a file stops at " +
                               std::to_string(int(kMaxRenderHours)) + " h");
  Audio a;
  a.sample_rate = renderer.sample_rate();
  a.channels = renderer.channels();
  a.samples.reserve(renderer.total_frames() * size_t(a.channels));
  renderer.render_until(renderer.total_frames(), a.samples);
  NoteRenderReport r = renderer.report();
  const bool audible = std::any_of(a.samples.begin(), a.samples.end(), [](float v) { return v != 0.0f; });
  if (o.loudness && audible) {
    LoudnessInfo l;
    try {
      l = normalize_loudness(a, {*o.loudness, o.true_peak});
    } catch (const Error& e) {  // e.g. a render too short to measure: say which option failed
      throw Error("loudness " + std::to_string(*o.loudness), e.problem());
    }
    r.integrated_lufs = l.integrated_lufs, r.true_peak_dbtp = l.true_peak_dbtp;
  } else if (audible) {
    const LoudnessInfo l = measure_loudness(a);
    r.integrated_lufs = l.integrated_lufs, r.true_peak_dbtp = l.true_peak_dbtp;
  }
  r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  if (report) *report = r;
  return a;
}

}  // namespace timbrel
