#pragma once
// A JACK server with the dummy driver (no sound card), started for the streaming tests, so they
// go through PortAudio to a real audio server. Private server name; stopped on destruction.
#include <sys/types.h>

#include <memory>
#include <string>

namespace timbrel::test {

class JackServer {
 public:
  // nullptr (and why in `why`) when jackd is missing or does not come up within 10 s. `realtime`:
  // the server and its clients' process threads at real-time priority, as musicians run JACK
  // (where the system refuses it, jackd goes on without: see realtime()). `synchronous`: each
  // cycle's graph finishes before the driver ends the cycle (jackd -S), so a cycle's timing is
  // the graph's own.
  static std::unique_ptr<JackServer> start(std::string* why, int rate = 48000, int period = 256, bool realtime = false,
                                           bool synchronous = false);
  ~JackServer();
  const std::string& name() const { return name_; }
  bool realtime() const;  // a thread of the server runs at real-time priority (SCHED_FIFO or SCHED_RR)

 private:
  JackServer() = default;
  pid_t pid_ = -1;
  std::string name_;
};

}  // namespace timbrel::test
