#pragma once
// The loop every trainer shares: the stop rule (a total step count and/or minutes of this run),
// the running progress line, periodic validation and checkpoints, and the loss summary. The
// trainer supplies one optimisation step; the loop owns the bookkeeping around it.
#include <cstdint>
#include <functional>
#include <string>
#include <utility>

#include "train/train_util.h"

namespace timbrel::train {

struct LoopSettings {
  int64_t max_steps = 0;   // total, resumed steps included; 0 = no step limit
  double minutes = 0;      // of this run; 0 = no time limit (one of the two is required)
  int validate_every = 0;  // steps; 0 = never
  int checkpoint_every = 0;
  int progress_every = 5;  // steps between progress lines
  int log_every = 50;      // without a progress handler, every log_every-th step's line goes to log
  std::function<void(const std::string&)> log;       // lines worth keeping; unset: dropped
  std::function<void(const std::string&)> progress;  // the running line (a terminal redraws it)
};

// One step's outcome: its loss, and what else the progress line shows ("(mag 0.03, if 0.02)").
struct StepOutcome {
  double loss = 0;
  std::string detail;
};

struct LoopSummary {
  int64_t steps = 0;        // the step count reached (resumed steps included)
  double first_loss = 0;    // mean of this run's first 10 steps
  double last_loss = 0;     // mean of its last 20
  double seconds = 0;       // of this run
};

class TrainingLoop {
 public:
  TrainingLoop(LoopSettings settings, int64_t first_step);
  // Runs `step(step_number, fraction)` until the stop rule holds; `fraction` (0..1) is how far the
  // run is by steps or minutes, for learning-rate schedules. `validate` (may be empty) runs every
  // validate_every steps and its value is shown; `checkpoint` (may be empty) runs every
  // checkpoint_every steps and returns a line for the log.
  LoopSummary run(const std::function<StepOutcome(int64_t step, double fraction)>& step,
                  const std::function<double()>& validate = {},
                  const std::function<std::string(int64_t step, double last_validation)>& checkpoint = {});

 private:
  LoopSettings s_;
  int64_t first_step_;
};

// The loop of a trainer without validation runs: `run` offers step(), train_step(n) and
// checkpoint(n) (a log line); `o` carries max_steps, minutes, checkpoint_every and progress.
template <class Run, class Options>
LoopSummary run_with_checkpoints(Run& run, const Options& o, std::function<void(const std::string&)> log, int progress_every,
                                 int log_every) {
  LoopSettings loop;
  loop.max_steps = o.max_steps;
  loop.minutes = o.minutes;
  loop.checkpoint_every = o.checkpoint_every;
  loop.progress_every = progress_every;
  loop.log_every = log_every;
  loop.log = std::move(log);
  loop.progress = o.progress;
  return TrainingLoop(loop, run.step())
      .run([&](int64_t n, double) { return run.train_step(n); }, {}, [&](int64_t n, double) { return run.checkpoint(n); });
}

// The loop of a trainer that validates: `run` offers step(), train_step(n, fraction),
// validation_loss(notes) and save(dir, false, nullptr) (a checkpoint); `o` carries max_steps,
// minutes, validate_every, checkpoint_every, out_dir and progress; `leader`: this process shows
// progress (rank 0 of a data-parallel job).
template <class Run, class Options>
LoopSummary run_with_validation(Run& run, const Options& o, std::function<void(const std::string&)> log, bool leader) {
  LoopSettings loop;
  loop.max_steps = o.max_steps;
  loop.minutes = o.minutes;
  loop.validate_every = o.validate_every;
  loop.checkpoint_every = o.checkpoint_every;
  loop.log = std::move(log);
  loop.progress = leader ? o.progress : [](const std::string&) {};
  return TrainingLoop(loop, run.step())
      .run([&](int64_t n, double fraction) { return run.train_step(n, fraction); }, [&] { return run.validation_loss(64); },
           [&](int64_t n, double val) {
             run.save(o.out_dir + "/checkpoint", false, nullptr);
             return "step " + std::to_string(n) + ": checkpoint written; validation loss (64 notes) " + format_fixed(val, 4);
           });
}

}  // namespace timbrel::train
