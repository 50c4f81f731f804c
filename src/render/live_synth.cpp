#include "render/live_synth.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstring>
#include <tuple>

#include "render/note_level.h"
#include "render/note_renderer.h"
#include "render/sustain.h"
#include "timbrel/error.h"
#include "timbrel/render.h"
#include "timbrel/sound_file.h"

namespace timbrel {

// One timbre's notes at the device rate, each as a head (played once) and a loop (repeated while
// the key is held): the same sustain NoteRenderer builds, with the loop's seam cross-faded once.
struct LiveSynth::Cache {
  std::string timbre;
  int min_pitch = 0, max_pitch = 0;
  std::vector<std::vector<float>> head, loop;  // by pitch - min_pitch
};

namespace {

// The sustain loop of `pitch`: SustainLoop's, or for a periodic instrument one whose jump
// (end - fade - start) is the whole number of the pitch's periods nearest to it, faded in phase.
SustainLoop sustain_for(int pitch, int rate, bool periodic) {
  SustainLoop loop(rate);
  if (!periodic) return loop;
  const double period = rate / (440.0 * std::pow(2.0, (pitch - 69) / 12.0));
  const double jump = double(loop.end - loop.fade - loop.start);
  loop.end = loop.start + loop.fade + size_t(std::lround(std::max(1.0, std::round(jump / period)) * period));
  loop.in_phase = true;
  return loop;
}

}  // namespace

LiveSynth::LiveSynth(const Gansynth& model, int sample_rate, const std::string& timbre, const LiveOptions& o)
    : LiveSynth(gansynth_instrument(model, o), sample_rate, timbre, o) {}

LiveSynth::LiveSynth(std::unique_ptr<LiveInstrument> instrument, int sample_rate, const std::string& timbre, const LiveOptions& o)
    : instrument_(std::move(instrument)), rate_(sample_rate), options_(o), dc_blocker_(20.0, double(sample_rate)) {
  if (o.attack < 0 || o.release < 0) throw Error("attack/release", "must not be negative");
  attack_frames_ = std::max<size_t>(1, size_t(o.attack * rate_));
  release_frames_ = std::max<size_t>(1, size_t(o.release * rate_));
  programs_ = instrument_->programs();
  instrument_->check_timbre(timbre);  // a bad spec fails here, before any rendering
  current_ = build_cache(timbre);
  playing_ = current_;
  worker_ = std::thread([this] { worker_loop(); });
}

LiveSynth::~LiveSynth() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stop_ = true;
  }
  wake_.notify_all();
  worker_.join();
  // The stream has stopped: no callback runs any more.
  delete current_;
  delete draining_;
  delete pending_.exchange(nullptr);
  delete retired_.exchange(nullptr);
}

