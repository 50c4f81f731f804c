#include "train/training_loop.h"

#include <algorithm>
#include <chrono>
#include <deque>

#include "timbrel/error.h"
#include "train/train_util.h"

namespace timbrel::train {

TrainingLoop::TrainingLoop(LoopSettings settings, int64_t first_step) : s_(std::move(settings)), first_step_(first_step) {
  if (s_.max_steps <= 0 && s_.minutes <= 0) throw Error("max_steps", "give a step count or a time limit (minutes)");
}

LoopSummary TrainingLoop::run(const std::function<StepOutcome(int64_t, double)>& step, const std::function<double()>& validate,
                              const std::function<std::string(int64_t, double)>& checkpoint) {
  using Clock = std::chrono::steady_clock;
  const auto t0 = Clock::now();
  auto log = [this](const std::string& line) {
    if (s_.log) s_.log(line);
  };
  LoopSummary r;
  int64_t n = first_step_;
  double average = 0, last_validation = -1;
  std::deque<double> recent;
  while (true) {
    const double elapsed = std::chrono::duration<double>(Clock::now() - t0).count();
    if (s_.max_steps > 0 && n >= s_.max_steps) break;
    if (s_.minutes > 0 && elapsed >= s_.minutes * 60) break;
    double fraction = s_.max_steps > 0 ? double(n) / double(s_.max_steps) : 0.0;
    if (s_.minutes > 0) fraction = std::max(fraction, elapsed / (s_.minutes * 60));
    fraction = std::min(fraction, 1.0);

    const StepOutcome out = step(n, fraction);
    ++n;
    const int64_t done = n - first_step_;
    if (done <= 10) r.first_loss = (r.first_loss * double(done - 1) + out.loss) / double(done);  // mean of the first 10
    recent.push_back(out.loss);
    if (recent.size() > 20) recent.pop_front();
    average = done == 1 ? out.loss : 0.95 * average + 0.05 * out.loss;

    if (s_.validate_every > 0 && validate && n % s_.validate_every == 0) last_validation = validate();
    if (n % std::max(1, s_.progress_every) == 0 || n == s_.max_steps) {
      const std::string line = progress_bar(fraction) + "step " + std::to_string(n) + " loss " + format_fixed(average, 4) +
                               (out.detail.empty() ? "" : " " + out.detail) +
                               (validate ? " val " + format_fixed(last_validation, 4) : "") + " " + format_fixed(elapsed, 0) + " s";
      if (s_.progress) s_.progress(line);
      else if (n % std::max(1, s_.log_every) == 0) log(line);
    }
    if (s_.checkpoint_every > 0 && checkpoint && n % s_.checkpoint_every == 0) log(checkpoint(n, last_validation));
  }
  r.steps = n;
  if (n == first_step_) r.first_loss = 0;
  for (double l : recent) r.last_loss += l / double(recent.size());
  r.seconds = std::chrono::duration<double>(Clock::now() - t0).count();
  return r;
}

}  // namespace timbrel::train
