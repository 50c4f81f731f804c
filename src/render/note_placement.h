#pragma once
// How one voice (a generated note, or a DDSP line) is placed in the stereo mix: its envelope,
// velocity, its channel's volume and expression (GM curves), pan (constant power), reverb and chorus
// sends, and pitch bend with modulation (the note read at a varying speed, 4-point Hermite
// interpolation), all following the channel's controllers as they change during the note.
// Controller steps are smoothed over ~2 ms so they do not click.
#include <cstddef>

#include "render/channel_controls.h"

namespace timbrel {

// The mix from frame `origin` on: interleaved stereo and the mono effect sends.
struct MixBuses {
  float* stereo = nullptr;
  float* reverb = nullptr;
  float* chorus = nullptr;
  size_t origin = 0, frames = 0;
};

struct Placement {
  const float* source = nullptr;  // the voice at the mix rate, its onset at 0
  size_t source_frames = 0;
  size_t start = 0;               // frame of the onset in the mix
  size_t length = 0;              // frames to place (held + release, cut at the render's end)
  double held = 0;                // frames until the key (or the pedal) lets go
  double attack = 0, release = 0; // frames; 0 = none
  float gain = 1;                 // velocity gain
  // The instrument's own sends (gm_sends.h), used until its channel's file sends CC91 / CC93.
  float reverb_base = 0, chorus_base = 0;
  bool follow_level = true;       // CC7/CC11 (DDSP lines apply them inside)
  bool follow_pitch = true;       // pitch bend and modulation (DDSP lines bend inside)
  const ChannelTimeline* channel = nullptr;
  int rate = 48000;
};

// Source frames a note needs to fill `p.length` frames when its channel bends it (upward bends
// read faster); p.length when it follows no pitch.
size_t source_frames_needed(const Placement& p);

// Adds the voice to the buses (frames before buses.origin must not be touched: p.start >= origin).
void place_voice(const Placement& p, const MixBuses& buses);

}  // namespace timbrel
