// timbrel info: version, build options, libtorch, compute and audio devices.
#include <iostream>
#include <nlohmann/json.hpp>

#include "audio/audio_devices.h"
#include "audio/midi_input.h"
#include "cli/command.h"
#include "nn/torch_info.h"
#include "timbrel/build_config.h"

#if TIMBREL_HAVE_CUDA
#include "cuda_info.h"
#endif

namespace timbrel::cli {
namespace {

nlohmann::json collect() {
  using nlohmann::json;
  json cuda = {{"compiled", bool(TIMBREL_HAVE_CUDA)}, {"devices", json::array()}};
#if TIMBREL_HAVE_CUDA
  std::string why;
  for (const auto& d : kernels::cuda_devices(&why))
    cuda["devices"].push_back({{"index", d.index}, {"name", d.name},
                               {"compute_capability", std::to_string(d.compute_major) + "." + std::to_string(d.compute_minor)},
                               {"memory_gib", d.memory_gib}});
  int rt = kernels::cuda_runtime_version();
  cuda["runtime"] = std::to_string(rt / 1000) + "." + std::to_string(rt % 1000 / 10);
  if (!why.empty()) cuda["note"] = why;
#endif
  TorchInfo t = torch_info();
  json audio = {{"portaudio", bool(TIMBREL_PORTAUDIO)}, {"devices", json::array()}};
  std::string audio_error;
  for (const auto& d : list_audio_output_devices(&audio_error))
    audio["devices"].push_back({{"index", d.index}, {"name", d.name}, {"host_api", d.host_api},
                                {"channels", d.max_output_channels}, {"default_sample_rate", d.default_sample_rate},
                                {"default", d.is_default}});
  if (!audio_error.empty()) audio["note"] = audio_error;
  if (TIMBREL_PORTAUDIO) audio["version"] = portaudio_version();
  std::string midi_error;
  audio["midi_inputs"] = list_midi_inputs("auto", &midi_error);
  if (!midi_error.empty()) audio["midi_note"] = midi_error;
  return {{"version", TIMBREL_VERSION},
          {"build", {{"type", TIMBREL_BUILD_TYPE}, {"sanitize", TIMBREL_SANITIZE}, {"cuda", cuda},
                     {"portaudio", bool(TIMBREL_PORTAUDIO)}}},
          {"libtorch", {{"version", t.version}, {"cuda", t.cuda_available}, {"cuda_devices", t.cuda_devices},
                        {"threads", t.threads}}},
          {"audio", audio}};
}

void print_text(const nlohmann::json& j) {
  const auto& cuda = j["build"]["cuda"];
  std::cout << "timbrel " << j["version"].get<std::string>() << " (" << j["build"]["type"].get<std::string>() << " build";
  if (!j["build"]["sanitize"].get<std::string>().empty()) std::cout << ", sanitize=" << j["build"]["sanitize"].get<std::string>();
  std::cout << ")\n";
  std::cout << "libtorch " << j["libtorch"]["version"].get<std::string>() << ", "
            << (j["libtorch"]["cuda"].get<bool>() ? "CUDA" : "CPU only") << ", "
            << j["libtorch"]["threads"].get<int>() << (j["libtorch"]["threads"].get<int>() == 1 ? " thread\n" : " threads\n");
  std::cout << "CUDA kernels: " << (cuda["compiled"].get<bool>() ? "compiled" : "not compiled");
  if (cuda.contains("runtime")) std::cout << " (runtime " << cuda["runtime"].get<std::string>() << ")";
  std::cout << "\n";
  for (const auto& d : cuda["devices"])
    std::cout << "  GPU " << d["index"].get<int>() << ": " << d["name"].get<std::string>() << ", compute "
              << d["compute_capability"].get<std::string>() << ", " << d["memory_gib"].get<double>() << " GiB\n";
  if (cuda.contains("note")) std::cout << "  (" << cuda["note"].get<std::string>() << ")\n";
  const auto& audio = j["audio"];
  std::cout << "Audio output: " << (audio["portaudio"].get<bool>() ? audio.value("version", "PortAudio") : "not built in") << "\n";
  for (const auto& d : audio["devices"])
    std::cout << "  " << (d["default"].get<bool>() ? "* " : "  ") << d["index"].get<int>() << ": "
              << d["name"].get<std::string>() << " (" << d["host_api"].get<std::string>() << ", "
              << d["channels"].get<int>() << " ch)\n";
  if (audio.contains("note")) std::cout << "  (" << audio["note"].get<std::string>() << ")\n";
  std::cout << "MIDI inputs (for play --live --midi-in):";
  for (const auto& name : audio["midi_inputs"]) std::cout << "\n  " << name.get<std::string>();
  if (audio["midi_inputs"].empty()) std::cout << " none" << (audio.contains("midi_note") ? " (" + audio["midi_note"].get<std::string>() + ")" : "");
  std::cout << "\n";
}

}  // namespace

void add_info(CLI::App& app, Status&) {
  auto* cmd = app.add_subcommand("info", "Version, build options, compute and audio devices");
  auto json_out = std::make_shared<bool>(false);
  cmd->add_flag("--json", *json_out, "Print one JSON object");
  cmd->footer("Example:\n  timbrel info --json");
  cmd->callback([json_out] {
    nlohmann::json j = collect();
    if (*json_out)
      std::cout << j.dump() << std::endl;
    else
      print_text(j);
  });
}

}  // namespace timbrel::cli
