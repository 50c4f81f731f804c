// The LV2 plug-in in a real host on a real audio server: jalv (Debian) loads the built bundle on a
// JACK server with the dummy driver at 64 and 128 frames a period, real-time scheduled as musicians
// run JACK and synchronous (jackd -S: a cycle ends when its graph has run, so its timing is the
// graph's), and clients of the test play 60 s of a dense song into it (five instruments, about 40
// note-ons a second, pedal, bends, controllers) and listen to its output. At the end of each
// cycle the listener notes how far into the period the graph got. The same server with no plug-in
// is measured first: when that bare graph runs late (a loaded machine), the test skips instead of
// blaming the synth. The server, jalv and the test's clients share one core: in a VM, waking a
// thread on another virtual CPU costs the host's scheduling, milliseconds at times. Even so this
// VM stalls a bare graph now and then (0-3 times in 10 s, once 15 periods), and its DAMON memory
// daemon slows every thread for a few ms several times a second: the goal (no late cycle) cannot
// be held here; the test holds what a blocking or overrunning plug-in would break (see the test).
// TIMBREL_JALV_PEER=URI hosts
// that plug-in instead, the same way (a peer measured in the same run: e.g. Ardour's ACE Reasonable
// Synth, https://community.ardour.org/node/7596, with TIMBREL_JALV_PEER_PORTS=MidiIn,outL,outR).
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
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

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
  // `lv2_path` "" keeps the system's LV2 search path (a peer plug-in).
  bool start(const std::string& lv2_path, const std::string& uri, std::string* why) {
    int in[2], out[2];
    if (::pipe2(in, O_CLOEXEC) != 0) return *why = "pipe failed", false;
    if (::pipe2(out, O_CLOEXEC) != 0) return ::close(in[0]), ::close(in[1]), *why = "pipe failed", false;
    ::signal(SIGPIPE, SIG_IGN);  // a jalv that died must not take the test with it
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, in[0], 0);
    posix_spawn_file_actions_adddup2(&actions, out[1], 1);
    posix_spawn_file_actions_adddup2(&actions, out[1], 2);
    std::vector<std::string> env, args = {"stdbuf", "-oL", "jalv", "-x", "-n", kJalvName, uri};
    for (char** e = environ; *e; ++e)
      if (std::string(*e).rfind("LV2_PATH=", 0) != 0) env.emplace_back(*e);
    if (!lv2_path.empty()) env.push_back("LV2_PATH=" + lv2_path);
    std::vector<char*> argv, envp;
    for (auto& a : args) argv.push_back(a.data());
    for (auto& e : env) envp.push_back(e.data());
    argv.push_back(nullptr), envp.push_back(nullptr);
    const int err = posix_spawnp(&pid_, "stdbuf", &actions, nullptr, argv.data(), envp.data());
    posix_spawn_file_actions_destroy(&actions);
    ::close(in[0]);
    ::close(out[1]);
    to_ = in[1], from_ = out[0];
    ::fcntl(from_, F_SETFL, O_NONBLOCK);
    if (err != 0) return pid_ = -1, *why = "could not start jalv", false;
    return true;
  }

  ~Jalv() {
    if (to_ >= 0) ::close(to_);  // jalv quits at the end of its input
    if (pid_ > 0) {
      ::kill(pid_, SIGTERM);
      int status = 0;
      for (int i = 0; i < 50 && ::waitpid(pid_, &status, WNOHANG) == 0; ++i) std::this_thread::sleep_for(100ms);
      if (::waitpid(pid_, &status, WNOHANG) == 0) ::kill(pid_, SIGKILL), ::waitpid(pid_, &status, 0);
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
    if (pid_ > 0 && ::waitpid(pid_, &status, WNOHANG) == pid_) pid_ = -1;
    return pid_ > 0;
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

std::vector<std::string> split_commas(const std::string& text) {
  std::vector<std::string> parts;
  std::stringstream in(text);
  for (std::string part; std::getline(in, part, ',');) parts.push_back(part);
  return parts;
}

double seconds_to_play() {
  const char* env = std::getenv("TIMBREL_JALV_SECONDS");
  return env ? std::max(5.0, std::atof(env)) : 60.0;
}

class JalvXruns : public ::testing::TestWithParam<int> {};

// Sends each channel's program, then waits (up to 5 minutes) until the plug-in has rendered
// their caches and says it is ready. A peer plug-in has no such output: it is taken as ready.
bool programs_ready(JackFeeder& feeder, Jalv& jalv, const std::vector<PluginEvent>& events, bool peer) {
  feeder.send(program_changes(events));
  std::this_thread::sleep_for(1s);
  if (peer) return feeder.finished();
  const auto deadline = std::chrono::steady_clock::now() + 300s;
  while (jalv.running() && std::chrono::steady_clock::now() < deadline) {
    if (jalv.ready() == 1) return feeder.finished();
    std::this_thread::sleep_for(500ms);
  }
  return false;
}

// Plays `events` and waits for their end (and 2 s of releases), sampling JACK's DSP load.
bool play_through(JackFeeder& feeder, Jalv& jalv, std::vector<PluginEvent> events) {
  feeder.reset_counts();
  feeder.send(std::move(events));
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::duration<double>(seconds_to_play() + 60);
  while (!feeder.finished() && jalv.running() && std::chrono::steady_clock::now() < deadline) {
    feeder.poll_load();
    jalv.log();  // drained, so that jalv never blocks on a full pipe
    std::this_thread::sleep_for(100ms);
  }
  std::this_thread::sleep_for(2s);
  return feeder.finished();
}

void print_graph(const char* what, int period, const JackFeeder& feeder) {
  std::printf("%s at %d frames: %llu late cycles; the graph's end p50 %.2f, p99 %.2f, p99.9 %.2f, latest %.2f periods; "
              "the server's xrun reports %d; JACK's DSP load max %.1f%%\n",
              what, period, (unsigned long long)feeder.late_cycles(), feeder.graph_end_quantile(0.5), feeder.graph_end_quantile(0.99),
              feeder.graph_end_quantile(0.999), feeder.max_graph_fraction(), feeder.xruns(), feeder.max_dsp_load());
  const std::vector<double> late = feeder.late_seconds();
  if (late.empty()) return;
  std::printf("  late cycles ended at (s of the song):");
  for (double s : late) std::printf(" %.2f", s);
  std::printf("\n");
}

// DAMON daemons running on this machine (kdamond: the kernel sampling memory accesses by ageing
// page tables). In this project's VM each of their passes slows every thread that then touches
// memory, the audio thread included: the late cycles come with them (docs/daw.md).
int damon_daemons_on() {
  int on = 0;
  std::error_code ec;
  for (const auto& d : std::filesystem::directory_iterator("/sys/kernel/mm/damon/admin/kdamonds", ec)) {
    std::ifstream state(d.path() / "state");
    std::string word;
    if (state >> word && word == "on") ++on;
  }
  return on;
}

TEST_P(JalvXruns, PlaysADenseSongWithoutAnXrun) {
  std::string why, out;
  if (run_command("command -v jalv", &out) != 0) GTEST_SKIP() << "jalv not installed (Debian jalv)";
  if (!std::filesystem::exists(kBundle)) GTEST_SKIP() << "no " << kBundle;
  pin_to_one_core();
  auto server = JackServer::start(&why, 48000, GetParam(), /*realtime=*/true, /*synchronous=*/true);
  if (!server) GTEST_SKIP() << why;
  if (!server->realtime()) GTEST_SKIP() << "JACK could not get real-time scheduling here: its timing means nothing";
  JackFeeder feeder;
  ASSERT_TRUE(feeder.open("timbrel", &why)) << why;
  ASSERT_EQ(feeder.period(), uint32_t(GetParam()));
  feeder.reset_counts();
  std::this_thread::sleep_for(10s);
  print_graph("no plug-in, 10 s", GetParam(), feeder);
  if (feeder.late_cycles() > 0)
    GTEST_SKIP() << "with no plug-in loaded the graph ran past its period " << feeder.late_cycles()
                 << " times in 10 s: this machine is too busy to host the check now";

  // The bundle alone on LV2_PATH (build/bin also holds the VST3 and CLAP builds); a peer from the system's.
  const std::string dir = temp_dir();
  std::filesystem::create_directory_symlink(std::filesystem::absolute(kBundle), dir + "/timbrel-synth.lv2");
  const char* peer = std::getenv("TIMBREL_JALV_PEER");
  Jalv jalv;
  ASSERT_TRUE(jalv.start(peer ? "" : dir, peer ? peer : "urn:timbrel:synth", &why)) << why;
  // jalv names DPF's ports lv2_events_in, lv2_audio_out_1/2; a peer's: TIMBREL_JALV_PEER_PORTS=IN,LEFT,RIGHT.
  std::vector<std::string> ports = {"lv2_events_in", "lv2_audio_out_1", "lv2_audio_out_2"};
  if (const char* given = std::getenv("TIMBREL_JALV_PEER_PORTS"); peer && given) ports = split_commas(given);
  ASSERT_EQ(ports.size(), 3u) << "TIMBREL_JALV_PEER_PORTS: three port symbols (MIDI in, left, right)";
  const std::string name = std::string(kJalvName) + ":", port = name + ports[0], left = name + ports[1], right = name + ports[2];
  for (int i = 0; i < 600 && jalv.running() && !feeder.has_port(port); ++i) std::this_thread::sleep_for(100ms);
  ASSERT_TRUE(feeder.connect(port, left, feeder.has_port(right) ? right : left, &why)) << why << "\n" << jalv.log();

  // The song as a host reads it from its file.
  const std::string midi = dir + "/dense.mid";
  write_midi(dense_song(seconds_to_play()), midi);
  const std::vector<PluginEvent> events = sequence_events(read_midi(midi), 48000);
  ASSERT_TRUE(programs_ready(feeder, jalv, events, peer)) << "the plug-in did not get ready\n" << jalv.log();
  ASSERT_TRUE(play_through(feeder, jalv, events)) << "the song did not play through\n" << jalv.log();
  ASSERT_TRUE(jalv.running()) << jalv.log();
  const double level_db = 20 * std::log10(std::max(feeder.rms(), 1e-12));
  print_graph(peer ? peer : "Timbrel in jalv", GetParam(), feeder);
  std::printf("%zu events over %.0f s; output %.1f dBFS RMS, peak %.3f\n", events.size(), seconds_to_play(), level_db, feeder.peak());
  if (const int damon = damon_daemons_on())
    std::printf("%d DAMON daemon(s) ran meanwhile (kdamond): on this project's VM they bring the late cycles\n", damon);
  // The goal is no late cycle. On this project's VM it nearly holds while the machine's DAMON
  // daemon is stopped (64 frames: 0 in 30 s, 4 of 45,000 in 60 s; 128 frames: 0 and 0). While it
  // runs, each of its passes (about 8 a second) slows every thread touching memory, and the graph
  // runs late now and then (8-43 of 22,500 in 30 s at 64 frames). The plug-in's own run() stays
  // far under the period (0.57 ms of 1.33 at most). So the test holds what a plug-in that blocks or
  // overruns would break, with room for that: one cycle in 100 late, the 99th percentile within
  // half a period.
  const double cycles = seconds_to_play() * 48000 / GetParam();
  EXPECT_LE(double(feeder.late_cycles()), cycles / 100) << "the plug-in made the graph miss its deadline";
  EXPECT_LE(feeder.graph_end_quantile(0.99), 0.5) << "the graph's 99th percentile ran past half its period";
  EXPECT_EQ(feeder.dropped_events(), 0u);
  EXPECT_GT(level_db, -40.0) << "the plug-in hardly played";
  if (!peer) EXPECT_LE(feeder.peak(), 1.0f);
}

INSTANTIATE_TEST_SUITE_P(Periods, JalvXruns, ::testing::Values(64, 128));

}  // namespace
}  // namespace timbrel::test
