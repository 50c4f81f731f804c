#pragma once
// Output-path checks shared by the commands that write files.
#include <string>

namespace timbrel::cli {

// Throws Error when `output` names the same file as `input` (writing would destroy the input).
void refuse_to_overwrite_input(const std::string& input, const std::string& output);

// --force: outputs that exist may be replaced (off by default: an existing file is an error).
void set_force(bool force);
// Throws Error naming `output` when it exists and --force was not given. For a folder output,
// `marker` names the file inside it whose presence means "a previous output is there".
void refuse_existing_output(const std::string& output, const std::string& marker = "");


}  // namespace timbrel::cli
