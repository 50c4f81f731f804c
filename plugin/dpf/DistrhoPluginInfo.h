// What DPF builds: a MIDI-in, stereo-out instrument without a UI (hosts show its parameters).
#pragma once

#define DISTRHO_PLUGIN_BRAND "Timbrel"
#define DISTRHO_PLUGIN_NAME "Timbrel"
#define DISTRHO_PLUGIN_URI "urn:timbrel:synth"
#define DISTRHO_PLUGIN_CLAP_ID "org.timbrel.synth"

#define DISTRHO_PLUGIN_HAS_UI 0
#define DISTRHO_PLUGIN_IS_RT_SAFE 1
#define DISTRHO_PLUGIN_IS_SYNTH 1
#define DISTRHO_PLUGIN_NUM_INPUTS 0
#define DISTRHO_PLUGIN_NUM_OUTPUTS 2
#define DISTRHO_PLUGIN_WANT_MIDI_INPUT 1
#define DISTRHO_PLUGIN_WANT_LATENCY 1
#define DISTRHO_PLUGIN_WANT_STATE 1
#define DISTRHO_PLUGIN_WANT_FULL_STATE 1
#define DISTRHO_PLUGIN_WANT_PROGRAMS 1  // the 128 GM programs as host presets

#define DISTRHO_PLUGIN_LV2_CATEGORY "lv2:InstrumentPlugin"
#define DISTRHO_PLUGIN_VST3_CATEGORIES "Instrument|Synth"
#define DISTRHO_PLUGIN_CLAP_FEATURES "instrument", "synthesizer", "stereo"
