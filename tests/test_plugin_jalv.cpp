// The LV2 plug-in in a real host on a real audio server: jalv (Debian) loads the built bundle on a
// JACK server with the dummy driver at 64 and 128 frames a period, real-time scheduled as musicians
// run JACK, and clients of the test play 60 s of a dense song into it (five instruments, about 40
// note-ons a second, pedal, bends, controllers) and listen to its output. The goal: no xrun of the
// plug-in's making, i.e. in every cycle the graph (feeder, jalv with the plug-in, listener) ends
// within its period. The server's own xrun reports are printed beside those of the same server with
// no plug-in, measured first: in a VM the dummy driver's timer wakes some microseconds late now and
// then and reports that as an xrun with no client at all. When that bare graph itself runs late
// (a loaded machine), the test says so and skips instead of blaming the synth. The server, jalv
// and the test's clients share one core: in a VM, waking a client's thread on another virtual CPU
// costs the host's scheduling, milliseconds at times, which no plug-in can help (measured here:
// 24 late cycles in 20 s across two virtual CPUs, none on one). TIMBREL_JALV_PEER=URI hosts that
// plug-in instead, the same way (a peer measured in the same run: e.g. DPF's Kars synth).
#include <fcntl.h>
#include <sched.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <thread>

#include "jack_feeder.h"
#include "jack_server.h"
#include "test_util.h"
#include "timbrel/music.h"

extern char** environ;

namespace timbrel::test {
namespace {

using namespace std::chrono_literals;
const std::string kBundle = std::string(TIMBREL_PLUGIN_BIN) + "/timbrel-synth.lv2";
const char* kJalvName = "timbrel-jalv";

// jalv running the plug-in, its console on pipes: "monitors" prints the output ports' values.
class Jalv {
 public:
  bool start(const std::string& lv2_path, const std::string& uri, std::string* why) {
    int in[2], out[2];
    if (::pipe(in) != 0 || ::pipe(out) != 0) return *why = "pipe failed", false;
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, in[0], 0);
    posix_spawn_file_actions_adddup2(&actions, out[1], 1);
    posix_spawn_file_actions_adddup2(&actions, out[1], 2);
    posix_spawn_file_actions_addclose(&actions, in[1]);
    posix_spawn_file_actions_addclose(&actions, out[0]);
    ::setenv("LV2_PATH", lv2_path.c_str(), 1);
    std::vector<std::string> args = {"stdbuf", "-oL", "jalv", "-x", "-n", kJalvName, uri};
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    const int err = posix_spawnp(&pid_, "stdbuf", &actions, nullptr, argv.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    ::close(in[0]);
    ::close(out[1]);
    to_ = in[1], from_ = out[0];
    ::fcntl(from_, F_SETFL, O_NONBLOCK);
    if (err != 0) return *why = "could not start jalv", false;
    return true;
  }

  ~Jalv() {
    if (to_ >= 0) ::close(to_);
    if (pid_ > 0) {
      ::kill(pid_, SIGTERM);
      int status = 0;
      ::waitpid(pid_, &status, 0);
    }
    if (from_ >= 0) ::close(from_);
  }

  // The plug-in's "ready" output (1 once every channel's timbre plays), or -1 when jalv did not say.
  double ready() {
    const std::string ask = "monitors\n";
    if (::write(to_, ask.data(), ask.size()) != ssize_t(ask.size())) return -1;
    const auto until = std::chrono::steady_clock::now() + 2s;
    while (std::chrono::steady_clock::now() < until) {
      read_output();
      const size_t at = log_.rfind("ready = ");
      if (at != std::string::npos && at >= asked_at_ && log_.find('\n', at) != std::string::npos) {
        asked_at_ = log_.size();
        return std::atof(log_.c_str() + at + 8);
      }
      std::this_thread::sleep_for(20ms);
    }
    return -1;
  }

  bool running() {
    int status = 0;
    return pid_ > 0 && ::waitpid(pid_, &status, WNOHANG) == 0;
  }
  const std::string& log() {
    read_output();
    return log_;
  }

 private:
  void read_output() {
    char buf[4096];
    for (ssize_t n; (n = ::read(from_, buf, sizeof buf)) > 0;) log_.append(buf, size_t(n));
  }

