// libtimbrel.so loads libtorch (through libtimbrel_torch.so) only when a network first runs:
// starting the command, and rendering a tune whose notes are all in the note cache, map none of
// it (most of a second of start-up, the ~300 libraries libtorch pulls in).
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <string>

#include "test_util.h"

using namespace timbrel;
using ::testing::HasSubstr;
using ::testing::Not;

namespace {

// The command's output with the dynamic loader's list of the files it loads (LD_DEBUG=files).
std::string loaded_by(const std::string& args, int* status) {
  std::string out;
  *status = test::run_command("LD_DEBUG=files " + std::string(TIMBREL_BINARY) + args, &out, true);
  return out;
}

}  // namespace

TEST(LazyTorch, TheCommandStartsWithoutLibtorch) {
  int status = 0;
  const std::string out = loaded_by(" --version", &status);
  ASSERT_EQ(status, 0) << out;
  EXPECT_THAT(out, HasSubstr("libtimbrel.so"));
  EXPECT_THAT(out, Not(HasSubstr("libtorch")));
}

TEST(LazyTorch, ARenderFromTheNoteCacheLoadsNoLibtorch) {
  const std::string dir = test::temp_dir();
  // --device cpu: on a GPU with a CUDA libtorch, choosing the device asks libtorch (docs/library-and-python.md).
  const std::string args = " render " + std::string(TIMBREL_SOURCE_DIR) + "/samples/twinkle.mid --device cpu --force --cache-dir " + dir +
                           "/notes -o ";
  int status = 0;
  std::string first = loaded_by(args + dir + "/first.wav", &status);
  ASSERT_EQ(status, 0) << first;
  EXPECT_THAT(first, HasSubstr("libtimbrel_torch.so"));  // notes to generate: the module, then libtorch
  EXPECT_THAT(first, HasSubstr("libtorch_cpu.so"));
  std::string again = loaded_by(args + dir + "/again.wav", &status);
  ASSERT_EQ(status, 0) << again;
  EXPECT_THAT(again, HasSubstr("0 generated"));
  EXPECT_THAT(again, Not(HasSubstr("libtimbrel_torch")));
  EXPECT_THAT(again, Not(HasSubstr("libtorch")));
  EXPECT_EQ(test::read_text(dir + "/again.wav"), test::read_text(dir + "/first.wav"));
}

// The library beside no module, or beside something else: an error naming the file when a network
// is first needed (LD_LIBRARY_PATH puts a copy of the library first).
TEST(LazyTorch, AMissingOrForeignModuleIsAClearError) {
  namespace fs = std::filesystem;
  const std::string dir = test::temp_dir();
  const fs::path library = fs::canonical(fs::path(TIMBREL_BINARY).parent_path() / "lib" / "libtimbrel.so.0");
  fs::copy_file(library, fs::path(dir) / "libtimbrel.so.0");
  const std::string note = "LD_LIBRARY_PATH=" + dir + " " + std::string(TIMBREL_BINARY) + " note --pitch 60 -o " + dir + "/n.wav";
  std::string out;
  EXPECT_NE(test::run_command(note, &out, true), 0);
  EXPECT_THAT(out, HasSubstr(dir + "/libtimbrel_torch.so: cannot load the torch module"));
  EXPECT_FALSE(fs::exists(dir + "/n.wav"));
  fs::copy_file(library, fs::path(dir) / "libtimbrel_torch.so");  // a shared library, not the module
  EXPECT_NE(test::run_command(note, &out, true), 0);
  EXPECT_THAT(out, HasSubstr("libtimbrel_torch.so: is not a Timbrel torch module"));
  // What needs no network still works there.
  EXPECT_EQ(test::run_command("LD_LIBRARY_PATH=" + dir + " " + std::string(TIMBREL_BINARY) + " --version", &out, true), 0) << out;
}
