// Running the recorded recipes of the fast path (see fast_build.h).
#include "payload/fast_build.h"

#include "elf/atomic_file.h"
#include "payload/compiler_wrapper.h"
#include "payload/livepatch_build.h"
#include "payload/process.h"

#include <algorithm>
#include <atomic>
#include <filesystem>
#include <fmt/format.h>
#include <span>
#include <thread>

namespace lp::payload {
namespace fs = std::filesystem;
namespace {

struct Outcome {
  int status = -1; // -1: not run (interrupted first)
  std::string log;
};

// The compile's kbuild temporary, which the recipe removes once the post
// step has made the object from it.
std::optional<fs::path> temporary_of(const CompileRecord &rec) {
  auto out = command_output(rec.argv);
  if (!out || !object_of_temporary(*out) || rec.post_argv.empty())
    return std::nullopt;
  fs::path p(*out);
  return p.is_absolute() ? p : fs::path(rec.directory) / p;
}

Outcome run_recipe(const FastBuildRequest &r, const CompileRecord &rec) {
  Outcome o;
  ProcessOptions p;
  p.cwd = rec.directory;
  p.env = r.env;
  p.env["LIVEPATCH_BUILD_DIR"] = r.build_root + "/";
  p.env["LIVEPATCH_CAPTURE_DIR"] = r.capture_dir;
  p.unset_env = r.unset_env;
  for (const auto &argv : recipe_commands(rec, r.wrapper)) {
    std::string output;
    o.log += fmt::format("cd {} && {}\n", rec.directory, command_text(argv));
    o.status = run_capture(argv, output, p);
    o.log += output;
    if (o.status != 0)
      return o;
  }
  if (auto tmp = temporary_of(rec)) {
    std::error_code ec;
    fs::remove(*tmp, ec);
  }
  return o;
}

std::string recipe_log(const CompileRecord &rec, const Outcome &o) {
  return fmt::format("  FAST    {}\n{}", rec.object, o.log);
}

void write_log(const std::string &path, const FastBuildRequest &r,
               const std::vector<Outcome> &outcomes) {
  std::string text;
  for (size_t i = 0; i < outcomes.size(); i++)
    text += recipe_log(r.recipes[i], outcomes[i]);
  lp::write_file_atomically(path, std::span(reinterpret_cast<const uint8_t *>(text.data()),
                                            text.size()));
}

} // namespace

std::vector<std::vector<std::string>> recipe_commands(const CompileRecord &record,
                                                      const std::string &wrapper) {
  std::vector<std::vector<std::string>> out;
  for (const auto *argv : {&record.argv, &record.post_argv}) {
    if (argv->empty())
      continue;
    std::vector<std::string> cmd = {wrapper};
    cmd.insert(cmd.end(), argv->begin(), argv->end());
    out.push_back(std::move(cmd));
  }
  return out;
}

void run_fast_build(const FastBuildRequest &r) {
  fs::create_directories(r.capture_dir);
  std::vector<Outcome> outcomes(r.recipes.size());
  std::atomic<size_t> next{0};
  auto worker = [&] {
    for (size_t i = next++; i < r.recipes.size(); i = next++) {
      if (interrupted())
        return;
      outcomes[i] = run_recipe(r, r.recipes[i]);
    }
  };
  std::vector<std::thread> threads;
  for (unsigned t = 0; t < std::max(1u, r.jobs) && t < r.recipes.size(); t++)
    threads.emplace_back(worker);
  for (auto &t : threads)
    t.join();
  check_interrupted();
  write_log(r.log, r, outcomes);
  for (size_t i = 0; i < outcomes.size(); i++)
    if (outcomes[i].status != 0)
      throw BuildFailure{kExitBuildFailed,
                         fmt::format("the patched build failed; see {}", r.log),
                         recipe_log(r.recipes[i], outcomes[i])};
}

} // namespace lp::payload