  pid_t pid_ = -1;
  int to_ = -1, from_ = -1;
  std::string log_;
  size_t asked_at_ = 0;
};

// This process and what it starts (jackd, jalv) on the machine's last core.
void pin_to_one_core() {
  cpu_set_t set;
  CPU_ZERO(&set);
  if (sched_getaffinity(0, sizeof set, &set) != 0) return;
  int last = -1;
  for (int c = 0; c < CPU_SETSIZE; ++c)
    if (CPU_ISSET(c, &set)) last = c;
  CPU_ZERO(&set);
  CPU_SET(last, &set);
  sched_setaffinity(0, sizeof set, &set);
}

double seconds_to_play() {
  const char* env = std::getenv("TIMBREL_JALV_SECONDS");
  return env ? std::max(5.0, std::atof(env)) : 60.0;
}

class JalvXruns : public ::testing::TestWithParam<int> {};

TEST_P(JalvXruns, PlaysADenseSongWithoutAnXrun) {
  std::string why, out;
  if (run_command("command -v jalv", &out) != 0) GTEST_SKIP() << "jalv not installed (Debian jalv)";
  if (!std::filesystem::exists(kBundle)) GTEST_SKIP() << "no " << kBundle;
  pin_to_one_core();
  auto server = JackServer::start(&why, 48000, GetParam(), /*realtime=*/true);
  if (!server) GTEST_SKIP() << why;
  JackFeeder feeder;
  ASSERT_TRUE(feeder.open("timbrel", &why)) << why;
  ASSERT_EQ(feeder.period(), uint32_t(GetParam()));
  feeder.reset_counts();
  std::this_thread::sleep_for(10s);
  const int bare_xruns = feeder.xruns();
  std::printf("bare graph at %d frames: %llu late cycles, graph end p50 %.2f p99 %.2f p99.9 %.2f max %.2f periods\n", GetParam(),
              (unsigned long long)feeder.late_cycles(), feeder.graph_end_quantile(0.5), feeder.graph_end_quantile(0.99),
              feeder.graph_end_quantile(0.999), feeder.max_graph_fraction());
  if (feeder.late_cycles() > 0)
    GTEST_SKIP() << "with no plug-in loaded the graph ran past its period " << feeder.late_cycles()
                 << " times in 10 s: this machine is too busy to host the check now";

  // The bundle alone on LV2_PATH (build/bin also holds the VST3 and CLAP builds); a peer from the system's.
  const std::string lv2_path = temp_dir();
  std::filesystem::create_directory_symlink(std::filesystem::absolute(kBundle), lv2_path + "/timbrel-synth.lv2");
  const char* peer = std::getenv("TIMBREL_JALV_PEER");
  Jalv jalv;
  ASSERT_TRUE(jalv.start(peer ? "/usr/lib/lv2" : lv2_path, peer ? peer : "urn:timbrel:synth", &why)) << why;
  const std::string port = std::string(kJalvName) + ":lv2_events_in";
  for (int i = 0; i < 600 && !feeder.has_port(port); ++i) std::this_thread::sleep_for(100ms);
  const std::string left = std::string(kJalvName) + ":lv2_audio_out_1", right = std::string(kJalvName) + ":lv2_audio_out_2";
  ASSERT_TRUE(feeder.connect(port, left, peer && !feeder.has_port(right) ? left : right, &why))
      << why << "\n" << jalv.log();

  // The song as a host reads it from its file.
  const std::string midi = lv2_path + "/dense.mid";
  write_midi(dense_song(seconds_to_play()), midi);
  const std::vector<PluginEvent> events = sequence_events(read_midi(midi), 48000);
  // Each channel's program first; then the plug-in renders their caches and says it is ready.
  std::vector<PluginEvent> programs;
  for (const PluginEvent& e : events)
    if ((e.bytes[0] & 0xF0) == 0xC0) programs.push_back({0, e.bytes});
  feeder.send(programs);
  std::this_thread::sleep_for(1s);
  double ready = 0;
  for (int i = 0; !peer && i < 600 && (ready = jalv.ready()) != 1; ++i) std::this_thread::sleep_for(500ms);
  if (peer) ready = 1;
  ASSERT_EQ(ready, 1) << "the plug-in did not get ready\n" << jalv.log();

  feeder.reset_counts();
  feeder.send(events);
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::duration<double>(seconds_to_play() + 60);
  while (!feeder.finished() && std::chrono::steady_clock::now() < deadline) {
    feeder.poll_load();
    std::this_thread::sleep_for(100ms);
  }
  std::this_thread::sleep_for(2s);  // the last notes' releases
  ASSERT_TRUE(feeder.finished()) << "the song did not play through";
  ASSERT_TRUE(jalv.running()) << jalv.log();
  const double level_db = 20 * std::log10(std::max(feeder.rms(), 1e-12));
  std::printf("jalv at %d frames, %zu events over %.0f s: %llu late cycles, the graph's latest end %.0f%% of a period, "
              "JACK DSP load max %.1f%%; the server's xrun reports %d (with no plug-in: %d in 10 s); "
              "output %.1f dBFS RMS, peak %.3f\n",
              GetParam(), events.size(), seconds_to_play(), (unsigned long long)feeder.late_cycles(),
              100 * feeder.max_graph_fraction(), feeder.max_dsp_load(), feeder.xruns(), bare_xruns, level_db, feeder.peak());
  std::printf("graph end p50 %.2f p99 %.2f p99.9 %.2f periods\n", feeder.graph_end_quantile(0.5),
              feeder.graph_end_quantile(0.99), feeder.graph_end_quantile(0.999));
  // The goal is 0; one late cycle in 10,000 is allowed for the VM's own hiccups (measured: 0).
  const double cycles = seconds_to_play() * 48000 / GetParam();
  EXPECT_LE(double(feeder.late_cycles()), cycles / 10000) << "the plug-in made the graph miss its deadline";
  EXPECT_LT(feeder.graph_end_quantile(0.999), 1.0);
  EXPECT_EQ(feeder.dropped_events(), 0u);
  EXPECT_GT(level_db, -40.0) << "the plug-in hardly played";
  EXPECT_LE(feeder.peak(), 1.0f);
}

INSTANTIATE_TEST_SUITE_P(Periods, JalvXruns, ::testing::Values(64, 128));

}  // namespace
}  // namespace timbrel::test