LiveSynth::Cache* LiveSynth::build_cache(const std::string& timbre) const {
  const auto t0 = std::chrono::steady_clock::now();
  auto cache = std::make_unique<Cache>();
  cache->timbre = timbre;
  std::tie(cache->min_pitch, cache->max_pitch) = instrument_->pitch_range(timbre);
  const int count = cache->max_pitch - cache->min_pitch + 1, batch = std::max(1, instrument_->batch());
  const bool decays = instrument_->decays(timbre);
  for (int first = 0; first < count; first += batch) {
    const int n = std::min(batch, count - first);
    const std::vector<std::vector<float>> notes = instrument_->held_notes(timbre, cache->min_pitch + first, n);
    for (int k = 0; k < n; ++k) {
      Audio a;
      a.sample_rate = kNoteSampleRate;
      a.samples = notes[size_t(k)];
      std::vector<float> note = resample(a, rate_).samples;
      if (decays) {  // played once: its end fades out, and a longer hold is silence
        const size_t fade = std::min(note.size(), size_t(0.1 * rate_));
        for (size_t i = 0; i < fade; ++i) note[note.size() - fade + i] *= 1.0f - float(i + 1) / float(fade);
        cache->head.push_back(std::move(note));
        cache->loop.emplace_back(1, 0.0f);
        continue;
      }
      const SustainLoop sustain = sustain_for(cache->min_pitch + first + k, rate_, instrument_->periodic());
      note.resize(std::max(note.size(), sustain.end), 0.0f);
      cache->head.emplace_back(note.begin(), note.begin() + long(sustain.end - sustain.fade));
      // One period of the held note: the seam, then the loop up to where the next seam begins.
      std::vector<float> loop(sustain.end - sustain.start - sustain.fade);
      for (size_t i = 0; i < sustain.fade; ++i) loop[i] = sustain.seam(note.data(), i);
      std::copy(note.begin() + long(sustain.start + sustain.fade), note.begin() + long(sustain.end - sustain.fade),
                loop.begin() + long(sustain.fade));
      cache->loop.push_back(std::move(loop));
    }
  }
  caches_rendered_.fetch_add(1);
  last_cache_seconds_.store(std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
  return cache.release();
}

void LiveSynth::worker_loop() {
  std::unique_lock<std::mutex> lock(mutex_);
  while (!stop_) {
    wake_.wait_for(lock, std::chrono::milliseconds(50));
    delete retired_.exchange(nullptr);  // a cache whose last voice has finished
    if (stop_ || requested_.empty()) continue;
    const std::string timbre = std::move(requested_);
    requested_.clear();
    lock.unlock();
    Cache* fresh = nullptr;
    std::string error;
    try {
      fresh = build_cache(timbre);
    } catch (const std::exception& e) {
      error = e.what();
    }
    // A cache the callback never took (superseded before it could) is ours to free.
    if (fresh) delete pending_.exchange(fresh);
    lock.lock();
    if (!error.empty()) error_ = error;
  }
}

void LiveSynth::set_timbre(const std::string& timbre) {
  instrument_->check_timbre(timbre);  // validates the spec on the caller's thread
  {
    std::lock_guard<std::mutex> lock(mutex_);
    requested_ = timbre;
  }
  wake_.notify_all();
}

void LiveSynth::set_programs(std::vector<std::string> programs) {
  for (const auto& p : programs) instrument_->check_timbre(p);
  std::lock_guard<std::mutex> lock(mutex_);
  programs_ = std::move(programs);
}

std::string LiveSynth::last_error() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return error_;
}

std::string LiveSynth::current_timbre() const { return playing_.load()->timbre; }
int LiveSynth::lowest_pitch() const { return playing_.load()->min_pitch; }
int LiveSynth::highest_pitch() const { return playing_.load()->max_pitch; }

void LiveSynth::push(Event e) noexcept {
  const size_t w = events_written_.load(std::memory_order_relaxed);
  if (w - events_read_.load(std::memory_order_acquire) >= kEvents) {
    dropped_events_.fetch_add(1, std::memory_order_relaxed);
    return;
  }
  events_[w % kEvents] = e;
  events_written_.store(w + 1, std::memory_order_release);
}

void LiveSynth::note_on(int pitch, int velocity) noexcept {
  if (pitch < 0 || pitch > 127) return;
  if (velocity <= 0) return note_off(pitch);
  push({Event::On, (unsigned char)pitch, (unsigned char)std::min(velocity, 127)});
}
void LiveSynth::note_off(int pitch) noexcept {
  if (pitch >= 0 && pitch <= 127) push({Event::Off, (unsigned char)pitch, 0});
}
void LiveSynth::sustain(bool down) noexcept { push({Event::Sustain, 0, (unsigned char)down}); }
void LiveSynth::all_notes_off() noexcept { push({Event::AllOff, 0, 0}); }

void LiveSynth::midi(const unsigned char* m, size_t size) {
  if (size < 2) return;
  const unsigned status = m[0] & 0xF0u;
  if (status == 0x90 && size >= 3) note_on(m[1], m[2]);
  else if (status == 0x80 && size >= 3) note_off(m[1]);
  else if (status == 0xB0 && size >= 3 && m[1] == 64) sustain(m[2] >= 64);
  else if (status == 0xB0 && size >= 3 && (m[1] == 120 || m[1] == 123)) all_notes_off();
  else if (status == 0xC0) {
    std::string timbre;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      if (!programs_.empty()) timbre = programs_[m[1] % programs_.size()];
    }
    if (!timbre.empty()) set_timbre(timbre);
  }
}

