#include "render/note_placement.h"

#include <algorithm>
#include <cmath>

#include "render/hermite.h"
#include "render/room.h"

namespace timbrel {
namespace {

// What a channel state asks of a voice, recomputed only when the state changes.
struct Targets {
  float gain, left, right, reverb, chorus;
  double semitones, vibrato;  // bend; vibrato depth in semitones
};

Targets targets_of(const gm::ChannelControls& s, const Placement& p) {
  const gm::PanGains pan = s.pan_gains();
  return {p.follow_level ? s.gain() : 1.0f, pan.left, pan.right, s.reverb_set ? reverb_send_for_cc(s.reverb) : p.reverb_base,
          s.chorus_set ? chorus_send_for_cc(s.chorus) : p.chorus_base,
          p.follow_pitch ? s.bend_semitones() : 0.0, p.follow_pitch ? s.vibrato_cents() / 100.0 : 0.0};
}

// The source at position `pos` (zeros outside it).
float hermite(const float* x, size_t n, double pos) {
  const long i = long(std::floor(pos));
  const float f = float(pos - double(i));
  auto at = [&](long k) { return k >= 0 && size_t(k) < n ? x[k] : 0.0f; };
  return hermite4(at(i - 1), at(i), at(i + 1), at(i + 2), f);
}

double envelope(const Placement& p, double t) {
  double e = p.attack > 0 && t < p.attack ? t / p.attack : 1.0;
  if (t >= p.held) e *= p.release > 0 ? std::max(0.0, 1.0 - (t - p.held) / p.release) : 0.0;
  return e;
}

// The smoothed parameters of a voice: one-pole, ~2 ms, started at their targets.
struct Smoothed {
  float gain, left, right, reverb, chorus, k;
  Smoothed(const Targets& t, int rate)
      : gain(t.gain), left(t.left), right(t.right), reverb(t.reverb), chorus(t.chorus), k(float(1.0 - std::exp(-1.0 / (0.002 * rate)))) {}
  void follow(const Targets& t) {
    gain += k * (t.gain - gain), left += k * (t.left - left), right += k * (t.right - right);
    reverb += k * (t.reverb - reverb), chorus += k * (t.chorus - chorus);
  }
};

}  // namespace

size_t source_frames_needed(const Placement& p) {
  if (!p.follow_pitch) return p.length;
  const double t0 = double(p.start) / p.rate, t1 = double(p.start + p.length) / p.rate;
  const auto& changes = p.channel->changes();
  double highest = 0;
  for (size_t i = p.channel->index_at(t0), last = p.channel->index_at(t1); i <= last; ++i)
    highest = std::max(highest, changes[i].state.bend_semitones() + changes[i].state.vibrato_cents() / 100.0);
  return size_t(std::ceil(double(p.length) * std::exp2(highest / 12.0))) + 4;
}

void place_voice(const Placement& p, const MixBuses& b) {
  const double t0 = double(p.start) / p.rate;
  TimelineCursor cursor(*p.channel, t0);
  const gm::ChannelControls* state = &cursor.at(t0);
  Targets target = targets_of(*state, p);
  Smoothed s(target, p.rate);
  const bool bends = p.follow_pitch && !(p.channel->constant(t0, double(p.start + p.length) / p.rate) && target.semitones == 0 &&
                                         target.vibrato == 0);
  const double vibrato_step = 2 * M_PI * gm::kVibratoHz / p.rate;
  double pos = 0;
  const size_t stop = std::min(p.length, b.origin + b.frames - p.start);
  for (size_t i = 0; i < stop; ++i) {
    const gm::ChannelControls* now = &cursor.at(double(p.start + i) / p.rate);
    if (now != state) state = now, target = targets_of(*now, p);
    s.follow(target);
    float x;
    if (bends) {
      x = hermite(p.source, p.source_frames, pos);
      const double semis = target.semitones + (target.vibrato != 0 ? target.vibrato * std::sin(vibrato_step * double(i)) : 0.0);
      pos += std::exp2(semis / 12.0);
    } else {
      x = i < p.source_frames ? p.source[i] : 0.0f;
    }
    const float v = float(envelope(p, double(i))) * p.gain * s.gain * x;
    const size_t at = p.start + i - b.origin;
    b.stereo[2 * at] += v * s.left;
    b.stereo[2 * at + 1] += v * s.right;
    b.reverb[at] += v * s.reverb;
    b.chorus[at] += v * s.chorus;
  }
}

}  // namespace timbrel
