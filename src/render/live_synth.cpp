#include "render/live_synth.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstring>
#include <tuple>

#include "audio/resample.h"
#include "render/note_level.h"
#include "render/note_renderer.h"
#include "render/gm_sends.h"
#include "render/hermite.h"
#include "render/room.h"
#include "render/sustain.h"
#include "timbrel/error.h"
#include "timbrel/render.h"
#include "timbrel/sound_file.h"
#include "timbrel/timbre_spec.h"
#include "util/denormal_guard.h"
#include "util/huge_pages.h"

namespace timbrel {

namespace {
// One pitch's held note in a cache: its head, then its loop (both inside the cache's samples).
struct NoteView {
  const float* head;
  size_t head_size;
  const float* loop;
  size_t loop_size;
};
}  // namespace

// One timbre's notes at the device rate, each as a head (played once) and a loop (repeated while
// the key is held): the same sustain NoteRenderer builds, with the loop's seam cross-faded once.
struct LiveSynth::Cache {
  std::string timbre;
  int min_pitch = 0, max_pitch = 0;
  std::array<gm::BaseSends, 128> sends{};  // by key: the instrument's own, until a channel sends CC91 / CC93
  bool one_shot = false;              // notes play whole (drum hits): keys up and pedals do not end them
  bool performs = true;               // takes LiveOptions' vibrato and glide
  // Every pitch's head and loop in one block on huge pages (util/huge_pages.h), by pitch - min_pitch.
  HugePageVector<float> samples;
  std::vector<NoteView> notes;
  // Channels holding it (pending or playing): the worker shares a cache only while this is > 0,
  // and whoever drops it to 0 frees it (the callback through the retired ring).
  mutable std::atomic<int> refs{0};
};

namespace {

bool valid_channel(int channel) { return channel >= 0 && channel < LiveSynth::kChannels; }
bool valid_data(int value) { return value >= 0 && value <= 127; }

constexpr double kSmoothingSeconds = 0.002;  // time constant of gain, pan and send changes (render's): no clicks, no lag
constexpr double kCutSeconds = 0.005;        // all sound off: a fade this short instead of a click

// A smoothed value lands on its target once within float noise of it (and then stays exact).
inline void snap(float& value, float target) {
  if (std::fabs(target - value) < 1e-6f) value = target;
}

// The cached note at integer index n: the head, then its loop over and over (so a note bent up,
// which reads faster, never runs out while its key is held).
inline float cached(const NoteView& note, size_t n) {
  return n < note.head_size ? note.head[n] : note.loop[(n - note.head_size) % note.loop_size];
}

// The cached note at a fractional position: 4-point cubic Hermite (Catmull-Rom) interpolation.
inline float cached_at(const NoteView& note, double pos) {
  const size_t i = size_t(pos);
  const float f = float(pos - double(i));
  if (f == 0.0f) return cached(note, i);
  const float x0 = i ? cached(note, i - 1) : 0.0f, x1 = cached(note, i);
  const float x2 = cached(note, i + 1), x3 = cached(note, i + 2);
  return hermite4(x0, x1, x2, x3, f);
}

// `heads` and `loops` (by pitch) packed into `samples`, each pitch's head then its loop.
std::vector<NoteView> pack_notes(std::vector<std::vector<float>>& heads, std::vector<std::vector<float>>& loops,
                                 HugePageVector<float>& samples) {
  size_t total = 0;
  for (size_t p = 0; p < heads.size(); ++p) total += heads[p].size() + loops[p].size();
  samples.reserve(total);
  std::vector<std::pair<size_t, size_t>> at;  // offsets of head and loop: samples' data is final once all are in
  for (size_t p = 0; p < heads.size(); ++p) {
    at.emplace_back(samples.size(), samples.size() + heads[p].size());
    samples.insert(samples.end(), heads[p].begin(), heads[p].end());
    samples.insert(samples.end(), loops[p].begin(), loops[p].end());
    std::vector<float>().swap(heads[p]), std::vector<float>().swap(loops[p]);
  }
  std::vector<NoteView> notes;
  for (size_t p = 0; p < at.size(); ++p) {
    const size_t loop_end = p + 1 < at.size() ? at[p + 1].first : samples.size();
    notes.push_back({samples.data() + at[p].first, at[p].second - at[p].first, samples.data() + at[p].second,
                     loop_end - at[p].second});
  }
  return notes;
}

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

gm::BaseSends LiveInstrument::sends(const std::string& timbre, int /*key*/) const { return gm::program_sends(gm_program(timbre)); }

int LiveInstrument::gm_program(const std::string& timbre) const {
  if (timbre.rfind("program:", 0) != 0) return -1;  // an instrument's own spec forms are not TimbreSpecs
  const TimbreSpec spec = parse_timbre_spec(timbre);
  return spec.kind == TimbreSpec::Kind::Program ? spec.program : -1;
}

LiveSynth::LiveSynth(const Gansynth& model, int sample_rate, const std::string& timbre, const LiveOptions& o)
    : LiveSynth(gansynth_instrument(model, o), sample_rate, timbre, o) {}

LiveSynth::LiveSynth(std::unique_ptr<LiveInstrument> instrument, int sample_rate, const std::string& timbre, const LiveOptions& o)
    : instrument_(std::move(instrument)), rate_(sample_rate), options_(o), dc_left_(20.0, double(sample_rate)),
      dc_right_(20.0, double(sample_rate)) {
  if (sample_rate <= 0) throw Error("sample_rate", "must be positive");
  if (o.attack < 0 || o.release < 0) throw Error("attack/release", "must not be negative");
  set_envelope(o.attack, o.release);
  set_performance(o.vibrato_cents, o.glide);
  cut_frames_ = std::max<size_t>(1, size_t(kCutSeconds * rate_));
  smoothing_ = 1.0 - std::exp(-1.0 / (kSmoothingSeconds * rate_));
  if (o.room) room_ = std::make_unique<Room>(sample_rate);
  programs_ = instrument_->programs();
  instrument_->check_timbre(timbre);  // a bad spec fails here, before any rendering
  Cache* first = build_cache(timbre);
  caches_.push_back(first);
  first->refs = kChannels;
  for (int ch = 0; ch < kChannels; ++ch) {
    channels_[size_t(ch)].cache = first;
    published_[size_t(ch)] = {timbre, first->min_pitch, first->max_pitch};
    settle(channels_[size_t(ch)]);
  }
  worker_ = std::thread([this] { worker_loop(); });
}

void LiveSynth::set_envelope(double attack_seconds, double release_seconds) noexcept {
  auto frames = [this](double seconds) { return std::max<size_t>(1, size_t(std::clamp(seconds, 0.0, 60.0) * rate_)); };
  attack_frames_.store(frames(attack_seconds), std::memory_order_relaxed);
  release_frames_.store(frames(release_seconds), std::memory_order_relaxed);
}

void LiveSynth::set_performance(double vibrato_cents, double glide_seconds) noexcept {
  vibrato_semitones_.store(std::clamp(vibrato_cents, 0.0, 200.0) / 100.0, std::memory_order_relaxed);
  glide_frames_.store(std::clamp(glide_seconds, 0.0, 10.0) * rate_, std::memory_order_relaxed);
}

LiveSynth::~LiveSynth() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stop_ = true;
  }
  wake_.notify_all();
  worker_.join();
  // The stream has stopped: no callback runs any more, and every cache is in caches_.
  for (Cache* c : caches_) delete c;
}

