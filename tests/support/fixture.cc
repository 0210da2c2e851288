// Test fixtures built at test time: see fixture.h.
#include "support/fixture.h"

#include <catch2/catch.hpp>
#include <fmt/format.h>

#include <array>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <sys/wait.h>

namespace lp::test {
namespace fs = std::filesystem;

namespace {

// Xen's config header puts every declaration under hidden visibility, which is
// what keeps -fpic code free of GOT relocations.
const char kXenConfigHeader[] = "#pragma GCC visibility push(hidden)\n";

std::string config_header_path() {
  static const std::string path = [] {
    auto dir = fs::temp_directory_path() / fmt::format("lp-test-config-{}", getpid());
    fs::create_directories(dir);
    auto file = dir / "xen-config.h";
    std::ofstream(file) << kXenConfigHeader;
    return file.string();
  }();
  return path;
}

std::string shell_quote(const std::string &s) {
  std::string out = "'";
  for (char c : s) {
    if (c == '\'')
      out += "'\\''";
    else
      out += c;
  }
  return out + "'";
}

} // namespace

const std::vector<std::string> &xen_cflags() {
  static const std::vector<std::string> flags = {
      "-m64", "-std=gnu99", "-O2", "-fomit-frame-pointer", "-fno-builtin", "-fno-common",
      "-fno-strict-aliasing", "-ffunction-sections", "-fdata-sections",
      "-mindirect-branch=thunk-extern", "-mindirect-branch-register",
      "-mfunction-return=thunk-extern", "-fno-jump-tables", "-msoft-float", "-fno-pie",
      "-fno-stack-protector", "-fno-exceptions", "-fno-asynchronous-unwind-tables",
      "-mno-red-zone", "-fpic", "-mno-mmx", "-mno-sse", "-mskip-rax-setup",
      "-fcf-protection=branch", "-mmanual-endbr", "-mpreferred-stack-boundary=3",
      "-Wa,--strip-local-absolute", "-include", config_header_path()};
  return flags;
}

TempDir::TempDir() {
  std::string tmpl = (fs::temp_directory_path() / "lp-test-XXXXXX").string();
  if (!mkdtemp(tmpl.data()))
    throw std::runtime_error("mkdtemp failed");
  path_ = tmpl;
}

TempDir::~TempDir() {
  if (!std::getenv("LP_KEEP_TMP")) {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
}

std::string TempDir::write(const std::string &name, const std::string &contents) const {
  std::string p = file(name);
  fs::create_directories(fs::path(p).parent_path());
  std::ofstream(p, std::ios::binary) << contents;
  return p;
}

RunResult run_shell(const std::string &command) {
  RunResult r;
  FILE *pipe = popen((command + " 2>&1").c_str(), "r");
  if (!pipe)
    return r;
  std::array<char, 4096> buf;
  size_t n;
  while ((n = fread(buf.data(), 1, buf.size(), pipe)) > 0)
    r.output.append(buf.data(), n);
  int status = pclose(pipe);
  if (WIFEXITED(status))
    r.status = WEXITSTATUS(status);
  else if (WIFSIGNALED(status))
    r.status = 128 + WTERMSIG(status);
  return r;
}

std::string build_id_of(const std::string &elf) {
  std::string id = run_shell("readelf -n " + elf + " | awk '/Build ID/ {print $3}'").output;
  while (!id.empty() && (id.back() == '\n' || id.back() == ' '))
    id.pop_back();
  return id;
}

RunResult run(const std::vector<std::string> &argv) {
  std::string cmd;
  // Appended piece by piece: gcc 12 at -O3 misreads `"" + std::string` as an
  // overlapping memcpy (-Wrestrict) and -Werror stops the Release build.
  for (const auto &a : argv) {
    if (!cmd.empty())
      cmd += ' ';
    cmd += shell_quote(a);
  }
  return run_shell(cmd);
}

std::string compile_xen_c(const TempDir &dir, const std::string &name, const std::string &source,
                          const std::vector<std::string> &extra) {
  std::string src = dir.write(name + ".c", source);
  std::string obj = dir.file(name + ".o");
  std::vector<std::string> argv = {"gcc"};
  argv.insert(argv.end(), xen_cflags().begin(), xen_cflags().end());
  argv.insert(argv.end(), extra.begin(), extra.end());
  argv.insert(argv.end(), {"-c", src, "-o", obj});
  RunResult r = run(argv);
  INFO("gcc output:\n" << r.output);
  REQUIRE(r.status == 0);
  return obj;
}

std::string tool_path(const std::string &name) {
  for (const char *dir : {"/src/diff/", "/src/payload/", "/src/sign/", "/src/elf/", "/hypervisor/"}) {
    fs::path p = fs::path(LP_BINARY_DIR + std::string(dir) + name);
    if (fs::exists(p))
      return p.string();
  }
  return std::string(LP_BINARY_DIR) + "/" + name;
}

std::string read_text(const std::string &path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

} // namespace lp::test