void LiveSynth::apply(const Event& e) noexcept {
  switch (e.kind) {
    case Event::On: {
      int pitch = e.pitch;  // out of range: moved by octaves, as the file renderer does
      while (pitch < current_->min_pitch) pitch += 12;
      while (pitch > current_->max_pitch) pitch -= 12;
      pitch = std::max(pitch, current_->min_pitch);  // a range narrower than an octave
      Voice* v = &voices_[0];
      for (Voice& c : voices_) {
        if (!c.cache) {
          v = &c;
          break;
        }
        if (c.age < v->age) v = &c;  // all busy: steal the oldest
      }
      *v = Voice{current_, pitch - current_->min_pitch, e.pitch, kMasterGain * float(e.value) / 127.0f, 0, 0, true, false, false, clock_++};
      notes_played_.fetch_add(1, std::memory_order_relaxed);
      break;
    }
    case Event::Off:
      for (Voice& v : voices_)
        if (v.cache && v.held && v.key == e.pitch) {
          v.held = false;
          if (pedal_) v.sustained = true;
          else if (!v.releasing) v.releasing = true, v.released_at = v.pos;
        }
      break;
    case Event::Sustain:
      pedal_ = e.value != 0;
      if (!pedal_)
        for (Voice& v : voices_)
          if (v.cache && v.sustained && !v.releasing) v.sustained = false, v.releasing = true, v.released_at = v.pos;
      break;
    case Event::AllOff:
      pedal_ = false;
      for (Voice& v : voices_)
        if (v.cache && !v.releasing) v.held = false, v.releasing = true, v.released_at = v.pos;
      break;
  }
}

float LiveSynth::voice_sample(Voice& v) noexcept {
  const std::vector<float>& head = v.cache->head[size_t(v.pitch)];
  const std::vector<float>& loop = v.cache->loop[size_t(v.pitch)];
  const float s = v.pos < head.size() ? head[v.pos] : loop[(v.pos - head.size()) % loop.size()];
  float env = v.pos < attack_frames_ ? float(v.pos) / float(attack_frames_) : 1.0f;
  if (v.releasing) {
    const size_t since = v.pos - v.released_at;
    if (since >= release_frames_) {
      v.cache = nullptr;  // finished
      return 0.0f;
    }
    env *= 1.0f - float(since) / float(release_frames_);
  }
  ++v.pos;
  return s * env * v.gain;
}

size_t LiveSynth::render(float* mono, size_t frames) noexcept {
  // A freshly rendered cache is taken once the one before the current has been let go.
  if (!draining_) {
    if (Cache* fresh = pending_.exchange(nullptr, std::memory_order_acq_rel)) {
      draining_ = current_;
      current_ = fresh;
      playing_.store(fresh, std::memory_order_release);
    }
  }
  const size_t written = events_written_.load(std::memory_order_acquire);
  size_t read = events_read_.load(std::memory_order_relaxed);
  for (; read < written; ++read) apply(events_[read % kEvents]);
  events_read_.store(read, std::memory_order_release);

  std::memset(mono, 0, frames * sizeof(float));
  bool draining_used = false;
  for (Voice& v : voices_) {
    for (size_t i = 0; i < frames && v.cache; ++i) mono[i] += voice_sample(v);
    draining_used |= v.cache && v.cache == draining_;
  }
  for (size_t i = 0; i < frames; ++i) mono[i] = soft_limit(dc_blocker_.process(mono[i]));
  // The old cache goes back to the worker (to be freed there) once no voice plays from it.
  if (draining_ && !draining_used && !retired_.load(std::memory_order_acquire)) {
    retired_.store(const_cast<Cache*>(draining_), std::memory_order_release);
    draining_ = nullptr;
  }
  return frames;
}

}  // namespace timbrel
