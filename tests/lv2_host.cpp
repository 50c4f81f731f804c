#include "lv2_host.h"

#include <lilv/lilv.h>
#include <lv2/atom/atom.h>
#include <lv2/atom/util.h>
#include <lv2/buf-size/buf-size.h>
#include <lv2/core/lv2.h>
#include <lv2/midi/midi.h>
#include <lv2/options/options.h>
#include <lv2/parameters/parameters.h>
#include <lv2/state/state.h>
#include <lv2/urid/urid.h>
#include <lv2/worker/worker.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <stdexcept>

namespace timbrel::test {

struct Lv2Host::Impl {
  LilvWorld* world = nullptr;
  const LilvPlugin* plugin = nullptr;
  LilvInstance* instance = nullptr;
  std::map<std::string, LV2_URID> ids;
  std::vector<std::string> names{""};
  LV2_URID_Map map{this, &Impl::map_uri};
  LV2_URID_Unmap unmap{this, &Impl::unmap_uri};
  LV2_Worker_Schedule schedule{this, &Impl::schedule_work};
  const LV2_Worker_Interface* worker = nullptr;
  int32_t max_block = 0, nominal = 0;
  float rate = 0;
  std::vector<LV2_Options_Option> options;
  LV2_Feature map_feature{LV2_URID__map, &map}, unmap_feature{LV2_URID__unmap, &unmap};
  LV2_Feature options_feature{LV2_OPTIONS__options, nullptr}, schedule_feature{LV2_WORKER__schedule, &schedule};
  const LV2_Feature* features[5] = {&map_feature, &unmap_feature, &options_feature, &schedule_feature, nullptr};
  std::map<std::string, uint32_t> control_index;
  std::vector<float> controls;
  std::vector<uint64_t> events_in = std::vector<uint64_t>(16384), events_out = std::vector<uint64_t>(16384);
  uint32_t out_left = 0, out_right = 0, in_events = 0, out_events = 0;

  static LV2_URID map_uri(LV2_URID_Map_Handle h, const char* uri) {
    auto* self = static_cast<Impl*>(h);
    auto it = self->ids.find(uri);
    if (it != self->ids.end()) return it->second;
    self->names.push_back(uri);
    return self->ids[uri] = LV2_URID(self->names.size() - 1);
  }
  static const char* unmap_uri(LV2_URID_Unmap_Handle h, LV2_URID id) {
    auto* self = static_cast<Impl*>(h);
    return id < self->names.size() ? self->names[id].c_str() : nullptr;
  }
  // Work is done at once on the calling thread (a test host has no real-time deadline).
  static LV2_Worker_Status respond(LV2_Worker_Respond_Handle h, uint32_t size, const void* data) {
    auto* self = static_cast<Impl*>(h);
    return self->worker->work_response(lilv_instance_get_handle(self->instance), size, data);
  }
  static LV2_Worker_Status schedule_work(LV2_Worker_Schedule_Handle h, uint32_t size, const void* data) {
    auto* self = static_cast<Impl*>(h);
    if (!self->worker) return LV2_WORKER_ERR_UNKNOWN;
    return self->worker->work(lilv_instance_get_handle(self->instance), &Impl::respond, self, size, data);
  }
  static void set_port(const char* symbol, void* user, const void* value, uint32_t, uint32_t) {
    auto* self = static_cast<Impl*>(user);
    auto it = self->control_index.find(symbol);
    if (it != self->control_index.end()) self->controls[it->second] = *static_cast<const float*>(value);
  }
  static const void* get_port(const char* symbol, void* user, uint32_t* size, uint32_t* type) {
    auto* self = static_cast<Impl*>(user);
    auto it = self->control_index.find(symbol);
    if (it == self->control_index.end()) return nullptr;
    *size = sizeof(float);
    *type = map_uri(self, LV2_ATOM__Float);
    return &self->controls[it->second];
  }

