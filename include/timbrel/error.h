#pragma once
// The one error type of the public API: it names the input (a file, a flag, a model) and the
// problem, so that the CLI can print "timbrel: <subject>: <problem>".
#include <stdexcept>
#include <string>

#include "timbrel/export.h"

namespace timbrel {

class TIMBREL_API Error : public std::runtime_error {
 public:
  Error(std::string subject, std::string problem)
      : std::runtime_error(subject.empty() ? problem : subject + ": " + problem),
        subject_(std::move(subject)),
        problem_(std::move(problem)) {}

  const std::string& subject() const { return subject_; }
  const std::string& problem() const { return problem_; }

 private:
  std::string subject_;
  std::string problem_;
};

// A device ran out of memory for the work asked of it: smaller batches may fit. Gansynth retries
// with halved batches itself and throws this only when a single note does not fit.
class TIMBREL_API OutOfMemoryError : public Error {
 public:
  using Error::Error;
};

}  // namespace timbrel
