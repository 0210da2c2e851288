// Errors that name the file they are about.
//
// Every component of the toolchain reports bad input the same way: one line,
// "<file>: <what is wrong>", and a non-zero exit code chosen by the command
// that caught it. FileError carries the two halves separately so that a
// command can reword or classify a failure without parsing strings.
#pragma once

#include <stdexcept>
#include <string>

namespace lp {

class FileError : public std::runtime_error {
public:
  FileError(std::string file, std::string problem)
      : std::runtime_error(file + ": " + problem), file_(std::move(file)),
        problem_(std::move(problem)) {}

  const std::string &file() const { return file_; }
  const std::string &problem() const { return problem_; }

private:
  std::string file_;
  std::string problem_;
};

} // namespace lp
