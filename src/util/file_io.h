#pragma once
// Small file helpers shared by every reader and writer.
#include <cstdint>
#include <string>
#include <vector>

namespace timbrel {

// Caps for files read whole: a file larger than its kind ever is fails before anything is
// allocated (a 1 GB "MIDI file" or a padded model is refused by its size alone).
constexpr uint64_t kMaxJsonFileBytes = uint64_t(64) << 20;       // model cards, manifests
constexpr uint64_t kMaxWeightFileBytes = uint64_t(8) << 30;      // safetensors, shards, raw variables
constexpr uint64_t kMaxMidiFileBytes = uint64_t(64) << 20;       // no real SMF is near this

// The whole file, refusing files over `max_bytes` by their size before reading.
// Throws Error(path, "cannot open: <reason>") or Error(path, "... larger than ...").
std::vector<uint8_t> read_file_bytes(const std::string& path, uint64_t max_bytes);
// The same as text (JSON files).
std::string read_text_file(const std::string& path, uint64_t max_bytes = kMaxJsonFileBytes);
// Lower-case extension without the dot ("" when the last path component has none).
std::string lower_extension(const std::string& path);

}  // namespace timbrel
