// The VST3 build loads as a VST3 host loads it (on the C API of DPF's travesty headers): the
// module's entry, the factory's classes (the instrument component and its controller), and an
// instance of the component created, initialised (the synth built), asked for its buses,
// activated, and released. Playing is checked in
// the LV2 and CLAP hosts, which run the same DPF plug-in code.
#include <dlfcn.h>
#include <gtest/gtest.h>

#include <string>

#include "travesty/component.h"
#include "travesty/factory.h"

namespace {

const std::string kVst3 = std::string(TIMBREL_PLUGIN_BIN) + "/timbrel-synth.vst3/Contents/x86_64-linux/timbrel-synth.so";

}  // namespace

TEST(PluginVst3, LoadsItsFactoryAndAnInstrumentComponent) {
  void* module = dlopen(kVst3.c_str(), RTLD_NOW | RTLD_LOCAL);
  ASSERT_NE(module, nullptr) << dlerror();
  auto entry = reinterpret_cast<bool (*)(void*)>(dlsym(module, "ModuleEntry"));
  auto exit = reinterpret_cast<bool (*)()>(dlsym(module, "ModuleExit"));
  auto get_factory = reinterpret_cast<void* (*)()>(dlsym(module, "GetPluginFactory"));
  ASSERT_TRUE(entry && exit && get_factory);
  ASSERT_TRUE(entry(module));
  auto** factory = static_cast<v3_plugin_factory_cpp**>(get_factory());
  ASSERT_NE(factory, nullptr);
  const int32_t classes = (*factory)->v1.num_classes(factory);
  ASSERT_GE(classes, 1);
  bool found = false;
  for (int32_t i = 0; i < classes; ++i) {
    v3_class_info info{};
    ASSERT_EQ((*factory)->v1.get_class_info(factory, i, &info), V3_OK);
    if (std::string(info.category) != "Audio Module Class") continue;
    found = true;
    EXPECT_STREQ(info.name, "Timbrel");
    v3_component_cpp** component = nullptr;
    ASSERT_EQ((*factory)->v1.create_instance(factory, info.class_id, v3_component_iid, reinterpret_cast<void**>(&component)), V3_OK);
    ASSERT_NE(component, nullptr);
    ASSERT_EQ((*component)->base.initialize(component, nullptr), V3_OK);  // makes the synth (a model load)
    EXPECT_EQ((*component)->comp.get_bus_count(component, V3_AUDIO, V3_OUTPUT), 1);
    EXPECT_EQ((*component)->comp.get_bus_count(component, V3_AUDIO, V3_INPUT), 0);
    EXPECT_EQ((*component)->comp.get_bus_count(component, V3_EVENT, V3_INPUT), 1);
    EXPECT_EQ((*component)->comp.set_active(component, true), V3_OK);
    EXPECT_EQ((*component)->comp.set_active(component, false), V3_OK);
    EXPECT_EQ((*component)->base.terminate(component), V3_OK);
    (*component)->unref(component);
  }
  EXPECT_TRUE(found);
  (*factory)->unref(factory);
  EXPECT_TRUE(exit());
  dlclose(module);
}
