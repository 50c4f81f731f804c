#pragma once
// Live MIDI input through RtMidi: the ALSA sequencer where the machine has one, else JACK MIDI.
// Messages arrive on RtMidi's thread and go to the handler unchanged.
#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace timbrel {

struct MidiInputOptions {
  std::string port;         // index or part of a port name to connect to; "" = open a virtual port
  std::string api = "auto";  // auto (ALSA if /dev/snd/seq exists, else JACK) | alsa | jack
  std::string client_name = "timbrel";
};

class MidiInput {
 public:
  using Handler = std::function<void(const unsigned char* message, size_t size)>;
  MidiInput(const MidiInputOptions& options, Handler handler);
  ~MidiInput();
  MidiInput(const MidiInput&) = delete;
  MidiInput& operator=(const MidiInput&) = delete;
  // "virtual port timbrel:in (JACK)" or the connected port's name and API.
  const std::string& description() const { return description_; }

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
  std::string description_;
};

// Names of the MIDI input ports the API sees (for `timbrel info` and error messages).
std::vector<std::string> list_midi_inputs(const std::string& api = "auto", std::string* error = nullptr);

}  // namespace timbrel
