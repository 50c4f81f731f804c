#pragma once
// Shared helpers for the test suite.
#include <functional>
#include <string>

namespace timbrel::test {

// ../shared (reference data), or "" when absent. TIMBREL_SHARED overrides the location.
std::string shared_dir();
// A fresh empty folder under the system temp folder, removed at process exit.
std::string temp_dir();
// Runs a shell command; returns its exit status and puts stdout (and stderr if asked) in `out`.
int run_command(const std::string& command, std::string* out, bool merge_stderr = false);
std::string read_text(const std::string& path);
bool file_exists(const std::string& path);
// The folder `train(folder)` filled, shared by every process of this test binary: ctest runs each
// test in its own process, and a model the tests of a file share would otherwise be trained once per
// test. The first process to ask trains under a file lock while the others wait; the folder lives
// beside the binary, keyed by its build, so a rebuilt binary trains afresh. `train` may read only
// what is built into the binary (generated corpora), or a changed input would go unnoticed.
std::string trained_once(const std::string& name, const std::function<void(const std::string& folder)>& train);

}  // namespace timbrel::test
