#include "timbrel/timbre_spec.h"

#include "timbrel/error.h"

namespace timbrel {
namespace {

// The digits after `prefix`, as a number no larger than `max`; -1 when they are not.
long long number_after(const std::string& text, size_t prefix, long long max) {
  const std::string digits = text.substr(prefix);
  if (digits.empty() || digits.size() > 10 || digits.find_first_not_of("0123456789") != std::string::npos) return -1;
  const long long n = std::stoll(digits);
  return n <= max ? n : -1;
}

bool starts_with(const std::string& text, const char* prefix) { return text.rfind(prefix, 0) == 0; }

}  // namespace

TimbreSpec parse_timbre_spec(const std::string& text, const std::string& parameter) {
  const std::string subject = parameter.empty() ? text : parameter + " " + text;
  TimbreSpec s;
  if (starts_with(text, "seed:")) {
    const long long n = number_after(text, 5, 0xffffffffLL);
    if (n < 0) throw Error(subject, "expected seed:N with N in 0..4294967295");
    s.kind = TimbreSpec::Kind::Seed;
    s.seed = uint32_t(n);
  } else if (starts_with(text, "program:")) {
    const long long n = number_after(text, 8, 127);
    if (n < 0) throw Error(subject, "expected program:N with N in 0..127 (General MIDI, as in MIDI files)");
    s.kind = TimbreSpec::Kind::Program;
    s.program = int(n);
  } else if (starts_with(text, "preset:")) {
    if (text.size() == 7) throw Error(subject, "expected preset:NAME with a name");
    s.kind = TimbreSpec::Kind::Preset;
    s.name = text.substr(7);
  } else if (starts_with(text, "file:") || (text.size() > 4 && text.compare(text.size() - 4, 4, ".npy") == 0)) {
    s.kind = TimbreSpec::Kind::File;
    s.name = starts_with(text, "file:") ? text.substr(5) : text;
    if (s.name.empty()) throw Error(subject, "expected file:PATH with a path");
  } else {
    throw Error(subject, "unknown timbre: expected seed:N, preset:NAME, program:N or a .npy file (file:PATH)");
  }
  return s;
}

}  // namespace timbrel