  void make_options() {
    auto option = [&](const char* key, const char* type, uint32_t size, const void* value) {
      options.push_back({LV2_OPTIONS_INSTANCE, 0, map_uri(this, key), size, map_uri(this, type), value});
    };
    option(LV2_PARAMETERS__sampleRate, LV2_ATOM__Float, sizeof(float), &rate);
    option(LV2_BUF_SIZE__maxBlockLength, LV2_ATOM__Int, sizeof(int32_t), &max_block);
    option(LV2_BUF_SIZE__nominalBlockLength, LV2_ATOM__Int, sizeof(int32_t), &nominal);
    options.push_back({LV2_OPTIONS_INSTANCE, 0, 0, 0, 0, nullptr});
    options_feature.data = options.data();
  }
  void connect_ports();
  void write_events(const std::vector<MidiAt>& events, size_t& next, uint64_t start, uint32_t n);
};

void Lv2Host::Impl::connect_ports() {
  const uint32_t ports = lilv_plugin_get_num_ports(plugin);
  controls.assign(ports, 0.0f);
  LilvNode* audio = lilv_new_uri(world, LV2_CORE__AudioPort);
  LilvNode* control = lilv_new_uri(world, LV2_CORE__ControlPort);
  LilvNode* atom = lilv_new_uri(world, LV2_ATOM__AtomPort);
  LilvNode* input = lilv_new_uri(world, LV2_CORE__InputPort);
  std::vector<float> defaults(ports, 0.0f);
  lilv_plugin_get_port_ranges_float(plugin, nullptr, nullptr, defaults.data());
  std::vector<uint32_t> audio_outs;
  for (uint32_t i = 0; i < ports; ++i) {
    const LilvPort* port = lilv_plugin_get_port_by_index(plugin, i);
    const bool is_input = lilv_port_is_a(plugin, port, input);
    if (lilv_port_is_a(plugin, port, audio)) audio_outs.push_back(i);
    else if (lilv_port_is_a(plugin, port, atom)) (is_input ? in_events : out_events) = i;
    else if (lilv_port_is_a(plugin, port, control)) {
      controls[i] = std::isnan(defaults[i]) ? 0.0f : defaults[i];
      control_index[lilv_node_as_string(lilv_port_get_symbol(plugin, port))] = i;
      lilv_instance_connect_port(instance, i, &controls[i]);
    }
  }
  for (LilvNode* n : {audio, control, atom, input}) lilv_node_free(n);
  if (audio_outs.size() != 2) throw std::runtime_error("expected 2 audio outputs");
  out_left = audio_outs[0], out_right = audio_outs[1];
  lilv_instance_connect_port(instance, in_events, events_in.data());
  lilv_instance_connect_port(instance, out_events, events_out.data());
}

void Lv2Host::Impl::write_events(const std::vector<MidiAt>& events, size_t& next, uint64_t start, uint32_t n) {
  auto* seq = reinterpret_cast<LV2_Atom_Sequence*>(events_in.data());
  const uint32_t capacity = uint32_t(events_in.size() * sizeof(uint64_t));
  seq->atom.type = map_uri(this, LV2_ATOM__Sequence);
  seq->atom.size = sizeof(LV2_Atom_Sequence_Body);
  seq->body.unit = 0, seq->body.pad = 0;
  const LV2_URID midi = map_uri(this, LV2_MIDI__MidiEvent);
  for (; next < events.size() && events[next].frame < start + n; ++next) {
    uint8_t buffer[sizeof(LV2_Atom_Event) + 16] = {};
    auto* ev = reinterpret_cast<LV2_Atom_Event*>(buffer);
    ev->time.frames = int64_t(events[next].frame - start);
    ev->body.type = midi;
    ev->body.size = uint32_t(std::min<size_t>(events[next].bytes.size(), 16));
    std::memcpy(buffer + sizeof(LV2_Atom_Event), events[next].bytes.data(), ev->body.size);
    if (!lv2_atom_sequence_append_event(seq, capacity, ev)) throw std::runtime_error("event buffer full");
  }
  auto* out = reinterpret_cast<LV2_Atom_Sequence*>(events_out.data());
  out->atom.type = 0;
  out->atom.size = uint32_t(events_out.size() * sizeof(uint64_t) - sizeof(LV2_Atom));  // capacity, for the plugin
}

Lv2Host::Lv2Host(const std::string& bundle_dir, const std::string& uri, double sample_rate, uint32_t max_block) : impl_(new Impl) {
  Impl& m = *impl_;
  m.rate = float(sample_rate), m.max_block = int32_t(max_block), m.nominal = int32_t(std::min<uint32_t>(max_block, 512));
  m.world = lilv_world_new();
  std::string dir = bundle_dir.back() == '/' ? bundle_dir : bundle_dir + "/";
  LilvNode* bundle = lilv_new_file_uri(m.world, nullptr, dir.c_str());
  lilv_world_load_bundle(m.world, bundle);
  lilv_node_free(bundle);
  LilvNode* plugin_uri = lilv_new_uri(m.world, uri.c_str());
  m.plugin = lilv_plugins_get_by_uri(lilv_world_get_all_plugins(m.world), plugin_uri);
  lilv_node_free(plugin_uri);
  if (!m.plugin) throw std::runtime_error("no plugin " + uri + " in " + bundle_dir);
  m.make_options();
  m.instance = lilv_plugin_instantiate(m.plugin, sample_rate, m.features);
  if (!m.instance) throw std::runtime_error("cannot instantiate " + uri);
  m.worker = static_cast<const LV2_Worker_Interface*>(lilv_instance_get_extension_data(m.instance, LV2_WORKER__interface));
  m.connect_ports();
  lilv_instance_activate(m.instance);
}

Lv2Host::~Lv2Host() {
  lilv_instance_deactivate(impl_->instance);
  lilv_instance_free(impl_->instance);
  lilv_world_free(impl_->world);
}

void Lv2Host::set_control(const std::string& symbol, float value) { impl_->controls.at(impl_->control_index.at(symbol)) = value; }
float Lv2Host::control(const std::string& symbol) const { return impl_->controls.at(impl_->control_index.at(symbol)); }

std::vector<float> Lv2Host::run(const std::vector<MidiAt>& events, uint64_t frames, uint32_t block) {
  Impl& m = *impl_;
  std::vector<float> left(frames), right(frames);
  size_t next = 0;
  for (uint64_t start = 0; start < frames; start += block) {
    const uint32_t n = uint32_t(std::min<uint64_t>(block, frames - start));
    m.write_events(events, next, start, n);
    lilv_instance_connect_port(m.instance, m.out_left, left.data() + start);
    lilv_instance_connect_port(m.instance, m.out_right, right.data() + start);
    lilv_instance_run(m.instance, n);
    if (m.worker && m.worker->end_run) m.worker->end_run(lilv_instance_get_handle(m.instance));
  }
  left.insert(left.end(), right.begin(), right.end());
  return left;
}

std::string Lv2Host::save_state() {
  Impl& m = *impl_;
  LilvState* state = lilv_state_new_from_instance(m.plugin, m.instance, &m.map, nullptr, nullptr, nullptr, nullptr, &Impl::get_port, &m,
                                                  LV2_STATE_IS_POD | LV2_STATE_IS_PORTABLE, m.features);
  char* text = lilv_state_to_string(m.world, &m.map, &m.unmap, state, "urn:timbrel:test-state", nullptr);
  std::string out = text ? text : "";
  lilv_free(text);
  lilv_state_free(state);
  return out;
}

void Lv2Host::restore_state(const std::string& turtle) {
  Impl& m = *impl_;
  LilvState* state = lilv_state_new_from_string(m.world, &m.map, turtle.c_str());
  if (!state) throw std::runtime_error("unreadable state");
  lilv_state_restore(state, m.instance, &Impl::set_port, &m, 0, m.features);
  lilv_state_free(state);
}

}  // namespace timbrel::test
