// Which latent each note gets: one timbre, a morph over time, the 4-corner pad, per-track timbres.
#include <cmath>
#include <sstream>

#include "render/note_renderer.h"
#include "timbrel/error.h"
#include "timbrel/musicvae.h"  // slerp, drum classes
#include "timbrel/render.h"

namespace timbrel {

std::vector<float> scheduled_timbre(const Gansynth& model, const TimbreSchedule& s, double time, int track, int program) {
  std::vector<float> latent;
  return scheduled_timbre([&](const std::string& spec) -> const std::vector<float>& { return latent = model.timbre(spec); }, s, time,
                          track, program);
}

PadPosition parse_pad_position(const std::string& text, const std::string& parameter) {
  PadPosition p;
  char comma = 0;
  std::istringstream in(text);
  if (!(in >> p.x >> comma >> p.y) || comma != ',' || !in.eof() || p.x < 0 || p.x > 1 || p.y < 0 || p.y > 1)
    throw Error(parameter + " " + text, "expected x,y with both in [0, 1]");
  return p;
}

std::vector<float> scheduled_timbre(const TimbreLookup& timbre, const TimbreSchedule& s, double time, int track, int program) {
  for (const auto& [t, spec] : s.track_timbres)
    if (t == track) return timbre(spec);
  if (s.follow_programs && program >= 0 && program <= 127) return timbre("program:" + std::to_string(program));
  if (s.pad) {
    if (s.corners.size() != 4) throw Error("corners", "a pad needs four corner timbres A,B,C,D");
    const std::vector<float> a = timbre(s.corners[0]), b = timbre(s.corners[1]), c = timbre(s.corners[2]);
    return bilinear(a, b, c, timbre(s.corners[3]), s.pad->x, s.pad->y);
  }
  if (s.timbres.empty()) throw Error("timbres", "no timbre given");
  if (s.timbres.size() == 1 || s.seconds_per_timbre <= 0) return timbre(s.timbres[0]);
  // Morph: timbre k at time k * S, slerp in between; quantised to 1/32 of a segment so that
  // repeated pitches within a segment share one generation.
  const double u = std::max(0.0, time / s.seconds_per_timbre);
  const size_t k = size_t(std::floor(u));
  if (k + 1 >= s.timbres.size()) return timbre(s.timbres.back());
  const double frac = std::round((u - double(k)) * 32) / 32;
  const std::vector<float> from = timbre(s.timbres[k]);
  return slerp(from, timbre(s.timbres[k + 1]), frac);
}

int drum_note_for_kit(int pitch) {
  if (pitch >= 35 && pitch <= 81) return pitch;
  const int c = drum_class_of_pitch(pitch);
  return c < 0 ? -1 : drum_pitch_of_class(c);
}

float soft_limit(float x) {
  const float a = std::fabs(x);
  if (a <= 0.7f) return x;
  return std::copysign(0.7f + 0.29f * std::tanh((a - 0.7f) / 0.29f), x);  // ceiling 0.99
}

}  // namespace timbrel
