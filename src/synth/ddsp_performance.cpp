#include "synth/ddsp_performance.h"

#include <algorithm>
#include <cmath>

namespace timbrel::synth {
namespace {

constexpr double kPi = 3.14159265358979323846;
constexpr double kReleaseDepthDb = 60;  // the release falls this far over `release` seconds

double smoothstep(double x) {
  x = std::clamp(x, 0.0, 1.0);
  return x * x * (3 - 2 * x);
}

double note_level_db(const VoiceNote& n, const PerformanceOptions& o) {
  return o.peak_db + o.velocity_db * std::log10(std::clamp(n.velocity, 1, 127) / 127.0);
}

bool legato(const std::vector<VoiceNote>& line, size_t i, const PerformanceOptions& o) {
  return i > 0 && line[i].start - line[i - 1].end <= o.legato_gap;
}

// One band's shape at `since`: interpolated, then extended by its last second's fall.
double band_db(const std::vector<float>& e, double rate, double since) {
  const double x = std::max(0.0, since) * rate, last = double(e.size() - 1);
  if (x <= last) {
    const size_t k = std::min(size_t(x), e.size() - 2);
    return e[k] + (e[k + 1] - e[k]) * (x - double(k));
  }
  const double span = std::min(last, rate);  // a second of values, or all there are
  const double slope = std::min(0.0, (e.back() - e[size_t(last - span)]) / span);
  return e.back() + slope * (x - last);
}

// Linear amplitude of note i's own envelope at t (0 before its start): the learned shape, or an
// attack (none when legato) and a hold; then a release falling kReleaseDepthDb over o.release.
double envelope(const std::vector<VoiceNote>& line, size_t i, double t, const PerformanceOptions& o) {
  const VoiceNote& n = line[i];
  if (t < n.start) return 0;
  const bool learned = !o.envelopes.empty();
  const auto held = [&](double at) {
    if (learned) return std::pow(10.0, o.envelopes.db(n.pitch, at - n.start) / 20);
    return legato(line, i, o) ? 1.0 : std::min(1.0, (at - n.start) / std::max(o.attack, 1e-6));
  };
  if (t <= n.end) return held(t);
  const double fallen_db = kReleaseDepthDb * (t - n.end) / std::max(o.release, 1e-6);
  return fallen_db >= kReleaseDepthDb ? 0.0 : held(n.end) * std::pow(10.0, -fallen_db / 20);
}

// The note's level in dB at t: a legato note moves from the previous note's level over the glide.
double level_db(const std::vector<VoiceNote>& line, size_t i, double t, const PerformanceOptions& o) {
  const double level = note_level_db(line[i], o);
  if (!legato(line, i, o)) return level;
  const double from = note_level_db(line[i - 1], o);
  return from + (level - from) * smoothstep((t - line[i].start) / std::max(o.glide, 1e-6));
}

// Semitones (fractional MIDI pitch) of note i at t: the glide into a legato note, then vibrato.
double pitch_at(const std::vector<VoiceNote>& line, size_t i, double t, double modulation, const PerformanceOptions& o) {
  const VoiceNote& n = line[i];
  double pitch = n.pitch;
  if (legato(line, i, o) && t >= n.start)
    pitch = line[i - 1].pitch + (n.pitch - line[i - 1].pitch) * smoothstep((t - n.start) / std::max(o.glide, 1e-6));
  const double since = t - n.start - o.vibrato_delay;
  const double grown = o.vibrato_delay > 0 ? std::clamp(since / o.vibrato_delay, 0.0, 1.0) : 1.0;
  const double cents = o.vibrato_cents * grown + o.modulation_cents * modulation;
  return pitch + cents / 100 * std::sin(2 * kPi * o.vibrato_rate * t);
}

}  // namespace

double LearnedEnvelopes::db(int pitch, double since) const {
  if (bands.size() == 1 || pitch_step <= 0) return band_db(bands.front(), rate, since);
  const double x = std::clamp(double(pitch - first_pitch) / pitch_step, 0.0, double(bands.size() - 1));
  const size_t k = std::min(size_t(x), bands.size() - 2);
  const double w = x - double(k);
  return (1 - w) * band_db(bands[k], rate, since) + w * band_db(bands[k + 1], rate, since);
}

std::vector<std::vector<VoiceNote>> split_voices(std::vector<VoiceNote> notes, double legato_gap) {
  std::stable_sort(notes.begin(), notes.end(), [](const VoiceNote& a, const VoiceNote& b) {
    return a.start != b.start ? a.start < b.start : a.pitch > b.pitch;
  });
  std::vector<std::vector<VoiceNote>> lines;
  for (const VoiceNote& n : notes) {
    std::vector<VoiceNote>* best = nullptr;
    for (auto& line : lines)
      if (line.back().end <= n.start + legato_gap && (!best || line.back().end > best->back().end)) best = &line;
    if (!best) best = &lines.emplace_back();
    best->push_back(n);
  }
  return lines;
}

float control_at(const std::vector<ControlPoint>& points, double time, float initial) {
  auto it = std::upper_bound(points.begin(), points.end(), time, [](double t, const ControlPoint& p) { return t < p.time; });
  return it == points.begin() ? initial : std::prev(it)->value;
}

ControlCurves performance_curves(const std::vector<VoiceNote>& line, const VoiceControllers& c, size_t first_frame,
                                 size_t frames, const PerformanceOptions& o) {
  ControlCurves out;
  out.f0_hz.resize(frames);
  out.loudness_db.assign(frames, o.floor_db);
  if (line.empty()) return out;
  size_t i = 0;  // the last note that has started (the first before any has)
  for (size_t k = 0; k < frames; ++k) {
    const double t = double(first_frame + k) / o.frame_rate;
    while (i + 1 < line.size() && line[i + 1].start <= t) ++i;
    const double pitch = pitch_at(line, i, t, control_at(c.modulation, t, 0), o) + control_at(c.bend, t, 0);
    out.f0_hz[k] = float(440.0 * std::pow(2.0, (pitch - 69) / 12));
    // The previous note's release may still sound under a new attack: the louder one wins.
    double amp = envelope(line, i, t, o) * std::pow(10.0, level_db(line, i, t, o) / 20);
    if (i > 0 && !legato(line, i, o)) amp = std::max(amp, envelope(line, i - 1, t, o) * std::pow(10.0, note_level_db(line[i - 1], o) / 20));
    const double gain = std::clamp(double(control_at(c.gain, t, 1)), 0.0, 1.0);
    if (amp > 0 && gain > 0) out.loudness_db[k] = float(std::max(double(o.floor_db), 20 * std::log10(amp) + 40 * std::log10(gain)));
  }
  return out;
}

}  // namespace timbrel::synth
