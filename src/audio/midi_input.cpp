#include "audio/midi_input.h"

#include <RtMidi.h>
#include <unistd.h>

#include <cstdlib>

#include "audio/quiet_stderr.h"
#include "timbrel/error.h"

namespace timbrel {
namespace {

RtMidi::Api choose_api(const std::string& api) {  // as MidiBackend (timbrel/play.h) spells it
  if (api == "alsa") return RtMidi::LINUX_ALSA;
  if (api == "jack") return RtMidi::UNIX_JACK;
  if (api != "auto") throw Error("midi_api " + api, "must be auto, alsa or jack");
  // Containers and some desktops have no ALSA sequencer device.
  return ::access("/dev/snd/seq", R_OK | W_OK) == 0 ? RtMidi::LINUX_ALSA : RtMidi::UNIX_JACK;
}

void on_message(double, std::vector<unsigned char>* message, void* user) {
  if (message && !message->empty()) (*static_cast<MidiInput::Handler*>(user))(message->data(), message->size());
}

}  // namespace

struct MidiInput::Impl {
  Handler handler;
  std::unique_ptr<RtMidiIn> in;
};

MidiInput::MidiInput(const MidiInputOptions& o, Handler handler) : impl_(std::make_unique<Impl>()) {
  impl_->handler = std::move(handler);
  const RtMidi::Api api = choose_api(o.api);
  const std::string api_name = RtMidi::getApiDisplayName(api);
  try {
    impl_->in = std::make_unique<RtMidiIn>(api, o.client_name);
    if (o.port.empty()) {
      impl_->in->openVirtualPort("in");
      description_ = "virtual port " + o.client_name + ":in (" + api_name + "; connect a keyboard or sequencer to it)";
    } else {
      const unsigned count = impl_->in->getPortCount();
      char* end = nullptr;
      const long index = std::strtol(o.port.c_str(), &end, 10);
      long found = -1;
      if (end && *end == '\0' && index >= 0 && index < long(count)) found = index;
      for (unsigned i = 0; found < 0 && i < count; ++i)
        if (impl_->in->getPortName(i).find(o.port) != std::string::npos) found = long(i);
      if (found < 0) {
        std::string names;
        for (unsigned i = 0; i < count; ++i) names += (names.empty() ? "" : ", ") + impl_->in->getPortName(i);
        throw Error("midi_port " + o.port, "no " + api_name + " MIDI input port matches (there are: " + (names.empty() ? "none" : names) + ")");
      }
      impl_->in->openPort(unsigned(found), "in");
      description_ = impl_->in->getPortName(unsigned(found)) + " (" + api_name + ")";
    }
    impl_->in->ignoreTypes(true, true, true);  // no sysex, clock or active sensing
    impl_->in->setCallback(on_message, &impl_->handler);
  } catch (const RtMidiError& e) {
    throw Error("MIDI input (" + api_name + ")", e.getMessage());
  }
}

MidiInput::~MidiInput() {
  if (impl_ && impl_->in) {
    try {
      impl_->in->cancelCallback();
      impl_->in->closePort();
    } catch (...) {
    }
  }
}

std::vector<std::string> list_midi_inputs(const std::string& api, std::string* error) {
  std::vector<std::string> out;
  QuietStderr quiet;  // JACK and RtMidi print connection attempts there
  try {
    RtMidiIn in(choose_api(api), "timbrel-list");
    for (unsigned i = 0; i < in.getPortCount(); ++i) out.push_back(in.getPortName(i));
  } catch (const RtMidiError& e) {
    if (error) *error = e.getMessage();
  } catch (const Error& e) {
    if (error) *error = e.what();
  }
  return out;
}

}  // namespace timbrel