LiveSynth::Cache* LiveSynth::build_cache(const std::string& timbre) const {
  const auto t0 = std::chrono::steady_clock::now();
  auto cache = std::make_unique<Cache>();
  cache->timbre = timbre;
  for (int key = 0; key < 128; ++key) cache->sends[size_t(key)] = instrument_->sends(timbre, key);
  std::tie(cache->min_pitch, cache->max_pitch) = instrument_->pitch_range(timbre);
  const int count = cache->max_pitch - cache->min_pitch + 1, batch = std::max(1, instrument_->batch(timbre));
  cache->one_shot = instrument_->one_shot(timbre);
  cache->performs = !cache->one_shot && instrument_->performs(timbre);
  const bool decays = cache->one_shot || instrument_->decays(timbre);
  const int note_rate = instrument_->note_rate(timbre);
  std::vector<std::vector<float>> heads, loops;
  for (int first = 0; first < count; first += batch) {
    const int n = std::min(batch, count - first);
    const std::vector<std::vector<float>> notes = instrument_->held_notes(timbre, cache->min_pitch + first, n);
    for (int k = 0; k < n; ++k) {
      std::vector<float> note = resample_note(notes[size_t(k)], note_rate, rate_);
      instrument_->finish_note(note, rate_, timbre, cache->min_pitch + first + k);
      if (decays) {  // played once: its end fades out, and a longer hold is silence
        const size_t fade = std::min(note.size(), size_t(kWholeNoteFadeSeconds * rate_));
        for (size_t i = 0; i < fade; ++i) note[note.size() - fade + i] *= 1.0f - float(i + 1) / float(fade);
        heads.push_back(std::move(note));
        loops.emplace_back(1, 0.0f);
        continue;
      }
      const SustainLoop sustain = sustain_for(cache->min_pitch + first + k, rate_, instrument_->periodic(timbre));
      note.resize(std::max(note.size(), sustain.end), 0.0f);
      heads.emplace_back(note.begin(), note.begin() + long(sustain.end - sustain.fade));
      // One period of the held note: the seam, then the loop up to where the next seam begins.
      std::vector<float> loop(sustain.end - sustain.start - sustain.fade);
      for (size_t i = 0; i < sustain.fade; ++i) loop[i] = sustain.seam(note.data(), i);
      std::copy(note.begin() + long(sustain.start + sustain.fade), note.begin() + long(sustain.end - sustain.fade),
                loop.begin() + long(sustain.fade));
      loops.push_back(std::move(loop));
    }
  }
  cache->notes = pack_notes(heads, loops, cache->samples);
  caches_rendered_.fetch_add(1);
  last_cache_seconds_.store(std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
  return cache.release();
}

void LiveSynth::worker_loop() {
  std::unique_lock<std::mutex> lock(mutex_);
  while (!stop_) {
    wake_.wait_for(lock, std::chrono::milliseconds(20));
    // Caches whose last channel let go of them.
    for (size_t r = retired_read_.load(); r != retired_written_.load(std::memory_order_acquire); ++r) {
      free_cache(retired_[r % kRetired]);
      retired_read_.store(r + 1, std::memory_order_release);
    }
    for (int ch = 0; ch < kChannels && !stop_; ++ch) {
      if (requested_[size_t(ch)].empty()) continue;
      const std::string timbre = std::move(requested_[size_t(ch)]);
      requested_[size_t(ch)].clear();
      if (Cache* cache = cache_for(timbre, lock)) publish(ch, cache);
    }
  }
}

// A reference to `timbre`'s cache: one a channel still holds, else a fresh one (rendered without
// the lock). Null (and last_error set) when rendering fails.
LiveSynth::Cache* LiveSynth::cache_for(const std::string& timbre, std::unique_lock<std::mutex>& lock) {
  for (Cache* c : caches_) {
    if (c->timbre != timbre) continue;
    int refs = c->refs.load();
    while (refs > 0 && !c->refs.compare_exchange_weak(refs, refs + 1)) {
    }
    if (refs > 0) return c;
  }
  building_ = true;
  lock.unlock();
  Cache* fresh = nullptr;
  std::string error;
  try {
    fresh = build_cache(timbre);
  } catch (const std::exception& e) {
    error = e.what();
  }
  lock.lock();
  building_ = false;
  if (!fresh) {
    error_ = error;
    return nullptr;
  }
  fresh->refs = 1;
  caches_.push_back(fresh);
  return fresh;
}

// Hands `cache` (one reference) to the channel's next callback; one it never took is dropped.
// Caller holds mutex_.
void LiveSynth::publish(int channel, Cache* cache) {
  published_[size_t(channel)] = {cache->timbre, cache->min_pitch, cache->max_pitch};
  if (Cache* unused = pending_[size_t(channel)].exchange(cache, std::memory_order_acq_rel))
    if (unused->refs.fetch_sub(1) == 1) free_cache(unused);
}

void LiveSynth::free_cache(const Cache* cache) {
  caches_.erase(std::remove(caches_.begin(), caches_.end(), cache), caches_.end());
  delete cache;
}

bool LiveSynth::idle() const {
  std::lock_guard<std::mutex> lock(mutex_);
  const bool requests = std::any_of(requested_.begin(), requested_.end(), [](const std::string& t) { return !t.empty(); });
  return !requests && !building_;
}

void LiveSynth::set_timbre(const std::string& timbre) {
  instrument_->check_timbre(timbre);  // validates the spec on the caller's thread
  {
    std::lock_guard<std::mutex> lock(mutex_);
    requested_.fill(timbre);
  }
  wake_.notify_all();
}

void LiveSynth::set_timbre(const std::string& timbre, int channel) {
  if (!valid_channel(channel)) throw Error("channel", "must be 0..15, not " + std::to_string(channel));
  instrument_->check_timbre(timbre);
  {
    std::lock_guard<std::mutex> lock(mutex_);
    requested_[size_t(channel)] = timbre;
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

namespace {
int channel_index(int channel) { return std::clamp(channel, 0, LiveSynth::kChannels - 1); }
}  // namespace

std::string LiveSynth::current_timbre(int channel) const {
  std::lock_guard<std::mutex> lock(mutex_);
  return published_[size_t(channel_index(channel))].timbre;
}
int LiveSynth::lowest_pitch(int channel) const {
  std::lock_guard<std::mutex> lock(mutex_);
  return published_[size_t(channel_index(channel))].min_pitch;
}
int LiveSynth::highest_pitch(int channel) const {
  std::lock_guard<std::mutex> lock(mutex_);
  return published_[size_t(channel_index(channel))].max_pitch;
}

void LiveSynth::push(Event e) noexcept {
  const size_t w = events_written_.load(std::memory_order_relaxed);
  if (w - events_read_.load(std::memory_order_acquire) >= kEvents) {
    dropped_events_.fetch_add(1, std::memory_order_relaxed);
    return;
  }
  events_[w % kEvents] = e;
  events_written_.store(w + 1, std::memory_order_release);
}


void LiveSynth::note_on(int pitch, int velocity, int channel) noexcept {
  if (!valid_data(pitch) || !valid_channel(channel)) return;
  if (velocity <= 0) return note_off(pitch, channel);
  push({Event::On, (unsigned char)channel, (unsigned char)pitch, uint16_t(std::min(velocity, 127))});
}
void LiveSynth::note_off(int pitch, int channel) noexcept {
  if (valid_data(pitch) && valid_channel(channel)) push({Event::Off, (unsigned char)channel, (unsigned char)pitch, 0});
}
void LiveSynth::sustain(bool down, int channel) noexcept { control_change(gm::kSustain, down ? 127 : 0, channel); }
void LiveSynth::control_change(int controller, int value, int channel) noexcept {
  if (valid_data(controller) && valid_data(value) && valid_channel(channel))
    push({Event::Control, (unsigned char)channel, (unsigned char)controller, uint16_t(value)});
}
void LiveSynth::pitch_bend(int value, int channel) noexcept {
  if (valid_channel(channel)) push({Event::Bend, (unsigned char)channel, 0, uint16_t(std::clamp(value, -8192, 8191) + 8192)});
}
void LiveSynth::all_notes_off() noexcept { push({Event::AllOff, 0, 0, 0}); }

void LiveSynth::midi(const unsigned char* m, size_t size) {
  if (size < 2) return;
  const unsigned status = m[0] & 0xF0u;
  const int channel = m[0] & 0x0F, data1 = m[1] & 0x7F, data2 = size >= 3 ? m[2] & 0x7F : 0;
  if (status == 0xC0) {
    std::string timbre;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      if (!programs_.empty()) timbre = programs_[size_t(data1) % programs_.size()];
    }
    if (!timbre.empty()) set_timbre(timbre, channel);
    return;
  }
  if (size < 3) return;
  if (status == 0x90) note_on(data1, data2, channel);
  else if (status == 0x80) note_off(data1, channel);
  else if (status == 0xB0) control_change(data1, data2, channel);
  else if (status == 0xE0) pitch_bend((data2 << 7 | data1) - 8192, channel);
}

void LiveSynth::apply(const Event& e) noexcept {
  switch (e.kind) {
    case Event::On: start_voice(e); break;
    case Event::Off: {  // the key's oldest held note: a doubled key's note-offs pair first in, first out (as read_midi)
      Voice* oldest = nullptr;
      for (Voice& v : voices_)
        if (v.cache && v.held && v.channel == e.channel && v.key == e.number && (!oldest || v.age < oldest->age)) oldest = &v;
      if (oldest) key_up(*oldest);
      break;
    }
    case Event::Control: control(e.channel, e.number, e.value); break;
    case Event::Bend: channels_[e.channel].controls.pitch_bend(int(e.value) - 8192); break;
    case Event::AllOff:
      for (Channel& c : channels_) c.controls.sustain = false;
      for (Voice& v : voices_)
        if (v.cache) v.held = v.sustained = false, begin_release(v, release_frames_.load(std::memory_order_relaxed));
      break;
  }
}

void LiveSynth::start_voice(const Event& e) noexcept {
  Channel& channel = channels_[e.channel];
  const Cache* cache = channel.cache;
  // A silent channel's first note starts at its controllers' values, as render's voices do.
  if (std::none_of(voices_.begin(), voices_.end(), [&](const Voice& v) { return v.cache && v.channel == e.channel; })) settle(channel);
  int pitch = e.number;  // out of range: moved by octaves, as the file renderer does
  while (pitch < cache->min_pitch) pitch += 12;
  while (pitch > cache->max_pitch) pitch -= 12;
  pitch = std::max(pitch, cache->min_pitch);  // a range narrower than an octave
  const float glide = glide_into(e.channel, e.number);
  for (Voice& held : voices_)  // a key struck again ends its note the pedal held (as render and FluidSynth)
    if (held.cache && held.sustained && held.channel == e.channel && held.key == e.number)
      held.sustained = false, begin_release(held, release_frames_.load(std::memory_order_relaxed));
  Voice* v = &voice_to_start();
  *v = Voice{};
  v->cache = cache;
  v->pitch = pitch - cache->min_pitch;
  v->key = e.number;
  v->channel = e.channel;
  v->gain = kMasterGain * float(e.value) / 127.0f;
  v->reverb = cache->sends[e.number].reverb;
  v->chorus = cache->sends[e.number].chorus;
  v->held = true;
  v->age = clock_++;
  v->glide = glide;
  notes_played_.fetch_add(1, std::memory_order_relaxed);
}

// Semitones a new note on `channel` glides from: legato (the channel's latest key let go within
// render's legato gap), the distance from that key; else 0. Keys still held or pedalled are other
// lines (a chord's notes do not glide into each other), as render's DDSP voice lines split them.
float LiveSynth::glide_into(int channel, int key) const noexcept {
  if (glide_frames_.load(std::memory_order_relaxed) <= 0 || !channels_[size_t(channel)].cache->performs) return 0;
  const size_t gap = size_t(DdspPerformanceOptions{}.legato_gap * rate_);
  const Voice* from = nullptr;
  for (const Voice& v : voices_) {
    if (!v.cache || !v.cache->performs || v.channel != channel || v.held || v.sustained) continue;
    if (!v.releasing || v.frames - v.released_at > gap) continue;
    if (!from || v.frames - v.released_at < from->frames - from->released_at) from = &v;  // the latest let go
  }
  return from ? float(from->key - key) : 0.0f;
}

// A free voice; all busy: the quietest releasing one (its level now), else the oldest.
LiveSynth::Voice& LiveSynth::voice_to_start() noexcept {
  Voice* oldest = &voices_[0];
  Voice* quietest = nullptr;
  float lowest = 0;
  for (Voice& c : voices_) {
    if (!c.cache) return c;
    if (c.releasing) {
      const size_t since = std::min(c.frames - c.released_at, c.release_frames);
      const float level = c.gain * c.release_level * (1.0f - float(since) / float(c.release_frames));
      if (!quietest || level < lowest) quietest = &c, lowest = level;
    }
    if (c.age < oldest->age) oldest = &c;
  }
  return quietest ? *quietest : *oldest;
}

// A controller: the channel's state in gm::ChannelControls, and what it does to sounding voices.
void LiveSynth::control(int channel, int number, int value) noexcept {
  Channel& c = channels_[size_t(channel)];
  const bool pedal_was_down = c.controls.sustain;
  c.controls.control_change(number, value);  // CC121 lifts the pedal too
  for (Voice& v : voices_) {
    if (!v.cache || v.channel != channel) continue;
    if (pedal_was_down && !c.controls.sustain && v.sustained) v.sustained = false, begin_release(v, release_frames_.load(std::memory_order_relaxed));
    if (number == gm::kAllNotesOff && v.held) key_up(v);  // as a note-off: the pedal still holds
    if (number == gm::kAllSoundOff) v.held = v.sustained = false, begin_release(v, cut_frames_);
  }
}

// The pedal holds a released key's note, unless the key was struck again since (as render).
void LiveSynth::key_up(Voice& v) noexcept {
  v.held = false;
  if (v.cache->one_shot) return;  // a drum hit rings out
  const bool struck_again = std::any_of(voices_.begin(), voices_.end(), [&](const Voice& o) {
    return o.cache && o.channel == v.channel && o.key == v.key && o.age > v.age;
  });
  if (channels_[size_t(v.channel)].controls.sustain && !struck_again) v.sustained = true;
  else begin_release(v, release_frames_.load(std::memory_order_relaxed));
}

// Fades from the voice's present release level (1 unless already releasing) to 0 over `frames`.
void LiveSynth::begin_release(Voice& v, size_t frames) noexcept {
  if (v.releasing) {
    const size_t since = v.frames - v.released_at;
    if (v.release_frames - std::min(since, v.release_frames) <= frames) return;  // ends sooner already
    v.release_level *= 1.0f - float(since) / float(v.release_frames);
  }
  v.releasing = true;
  v.released_at = v.frames;
  v.release_frames = frames;
}

// LiveOptions' vibrato: none for vibrato_delay, then growing to `depth` over as long again (as
// render's DDSP lines).
double LiveSynth::performed_vibrato(double depth, size_t frames) const noexcept {
  const double delay = options_.vibrato_delay * rate_, since = double(frames) - delay;
  if (since <= 0) return 0;
  const double grown = delay > 0 ? std::min(1.0, since / delay) : 1.0;
  return depth * grown * std::sin(2 * M_PI * options_.vibrato_rate * since / rate_);
}

// The voice's cached note into the channel bus, read at the channel's bend plus the vibrato (CC1)
// of an LFO that starts at the note-on, as render's voices (note_placement.cpp) and FluidSynth's.
void LiveSynth::mix_voice(Voice& v, const Channel& c, size_t n) noexcept {
  const NoteView& note = v.cache->notes[size_t(v.pitch)];
  const size_t attack = attack_frames_.load(std::memory_order_relaxed);
  const bool follows_pitch = !v.cache->one_shot;  // a drum hit is not bent, as render's
  const double bend = follows_pitch ? c.controls.bend_semitones() : 0.0;
  const double depth = follows_pitch ? c.controls.vibrato_cents() / 100.0 : 0.0;
  const double lfo = 2 * M_PI * gm::kVibratoHz / rate_;
  const double played = v.cache->performs ? vibrato_semitones_.load(std::memory_order_relaxed) : 0.0;
  const double glide = glide_frames_.load(std::memory_order_relaxed);
  for (size_t i = 0; i < n; ++i) {
    if (v.cache->one_shot && v.pos >= double(note.head_size)) {
      v.cache = nullptr;  // the hit has played
      return;
    }
    float env = v.frames < attack && !v.cache->one_shot ? float(v.frames) / float(attack) : 1.0f;  // a hit keeps its transient
    if (v.releasing) {
      const size_t since = v.frames - v.released_at;
      if (since >= v.release_frames) {
        v.cache = nullptr;  // finished
        return;
      }
      env *= v.release_level * (1.0f - float(since) / float(v.release_frames));
    }
    const float x = cached_at(note, v.pos) * env * v.gain;
    bus_[i] += x;
    own_reverb_[i] += x * v.reverb;
    own_chorus_[i] += x * v.chorus;
    double semitones = bend + (depth != 0 ? depth * std::sin(lfo * double(v.frames)) : 0.0);
    if (played != 0) semitones += performed_vibrato(played, v.frames);
    if (v.glide != 0) {
      const double t = std::min(1.0, double(v.frames) / std::max(glide, 1.0));
      semitones += v.glide * (1 - t * t * (3 - 2 * t));  // smoothstep, as render's DDSP glide
      if (t >= 1) v.glide = 0;
    }
    v.pos += semitones == 0 ? 1.0 : std::exp2(semitones / 12.0);
    ++v.frames;
  }
}

// The channel's bus into the stereo mix at its gain (CC7, CC11) and pan (CC10), and into the
// room's send buses (CC91, CC93) after the gain, all smoothed.
void LiveSynth::pan_channel(Channel& c, float* stereo, size_t n) noexcept {
  const gm::PanGains pan = c.controls.pan_gains();
  const float gain = c.controls.gain(), left = pan.left, right = pan.right, a = float(smoothing_);
  const Sends to = sends_of(c);
  if (c.cc_reverb == 0) c.reverb = to.reverb;  // not heard yet: no glide from a stale level
  if (c.cc_chorus == 0) c.chorus = to.chorus;
  for (size_t i = 0; i < n; ++i) {
    c.gain += (gain - c.gain) * a, c.left += (left - c.left) * a, c.right += (right - c.right) * a;
    c.reverb += (to.reverb - c.reverb) * a, c.chorus += (to.chorus - c.chorus) * a;
    c.cc_reverb += (to.cc_reverb - c.cc_reverb) * a, c.cc_chorus += (to.cc_chorus - c.cc_chorus) * a;
    const float x = bus_[i] * c.gain;
    stereo[2 * i] += x * c.left;
    stereo[2 * i + 1] += x * c.right;
    reverb_bus_[i] += c.gain * (c.cc_reverb * c.reverb * bus_[i] + (1 - c.cc_reverb) * own_reverb_[i]);
    chorus_bus_[i] += c.gain * (c.cc_chorus * c.chorus * bus_[i] + (1 - c.cc_chorus) * own_chorus_[i]);
  }
  snap(c.gain, gain), snap(c.left, left), snap(c.right, right), snap(c.reverb, to.reverb), snap(c.chorus, to.chorus);
  snap(c.cc_reverb, to.cc_reverb), snap(c.cc_chorus, to.cc_chorus);
}

// CC91 / CC93's levels once the channel has sent them (and then they alone count, as render's
// voices take them), else each voice's own sends.
LiveSynth::Sends LiveSynth::sends_of(const Channel& c) noexcept {
  const gm::ChannelControls& k = c.controls;
  return {k.reverb_set ? reverb_send_for_cc(k.reverb) : c.reverb, k.chorus_set ? chorus_send_for_cc(k.chorus) : c.chorus,
          k.reverb_set ? 1.0f : 0.0f, k.chorus_set ? 1.0f : 0.0f};
}

// A silent channel takes its controllers' values at once: nothing sounds to click.
void LiveSynth::settle(Channel& c) noexcept {
  const gm::PanGains pan = c.controls.pan_gains();
  c.gain = c.controls.gain(), c.left = pan.left, c.right = pan.right;
  const Sends to = sends_of(c);
  c.reverb = to.reverb, c.chorus = to.chorus, c.cc_reverb = to.cc_reverb, c.cc_chorus = to.cc_chorus;
}

void LiveSynth::render_chunk(float* stereo, size_t n) noexcept {
  std::fill(stereo, stereo + 2 * n, 0.0f);
  std::fill(reverb_bus_.begin(), reverb_bus_.begin() + long(n), 0.0f);
  std::fill(chorus_bus_.begin(), chorus_bus_.begin() + long(n), 0.0f);
  for (int ch = 0; ch < kChannels; ++ch) {
    Channel& c = channels_[size_t(ch)];
    const bool sounding = std::any_of(voices_.begin(), voices_.end(), [ch](const Voice& v) { return v.cache && v.channel == ch; });
    if (!sounding) {
      settle(c);
      continue;
    }
    std::fill(bus_.begin(), bus_.begin() + long(n), 0.0f);
    std::fill(own_reverb_.begin(), own_reverb_.begin() + long(n), 0.0f);
    std::fill(own_chorus_.begin(), own_chorus_.begin() + long(n), 0.0f);
    for (Voice& v : voices_)
      if (v.cache && v.channel == ch) mix_voice(v, c, n);
    pan_channel(c, stereo, n);
  }
  if (room_) room_->process(reverb_bus_.data(), chorus_bus_.data(), stereo, n);
  for (size_t i = 0; i < n; ++i) {
    stereo[2 * i] = soft_limit(dc_left_.process(stereo[2 * i]));
    stereo[2 * i + 1] = soft_limit(dc_right_.process(stereo[2 * i + 1]));
  }
}

// Fresh caches the worker finished: a channel takes its own once the one before its current has
// been let go.
void LiveSynth::take_pending_caches() noexcept {
  for (size_t ch = 0; ch < size_t(kChannels); ++ch) {
    Channel& c = channels_[ch];
    if (c.draining || !pending_[ch].load(std::memory_order_relaxed)) continue;  // the usual case: nothing handed over
    if (Cache* fresh = pending_[ch].exchange(nullptr, std::memory_order_acq_rel)) {
      if (fresh == c.cache) {  // asked for what it plays (A -> B -> A before B was taken): one reference too many
        fresh->refs.fetch_sub(1, std::memory_order_relaxed);  // never the last: c.cache holds one
        continue;
      }
      c.draining = std::exchange(c.cache, fresh);
    }
  }
}

// A channel's old cache is let go once none of its voices plays from it (and the ring has room).
void LiveSynth::retire_drained_caches() noexcept {
  for (int ch = 0; ch < kChannels; ++ch) {
    Channel& c = channels_[size_t(ch)];
    if (!c.draining) continue;
    const bool used = std::any_of(voices_.begin(), voices_.end(), [&](const Voice& v) { return v.cache == c.draining && v.channel == ch; });
    if (used || retired_written_.load(std::memory_order_relaxed) - retired_read_.load(std::memory_order_acquire) >= kRetired) continue;
    release(std::exchange(c.draining, nullptr));
  }
}

void LiveSynth::release(const Cache* cache) noexcept {
  if (cache->refs.fetch_sub(1, std::memory_order_acq_rel) != 1) return;
  const size_t w = retired_written_.load(std::memory_order_relaxed);
  retired_[w % kRetired] = cache;
  retired_written_.store(w + 1, std::memory_order_release);
}

size_t LiveSynth::render(float* stereo, size_t frames) noexcept {
  DenormalGuard guard;  // release tails and the controllers' smoothing would reach denormals
  take_pending_caches();
  const size_t written = events_written_.load(std::memory_order_acquire);
  size_t read = events_read_.load(std::memory_order_relaxed);
  for (; read < written; ++read) apply(events_[read % kEvents]);
  events_read_.store(read, std::memory_order_release);

  for (size_t at = 0; at < frames; at += kChunk) render_chunk(stereo + 2 * at, std::min(kChunk, frames - at));
  retire_drained_caches();
  return frames;
}

}  // namespace timbrel
