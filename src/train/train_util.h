#pragma once
// Small helpers shared by the trainers (no torch).
#include <string>

#include <nlohmann/json.hpp>

namespace timbrel::train {

std::string cpu_name();                         // /proc/cpuinfo "model name"
std::string format_fixed(double v, int digits);  // fixed-point text
// The data licence to write: `given`, else (a resumed run given none) the one `card` names.
std::string data_licence_of(const nlohmann::json& card, const std::string& given);
// A 30-character progress bar "[####      ] " for fraction in [0, 1].
std::string progress_bar(double fraction);
// Torch and OpenBLAS thread counts (OpenBLAS keeps its own pool, which torch's setting does not reach).
void set_training_threads(int threads);

}  // namespace timbrel::train
