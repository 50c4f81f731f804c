#include "train/train_util.h"

#include <algorithm>
#include <fstream>
#include <sstream>

namespace timbrel::train {

std::string cpu_name() {
  std::ifstream in("/proc/cpuinfo");
  std::string line;
  while (std::getline(in, line))
    if (line.rfind("model name", 0) == 0) return line.substr(line.find(':') + 2);
  return "unknown CPU";
}

std::string format_fixed(double v, int digits) {
  std::ostringstream s;
  s.setf(std::ios::fixed);
  s.precision(digits);
  s << v;
  return s.str();
}

std::string progress_bar(double fraction) {
  const int filled = int(std::clamp(fraction, 0.0, 1.0) * 30);
  return "[" + std::string(size_t(filled), '#') + std::string(size_t(30 - filled), ' ') + "] ";
}

std::string data_licence_of(const nlohmann::json& card, const std::string& given) {
  if (!given.empty() || !card.is_object() || !card.contains("data") || !card["data"].is_object()) return given;
  const auto& data = card["data"];
  return data.contains("licence") && data["licence"].is_string() ? data["licence"].get<std::string>() : given;
}

}  // namespace timbrel::train
