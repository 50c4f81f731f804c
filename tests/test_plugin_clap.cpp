// The CLAP build of the plug-in in a host written here on CLAP's C API (DPF ships the headers):
// the module's entry and factory, one instance activated at 48 kHz, and the phrase played as raw
// MIDI events block by block: the same samples as the core.
#include <dlfcn.h>
#include <gtest/gtest.h>

#include <cstring>
#include <string>
#include <vector>

#include "clap/entry.h"
#include "clap/plugin-factory.h"
#include "plugin_phrase.h"

namespace {

const std::string kClap = std::string(TIMBREL_PLUGIN_BIN) + "/timbrel-synth.clap";

// One block's input events: the phrase's events that fall in [start, start + n).
struct BlockEvents {
  std::vector<clap_event_midi_t> events;
  static uint32_t size(const clap_input_events_t* list) {
    return uint32_t(static_cast<const BlockEvents*>(list->ctx)->events.size());
  }
  static const clap_event_header_t* get(const clap_input_events_t* list, uint32_t index) {
    return &static_cast<const BlockEvents*>(list->ctx)->events[index].header;
  }
};

bool drop_output(const clap_output_events_t*, const clap_event_header_t*) { return true; }
const void* no_extension(const clap_host_t*, const char*) { return nullptr; }
void nothing(const clap_host_t*) {}

struct ClapPlugin {
  void* module = nullptr;
  const clap_plugin_entry_t* entry = nullptr;
  const clap_plugin_t* plugin = nullptr;
  clap_host_t host{CLAP_VERSION_INIT, nullptr, "timbrel-test", "Timbrel", "", "0.1", &no_extension, &nothing, &nothing, &nothing};

  explicit ClapPlugin(double rate) {
    module = dlopen(kClap.c_str(), RTLD_NOW | RTLD_LOCAL);
    if (!module) throw std::runtime_error(dlerror());
    entry = static_cast<const clap_plugin_entry_t*>(dlsym(module, "clap_entry"));
    if (!entry || !entry->init(kClap.c_str())) throw std::runtime_error("clap_entry missing or init failed");
    auto* factory = static_cast<const clap_plugin_factory_t*>(entry->get_factory(CLAP_PLUGIN_FACTORY_ID));
    if (!factory || factory->get_plugin_count(factory) != 1) throw std::runtime_error("expected one plugin in the factory");
    const clap_plugin_descriptor_t* d = factory->get_plugin_descriptor(factory, 0);
    plugin = factory->create_plugin(factory, &host, d->id);
    if (!plugin || !plugin->init(plugin) || !plugin->activate(plugin, rate, 1, 4096) || !plugin->start_processing(plugin))
      throw std::runtime_error("the plugin would not start");
  }
  ~ClapPlugin() {
    plugin->stop_processing(plugin);
    plugin->deactivate(plugin);
    plugin->destroy(plugin);
    entry->deinit();
    dlclose(module);
  }
  std::vector<float> run(const std::vector<timbrel::test::PluginEvent>& events, uint32_t frames, uint32_t block) {
    std::vector<float> left(frames), right(frames);
    size_t next = 0;
    for (uint32_t start = 0; start < frames; start += block) {
      const uint32_t n = std::min(block, frames - start);
      BlockEvents in;
      for (; next < events.size() && events[next].frame < start + n; ++next) {
        clap_event_midi_t e{};
        e.header = {sizeof(clap_event_midi_t), events[next].frame - start, CLAP_CORE_EVENT_SPACE_ID, CLAP_EVENT_MIDI, 0};
        std::memcpy(e.data, events[next].bytes.data(), std::min<size_t>(3, events[next].bytes.size()));
        in.events.push_back(e);
      }
      const clap_input_events_t in_list{&in, &BlockEvents::size, &BlockEvents::get};
      const clap_output_events_t out_list{nullptr, &drop_output};
      float* channels[2] = {left.data() + start, right.data() + start};
      clap_audio_buffer_t out{channels, nullptr, 2, 0, 0};
      const clap_process_t p{int64_t(start), n, nullptr, nullptr, &out, 0, 1, &in_list, &out_list};
      if (plugin->process(plugin, &p) == CLAP_PROCESS_ERROR) throw std::runtime_error("process failed");
    }
    left.insert(left.end(), right.begin(), right.end());
    return left;
  }
};

}  // namespace

TEST(PluginClap, LoadsAndPlaysLikeTheCore) {
  ClapPlugin clap(48000);
  EXPECT_STREQ(clap.plugin->desc->id, "org.timbrel.synth");
  timbrel::plugin::Core core(48000);
  const auto phrase = timbrel::test::plugin_phrase();
  const std::vector<float> truth = timbrel::test::run_core(core, phrase, 60000, 256);
  ASSERT_GT(timbrel::test::rms(truth, 0, 60000), 1e-3);
  EXPECT_EQ(clap.run(phrase, 60000, 256), truth);
}
