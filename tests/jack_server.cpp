#include "jack_server.h"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <sstream>
#include <cstdlib>
#include <thread>
#include <vector>

#include "test_util.h"

extern char** environ;

namespace timbrel::test {

std::unique_ptr<JackServer> JackServer::start(std::string* why, int rate, int period, bool realtime, bool synchronous) {
  std::string out;
  if (run_command("command -v jackd", &out) != 0) {
    *why = "jackd not installed (Debian jackd2)";
    return nullptr;
  }
  std::unique_ptr<JackServer> s(new JackServer);
  s->name_ = "timbrel-test-" + std::to_string(::getpid());
  // The clients (PortAudio, RtMidi) of this process find the server through the environment.
  ::setenv("JACK_DEFAULT_SERVER", s->name_.c_str(), 1);
  ::setenv("JACK_NO_AUDIO_RESERVATION", "1", 1);
  ::setenv("JACK_NO_START_SERVER", "1", 1);
  const std::string rate_s = std::to_string(rate), period_s = std::to_string(period);
  std::vector<std::string> args = {"jackd", realtime ? "-R" : "-r", "-n", s->name_};
  if (synchronous) args.push_back("-S");
  for (const char* a : {"-d", "dummy", "-r"}) args.emplace_back(a);
  args.insert(args.end(), {rate_s, "-p", period_s});
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0);
  posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0);
  const int err = posix_spawnp(&s->pid_, "jackd", &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  if (err != 0) {
    *why = "could not start jackd";
    return nullptr;
  }
  const auto t0 = std::chrono::steady_clock::now();
  while (std::chrono::steady_clock::now() - t0 < std::chrono::seconds(10)) {
    if (run_command("jack_lsp -s " + s->name_ + " >/dev/null 2>&1", &out) == 0) return s;
    int status = 0;
    if (::waitpid(s->pid_, &status, WNOHANG) == s->pid_) {
      s->pid_ = -1;
      *why = "jackd exited at start (see `jackd -r -d dummy` by hand)";
      return nullptr;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  *why = "jackd did not come up within 10 s";
  return nullptr;
}

bool JackServer::realtime() const {
  std::error_code ec;
  for (const auto& task : std::filesystem::directory_iterator("/proc/" + std::to_string(pid_) + "/task", ec)) {
    const std::string stat = read_text(task.path().string() + "/stat");
    std::istringstream fields(stat.substr(stat.rfind(')') + 2));  // from field 3 (the state) on
    std::string field;
    for (int i = 3; i <= 41 && fields >> field; ++i)
      if (i == 41 && (field == "1" || field == "2")) return true;  // policy: SCHED_FIFO, SCHED_RR
  }
  return false;
}

JackServer::~JackServer() {
  if (pid_ > 0) {
    ::kill(pid_, SIGTERM);
    int status = 0;
    ::waitpid(pid_, &status, 0);
  }
}

}  // namespace timbrel::test
