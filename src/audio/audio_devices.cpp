#include "audio/audio_devices.h"

#include "timbrel/build_config.h"

#if TIMBREL_PORTAUDIO
#include <portaudio.h>

#include "audio/quiet_stderr.h"
#endif

namespace timbrel {

#if TIMBREL_PORTAUDIO

std::vector<AudioDevice> list_audio_output_devices(std::string* error) {
  std::vector<AudioDevice> out;
  PaError err;
  {
    QuietStderr quiet;
    err = Pa_Initialize();
  }
  if (err != paNoError) {
    if (error) *error = Pa_GetErrorText(err);
    return out;
  }
  int count = Pa_GetDeviceCount();
  PaDeviceIndex def = Pa_GetDefaultOutputDevice();
  for (int i = 0; i < count; ++i) {
    const PaDeviceInfo* d = Pa_GetDeviceInfo(i);
    if (!d || d->maxOutputChannels < 1) continue;
    const PaHostApiInfo* api = Pa_GetHostApiInfo(d->hostApi);
    out.push_back({i, d->name ? d->name : "", api && api->name ? api->name : "", d->maxOutputChannels,
                   d->defaultSampleRate, i == def});
  }
  Pa_Terminate();
  if (out.empty() && error) *error = "no audio output device";
  return out;
}

std::string portaudio_version() { return Pa_GetVersionText(); }
#else
std::vector<AudioDevice> list_audio_output_devices(std::string* error) {
  if (error) *error = "built without PortAudio (TIMBREL_PORTAUDIO=OFF)";
  return {};
}
std::string portaudio_version() { return ""; }
#endif

}  // namespace timbrel
