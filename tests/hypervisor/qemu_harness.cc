// QEMU harness for the hypervisor tests: see qemu_harness.h.
#include "qemu_harness.h"

#include <catch2/catch.hpp>

#include <chrono>
#include <csignal>
#include <fcntl.h>
#include <filesystem>
#include <fstream>
#include <spawn.h>
#include <sstream>
#include <sys/wait.h>
#include <thread>

extern char **environ;

namespace minixen::test {

std::string image_dir() { return MINIXEN_IMAGE_DIR; }
std::string enforce_image_dir() { return std::string(MINIXEN_ENFORCE_DIR) + "/xen"; }
std::string enforce_signing_key() { return std::string(MINIXEN_ENFORCE_DIR) + "/signing-key.pem"; }

std::string payload(const std::string &name, const std::string &image) {
  return image + "/test/livepatch/" + name + ".livepatch";
}

lp::test::RunResult livepatch_build_example(const lp::test::TempDir &out, const std::string &name,
                                            const std::string &image) {
  std::string root = std::filesystem::path(image).parent_path().string();
  std::string xen_syms = image + "/xen-syms";
  return lp::test::run_shell(
      "LIVEPATCH_INCLUDE=" LP_SOURCE_DIR "/include " + lp::test::tool_path("livepatch-build") +
      " -s " + root + " -p " LP_SOURCE_DIR "/tests/fixtures/patches/" + name + ".patch -c " +
      image + "/.config -o " + out.file(name) + " --xen-syms " + xen_syms + " --depends " +
      lp::test::build_id_of(xen_syms) + " --cache-dir " + root + "/../livepatch-build-cache");
}

Minixen::Minixen(const std::string &image) {
  std::vector<std::string> args = {
      "qemu-system-x86_64", "-machine", "pc", "-accel", "tcg", "-cpu", "qemu64", "-smp", "2",
      "-icount", "shift=5,sleep=on",
      "-m", "256", "-nographic", "-no-reboot", "-monitor", "none",
      "-serial", "file:" + dir_.file("console.log"),
      "-serial", "unix:" + dir_.file("ctl.sock") + ",server=on,wait=off",
      "-kernel", image + "/xen"};
  std::vector<char *> argv;
  for (auto &a : args)
    argv.push_back(a.data());
  argv.push_back(nullptr);
  auto start = std::chrono::steady_clock::now();
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
  std::string qemu_log = dir_.file("qemu.log");
  posix_spawn_file_actions_addopen(&fa, 1, qemu_log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  posix_spawn_file_actions_adddup2(&fa, 1, 2);
  int rc = posix_spawnp(&qemu_, argv[0], &fa, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&fa);
  REQUIRE(rc == 0);
  bool ready = wait_console("minixen: ready");
  boot_seconds_ = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  INFO("console:\n" << console());
  if (!ready && !exited_) { // the destructor does not run if the constructor fails
    kill(qemu_, SIGTERM);
    waitpid(qemu_, nullptr, 0);
    exited_ = true;
  }
  REQUIRE(ready);
}

Minixen::~Minixen() {
  if (qemu_ > 0 && !exited_) {
    kill(qemu_, SIGTERM);
    waitpid(qemu_, nullptr, 0);
  }
}

lp::test::RunResult Minixen::tool(const std::vector<std::string> &args) const {
  std::vector<std::string> argv = {lp::test::tool_path("minixen-livepatch"), "--socket",
                                   dir_.file("ctl.sock")};
  argv.insert(argv.end(), args.begin(), args.end());
  return lp::test::run(argv);
}

lp::test::RunResult Minixen::act(const std::vector<std::string> &args) const {
  std::vector<std::string> guarded = {"--timeout", std::to_string(kGuardMs / 1000)};
  guarded.insert(guarded.end(), args.begin(), args.end());
  return tool(guarded);
}

std::string Minixen::call(const std::string &name, const std::string &arg) const {
  std::vector<std::string> args = {"call", name};
  if (!arg.empty())
    args.push_back(arg);
  auto r = tool(args);
  INFO("call " << name << " " << arg << ":\n" << r.output);
  REQUIRE(r.status == 0);
  std::string out = r.output;
  while (!out.empty() && out.back() == '\n')
    out.pop_back();
  return out;
}

std::string Minixen::console() const {
  std::ifstream in(dir_.file("console.log"), std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

bool Minixen::wait_console(const std::string &text, int timeout_ms) const {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  while (std::chrono::steady_clock::now() < deadline) {
    if (console().find(text) != std::string::npos)
      return true;
    int status;
    if (!exited_ && waitpid(qemu_, &status, WNOHANG) == qemu_) {
      exited_ = true;
      return false;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return console().find(text) != std::string::npos;
}

} // namespace minixen::test
