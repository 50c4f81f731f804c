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

namespace timbrel {

// One timbre's notes at the device rate, each as a head (played once) and a loop (repeated while
// the key is held): the same sustain NoteRenderer builds, with the loop's seam cross-faded once.
struct LiveSynth::Cache {
  std::string timbre;
  int min_pitch = 0, max_pitch = 0;
  gm::BaseSends sends{0.0f, 0.0f};  // the instrument's own, until a channel sends CC91 / CC93
  bool one_shot = false;              // notes play whole (drum hits): keys up and pedals do not end them
  std::vector<std::vector<float>> head, loop;  // by pitch - min_pitch
};

namespace {

constexpr double kSmoothingSeconds = 0.005;  // time constant of gain, pan and bend changes: no clicks, no lag
constexpr double kCutSeconds = 0.005;        // all sound off: a fade this short instead of a click

// A smoothed value lands on its target once within float noise of it (and then stays exact).
inline void snap(float& value, float target) {
  if (std::fabs(target - value) < 1e-6f) value = target;
}

// The cached note at integer index n: the head, then its loop over and over (so a note bent up,
// which reads faster, never runs out while its key is held).
inline float cached(const std::vector<float>& head, const std::vector<float>& loop, size_t n) {
  return n < head.size() ? head[n] : loop[(n - head.size()) % loop.size()];
}

// The cached note at a fractional position: 4-point cubic Hermite (Catmull-Rom) interpolation.
inline float cached_at(const std::vector<float>& head, const std::vector<float>& loop, double pos) {
  const size_t i = size_t(pos);
  const float f = float(pos - double(i));
  if (f == 0.0f) return cached(head, loop, i);
  const float x0 = i ? cached(head, loop, i - 1) : 0.0f, x1 = cached(head, loop, i);
  const float x2 = cached(head, loop, i + 1), x3 = cached(head, loop, i + 2);
  return hermite4(x0, x1, x2, x3, f);
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
  cut_frames_ = std::max<size_t>(1, size_t(kCutSeconds * rate_));
  smoothing_ = 1.0 - std::exp(-1.0 / (kSmoothingSeconds * rate_));
  if (o.room) room_ = std::make_unique<Room>(sample_rate);
  programs_ = instrument_->programs();
  instrument_->check_timbre(timbre);  // a bad spec fails here, before any rendering
  current_ = build_cache(timbre);
  playing_ = current_;
  for (Channel& c : channels_) settle(c);
  worker_ = std::thread([this] { worker_loop(); });
}

void LiveSynth::set_envelope(double attack_seconds, double release_seconds) noexcept {
  auto frames = [this](double seconds) { return std::max<size_t>(1, size_t(std::clamp(seconds, 0.0, 60.0) * rate_)); };
  attack_frames_.store(frames(attack_seconds), std::memory_order_relaxed);
  release_frames_.store(frames(release_seconds), std::memory_order_relaxed);
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
  cache->sends = gm::program_sends(instrument_->gm_program(timbre));
  std::tie(cache->min_pitch, cache->max_pitch) = instrument_->pitch_range(timbre);
  const int count = cache->max_pitch - cache->min_pitch + 1, batch = std::max(1, instrument_->batch());
  cache->one_shot = instrument_->one_shot(timbre);
  const bool decays = cache->one_shot || instrument_->decays(timbre);
  const int note_rate = instrument_->note_rate(timbre);
  for (int first = 0; first < count; first += batch) {
    const int n = std::min(batch, count - first);
    const std::vector<std::vector<float>> notes = instrument_->held_notes(timbre, cache->min_pitch + first, n);
    for (int k = 0; k < n; ++k) {
      std::vector<float> note = resample_note(notes[size_t(k)], note_rate, rate_);
      instrument_->finish_note(note, rate_, timbre, cache->min_pitch + first + k);
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
    building_ = true;
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
    building_ = false;
    if (!error.empty()) error_ = error;
  }
}

bool LiveSynth::idle() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return requested_.empty() && !building_;
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

namespace {
bool valid_channel(int channel) { return channel >= 0 && channel < LiveSynth::kChannels; }
bool valid_data(int value) { return value >= 0 && value <= 127; }
}  // namespace

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
    if (!timbre.empty()) set_timbre(timbre);
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
    case Event::Off:
      for (Voice& v : voices_)
        if (v.cache && v.held && v.channel == e.channel && v.key == e.number) key_up(v);
      break;
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
  int pitch = e.number;  // out of range: moved by octaves, as the file renderer does
  while (pitch < current_->min_pitch) pitch += 12;
  while (pitch > current_->max_pitch) pitch -= 12;
  pitch = std::max(pitch, current_->min_pitch);  // a range narrower than an octave
  Voice* v = &voice_to_start();
  *v = Voice{};
  v->cache = current_;
  v->pitch = pitch - current_->min_pitch;
  v->key = e.number;
  v->channel = e.channel;
  v->gain = kMasterGain * float(e.value) / 127.0f;
  v->held = true;
  v->age = clock_++;
  notes_played_.fetch_add(1, std::memory_order_relaxed);
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

void LiveSynth::key_up(Voice& v) noexcept {
  v.held = false;
  if (v.cache->one_shot) return;  // a drum hit rings out
  if (channels_[size_t(v.channel)].controls.sustain) v.sustained = true;
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

// Per frame, the channel's read step 2^(semitones / 12): its smoothed bend plus the vibrato.
const double* LiveSynth::channel_steps(Channel& c, size_t n) noexcept {
  const double bend = c.controls.bend_semitones(), depth = c.controls.vibrato_cents() / 100.0;
  if (bend == 0 && depth == 0 && c.bend == 0 && c.vibrato == 0) return nullptr;
  const double cycle = gm::kVibratoHz / rate_;
  for (size_t i = 0; i < n; ++i) {
    c.bend += (bend - c.bend) * smoothing_;
    c.vibrato += (depth - c.vibrato) * smoothing_;
    if (std::fabs(bend - c.bend) < 1e-7) c.bend = bend;  // lands exactly: unbent reads whole samples
    if (std::fabs(depth - c.vibrato) < 1e-7) c.vibrato = depth;
    steps_[i] = std::exp2((c.bend + c.vibrato * std::sin(2 * M_PI * c.phase)) / 12.0);
    c.phase += cycle;
    c.phase -= std::floor(c.phase);
  }
  return steps_.data();
}

void LiveSynth::mix_voice(Voice& v, const double* steps, size_t n) noexcept {
  const std::vector<float>& head = v.cache->head[size_t(v.pitch)];
  const std::vector<float>& loop = v.cache->loop[size_t(v.pitch)];
  const size_t attack = attack_frames_.load(std::memory_order_relaxed);
  for (size_t i = 0; i < n; ++i) {
    if (v.cache->one_shot && v.pos >= double(head.size())) {
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
    bus_[i] += cached_at(head, loop, v.pos) * env * v.gain;
    v.pos += steps ? steps[i] : 1.0;
    ++v.frames;
  }
}

// The channel's bus into the stereo mix at its gain (CC7, CC11) and pan (CC10), and into the
// room's send buses (CC91, CC93) after the gain, all smoothed.
void LiveSynth::pan_channel(Channel& c, float* stereo, size_t n) noexcept {
  const gm::PanGains pan = c.controls.pan_gains();
  const float gain = c.controls.gain(), left = pan.left, right = pan.right, a = float(smoothing_);
  const auto [reverb, chorus] = send_levels(c);
  for (size_t i = 0; i < n; ++i) {
    c.gain += (gain - c.gain) * a, c.left += (left - c.left) * a, c.right += (right - c.right) * a;
    c.reverb += (reverb - c.reverb) * a, c.chorus += (chorus - c.chorus) * a;
    const float x = bus_[i] * c.gain;
    stereo[2 * i] += x * c.left;
    stereo[2 * i + 1] += x * c.right;
    reverb_bus_[i] += x * c.reverb;
    chorus_bus_[i] += x * c.chorus;
  }
  snap(c.gain, gain), snap(c.left, left), snap(c.right, right), snap(c.reverb, reverb), snap(c.chorus, chorus);
}

// CC91 / CC93 once the channel has sent them, else the playing timbre's own sends (as render's voices).
std::pair<float, float> LiveSynth::send_levels(const Channel& c) const noexcept {
  return {c.controls.reverb_set ? reverb_send_for_cc(c.controls.reverb) : current_->sends.reverb,
          c.controls.chorus_set ? chorus_send_for_cc(c.controls.chorus) : current_->sends.chorus};
}

// A silent channel takes its controllers' values at once: nothing sounds to click.
void LiveSynth::settle(Channel& c) noexcept {
  const gm::PanGains pan = c.controls.pan_gains();
  c.gain = c.controls.gain(), c.left = pan.left, c.right = pan.right;
  std::tie(c.reverb, c.chorus) = send_levels(c);
  c.bend = c.controls.bend_semitones();
  c.vibrato = c.controls.vibrato_cents() / 100.0;
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
    const double* steps = channel_steps(c, n);
    std::fill(bus_.begin(), bus_.begin() + long(n), 0.0f);
    for (Voice& v : voices_)
      if (v.cache && v.channel == ch) mix_voice(v, steps, n);
    pan_channel(c, stereo, n);
  }
  if (room_) room_->process(reverb_bus_.data(), chorus_bus_.data(), stereo, n);
  for (size_t i = 0; i < n; ++i) {
    stereo[2 * i] = soft_limit(dc_left_.process(stereo[2 * i]));
    stereo[2 * i + 1] = soft_limit(dc_right_.process(stereo[2 * i + 1]));
  }
}

size_t LiveSynth::render(float* stereo, size_t frames) noexcept {
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

  for (size_t at = 0; at < frames; at += kChunk) render_chunk(stereo + 2 * at, std::min(kChunk, frames - at));
  // The old cache goes back to the worker (to be freed there) once no voice plays from it.
  const bool draining_used = std::any_of(voices_.begin(), voices_.end(), [this](const Voice& v) { return v.cache && v.cache == draining_; });
  if (draining_ && !draining_used && !retired_.load(std::memory_order_acquire)) {
    retired_.store(const_cast<Cache*>(draining_), std::memory_order_release);
    draining_ = nullptr;
  }
  return frames;
}

}  // namespace timbrel
