// timbrel info: version, build options, libtorch, compute and audio devices.
#include <iostream>
#include <nlohmann/json.hpp>

#include "command.h"
#include "timbrel/system.h"

namespace timbrel::cli {
namespace {

nlohmann::json collect() {
  using nlohmann::json;
  const SystemInfo s = system_info();
  json cuda = {{"compiled", s.cuda_kernels}, {"devices", json::array()}};
  for (const auto& d : s.cuda_devices)
    cuda["devices"].push_back({{"index", d.index}, {"name", d.name},
                               {"compute_capability", std::to_string(d.compute_major) + "." + std::to_string(d.compute_minor)},
                               {"memory_gib", d.memory_gib}});
  if (!s.cuda_runtime.empty()) cuda["runtime"] = s.cuda_runtime;
  if (!s.cuda_note.empty()) cuda["note"] = s.cuda_note;
  json audio = {{"portaudio", s.portaudio}, {"devices", json::array()}};
  for (const auto& d : s.audio_devices)
    audio["devices"].push_back({{"index", d.index}, {"name", d.name}, {"host_api", d.host_api}, {"channels", d.channels},
                                {"default_sample_rate", d.default_sample_rate}, {"default", d.is_default}});
  if (!s.audio_note.empty()) audio["note"] = s.audio_note;
  if (s.portaudio) audio["version"] = s.portaudio_version;
  audio["midi_inputs"] = s.midi_inputs;
  if (!s.midi_note.empty()) audio["midi_note"] = s.midi_note;
  return {{"version", s.version},
          {"build", {{"type", s.build_type}, {"sanitize", s.sanitize}, {"cuda", cuda}, {"portaudio", s.portaudio}}},
          {"libtorch", {{"version", s.torch_version}, {"cuda", s.torch_cuda}, {"cuda_devices", s.torch_cuda_devices},
                        {"threads", s.torch_threads}}},
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
