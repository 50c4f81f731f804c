// The DAW instrument on DPF (LV2, VST3, CLAP, JACK standalone): a thin adapter over
// plugin/core/plugin_core.h, which owns the synth and keeps run() real-time safe.
#include <memory>
#include <utility>
#include <vector>

#include "DistrhoPlugin.hpp"
#include "plugin/core/plugin_core.h"
#include "render/gm_names.h"

START_NAMESPACE_DISTRHO

namespace core = timbrel::plugin;

class TimbrelPlugin : public Plugin {
 public:
  TimbrelPlugin() : Plugin(core::kParameterCount, 128, 2) {
    setLatency(0);  // every note plays from the rendered cache
    // DPF's metadata pass (the LV2 TTL generator) makes an instance only to ask questions.
    if (!isDummyInstance()) start(getSampleRate());
  }

 protected:
  const char* getLabel() const override { return "Timbrel"; }
  const char* getDescription() const override {
    return "Neural-timbre instrument: GANSynth-style and DDSP voices of the General MIDI programs";
  }
  const char* getMaker() const override { return "Timbrel"; }
  const char* getHomePage() const override { return "https://github.com/timbrel"; }
  const char* getLicense() const override { return "ISC"; }
  uint32_t getVersion() const override { return d_version(0, 1, 0); }
  int64_t getUniqueId() const override { return d_cconst('T', 'm', 'b', 'l'); }

  void initParameter(uint32_t index, Parameter& p) override {
    const core::ParameterInfo& info = core::parameter_infos()[index];
    p.hints = info.output ? kParameterIsOutput | kParameterIsInteger : kParameterIsAutomatable | (info.integer ? kParameterIsInteger : 0);
    p.name = info.name;
    p.symbol = info.symbol;
    p.unit = info.unit;
    p.ranges.min = info.min;
    p.ranges.max = info.max;
    p.ranges.def = info.def;
    if (index == core::kEngine) enumerate(p, {{0, "GANSynth"}, {1, "DDSP"}});
    if (index == core::kTimbreMode)
      enumerate(p, {{core::kModeGmPrograms, "GM programs"}, {core::kModePreset, "Model preset"}, {core::kModeSeed, "Seed"},
                    {core::kModeMorph, "Morph"}, {core::kModePad, "Pad"}});
    if (index == core::kProgram || index == core::kMorphA || index == core::kMorphB || (index >= core::kCornerA && index <= core::kCornerD)) {
      std::vector<std::pair<int, const char*>> names;
      for (int i = 0; i < 128; ++i) names.push_back({i, timbrel::gm::kProgramNames[size_t(i)]});
      enumerate(p, names);
    }
    if (index == core::kDrumKit) {
      enumerate(p, {timbrel::gm::kDrumKits.begin(), timbrel::gm::kDrumKits.end()});
      p.enumValues.restrictedMode = false;  // other programs pick the nearest kit
    }
  }

  // Host presets: the 128 General MIDI programs.
  void initProgramName(uint32_t index, String& name) override { name = timbrel::gm::kProgramNames[index % 128]; }
  void loadProgram(uint32_t index) override {
    if (!synth_) return;
    synth_->set_parameter(core::kTimbreMode, core::kModeGmPrograms);
    synth_->set_parameter(core::kProgram, float(index));
  }

  void initState(uint32_t index, State& state) override {
    state.key = index == 0 ? core::kStateModel : core::kStateDdspModel;
    state.defaultValue = "";
    state.label = index == 0 ? "GANSynth model" : "DDSP model";
    state.description = "A bundled model's name or a model folder; empty: the bundled one";
  }

  float getParameterValue(uint32_t index) const override { return synth_ ? synth_->parameter(index) : 0.0f; }
  void setParameterValue(uint32_t index, float value) override {
    if (synth_) synth_->set_parameter(index, value);
  }
  String getState(const char* key) const override { return String(synth_ ? synth_->state(key).c_str() : ""); }
  void setState(const char* key, const char* value) override {
    if (!synth_) return;
    synth_->set_state(key, value);
    if (!synth_->wait_until_settled()) d_stderr2("Timbrel: %s", synth_->last_error().c_str());
    else if (!synth_->last_error().empty()) d_stderr2("Timbrel: %s", synth_->last_error().c_str());
  }

  void sampleRateChanged(double rate) override {
    if (!isDummyInstance()) start(rate);
  }

  void run(const float**, float** outputs, uint32_t frames, const MidiEvent* events, uint32_t count) override {
    if (!synth_) {
      std::fill_n(outputs[0], frames, 0.0f), std::fill_n(outputs[1], frames, 0.0f);
      return;
    }
    synth_->begin_block(outputs[0], outputs[1], frames);
    for (uint32_t i = 0; i < count; ++i) {
      synth_->render_until(events[i].frame);
      synth_->midi(events[i].size > MidiEvent::kDataSize ? events[i].dataExt : events[i].data, events[i].size);
    }
    synth_->end_block();
  }

 private:
  static void enumerate(Parameter& p, const std::vector<std::pair<int, const char*>>& labels) {
    p.enumValues.count = uint8_t(labels.size());
    p.enumValues.restrictedMode = true;
    p.enumValues.values = new ParameterEnumerationValue[labels.size()];  // DPF frees it
    for (size_t i = 0; i < labels.size(); ++i) p.enumValues.values[i] = ParameterEnumerationValue(float(labels[i].first), labels[i].second);
  }

  // A new core at `rate`, carrying the parameters and state of the old one.
  void start(double rate) {
    std::unique_ptr<core::Core> old = std::move(synth_);
    try {
      synth_ = std::make_unique<core::Core>(rate, old ? old->state(core::kStateModel) : "", old ? old->state(core::kStateDdspModel) : "");
      for (uint32_t i = 0; old && i < core::kParameterCount; ++i) synth_->set_parameter(i, old->parameter(i));
    } catch (const std::exception& e) {
      d_stderr2("Timbrel: cannot start: %s", e.what());
    }
  }

  std::unique_ptr<core::Core> synth_;
  DISTRHO_DECLARE_NON_COPYABLE_WITH_LEAK_DETECTOR(TimbrelPlugin)
};

Plugin* createPlugin() { return new TimbrelPlugin(); }

END_NAMESPACE_DISTRHO
