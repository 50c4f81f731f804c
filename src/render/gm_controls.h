#pragma once
// General MIDI controller semantics, shared by the file renderer and the live synth, as FluidSynth
// (the reference renders) and the GM2 recommended practices define them:
// - CC7 volume and CC11 expression: gain 40 log10(value / 127) dB each (GM2; also what the SF2
//   default modulators' concave curves over 96 dB give). Notes are levelled at GM's power-on state
//   (volume 100, expression 127), so gains are relative to it.
// - CC10 pan: sine/cosine law (RP-036): 0 and 1 hard left, 64 centre (-3 dB per side), 127 right.
// - Pitch bend in the RPN 0 range (CC101/100 = 0/0, then CC6 semitones + CC38 cents), 2 by default.
// - CC1 modulation: vibrato of up to 50 cents (the SF2 default modulator) at the SF2 default
//   vibrato rate, 8.176 Hz.
// - CC121 reset all controllers (RP-015): bend, modulation, expression, sustain and the RPN
//   selection reset; volume, pan and the effect sends keep their values.
#include <algorithm>
#include <cmath>

namespace timbrel {
namespace gm {

enum Controller : int {
  kModulation = 1, kDataEntry = 6, kVolume = 7, kPan = 10, kExpression = 11, kDataEntryLsb = 38, kSustain = 64,
  kReverbSend = 91, kChorusSend = 93, kNrpnLsb = 98, kNrpnMsb = 99, kRpnLsb = 100, kRpnMsb = 101,
  kAllSoundOff = 120, kResetAllControllers = 121, kAllNotesOff = 123
};

// What FluidSynth 2.3 gives a channel at power-on (and what GM files assume when they send none).
constexpr int kDefaultVolume = 100, kDefaultExpression = 127, kDefaultPan = 64;
constexpr int kDefaultReverbSend = 0, kDefaultChorusSend = 0;  // until a file sends CC91/93, instruments use their own (gm_sends.h)
constexpr double kDefaultBendRange = 2.0;         // semitones
constexpr double kModulationDepthCents = 50.0;    // at CC1 = 127
constexpr double kVibratoHz = 8.176;              // SF2's default vibrato LFO rate (0 absolute cents)

// Linear gain of one CC7 or CC11 value (0 -> silence).
inline double controller_gain(int value) {
  value = std::clamp(value, 0, 127);
  return value == 0 ? 0.0 : std::pow(double(value) / 127.0, 2.0);  // 40 log10(v/127) dB = (v/127)^2
}

// A channel's gain relative to GM's power-on state (volume 100, expression 127).
inline float channel_gain(int volume, int expression) {
  return float(controller_gain(volume) * controller_gain(expression) / controller_gain(kDefaultVolume));
}

struct PanGains {
  float left, right;
};
// Constant-power pan of a mono source.
inline PanGains pan_gains(int cc10) {
  const double p = double(std::clamp(cc10, 1, 127) - 1) / 126.0;
  return {float(std::cos(p * M_PI / 2)), float(std::sin(p * M_PI / 2))};
}

// One MIDI channel's controller state, fed with its events in time order.
struct ChannelControls {
  int volume = kDefaultVolume, expression = kDefaultExpression, pan = kDefaultPan;
  int reverb = kDefaultReverbSend, chorus = kDefaultChorusSend, modulation = 0;
  bool reverb_set = false, chorus_set = false;  // the file sent CC91 / CC93 (its value then replaces the instrument's own send)
  bool sustain = false;
  int bend = 0;  // -8192..8191
  double bend_range = kDefaultBendRange;
  int rpn_msb = 127, rpn_lsb = 127;  // 127/127 = no RPN selected ("RPN null")
  bool nrpn = false;                 // data entry addresses an NRPN (ignored)

  void control_change(int number, int value) {
    switch (number) {
      case kModulation: modulation = value; break;
      case kVolume: volume = value; break;
      case kPan: pan = value; break;
      case kExpression: expression = value; break;
      case kSustain: sustain = value >= 64; break;
      case kReverbSend: reverb = value, reverb_set = true; break;
      case kChorusSend: chorus = value, chorus_set = true; break;
      case kRpnMsb: rpn_msb = value, nrpn = false; break;
      case kRpnLsb: rpn_lsb = value, nrpn = false; break;
      case kNrpnMsb: case kNrpnLsb: nrpn = true; break;
      case kDataEntry: if (bend_range_selected()) bend_range = value + std::fmod(bend_range, 1.0); break;
      case kDataEntryLsb: if (bend_range_selected()) bend_range = std::floor(bend_range) + value / 100.0; break;
      case kResetAllControllers: reset_controllers(); break;
      default: break;
    }
  }
  void pitch_bend(int value) { bend = std::clamp(value, -8192, 8191); }
  void reset_controllers() {
    bend = 0, modulation = 0, expression = kDefaultExpression, sustain = false;
    rpn_msb = rpn_lsb = 127, nrpn = false;
  }
  bool bend_range_selected() const { return !nrpn && rpn_msb == 0 && rpn_lsb == 0; }
  double bend_semitones() const { return bend / 8192.0 * bend_range; }
  float gain() const { return channel_gain(volume, expression); }
  PanGains pan_gains() const { return gm::pan_gains(pan); }
  double vibrato_cents() const { return kModulationDepthCents * modulation / 127.0; }
};

}  // namespace gm
}  // namespace timbrel
