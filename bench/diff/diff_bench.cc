// diff_bench: how fast is create-diff-object on a large object pair?
//
// Generates (as assembly, so generation is quick and the shape exact) an
// original and a patched object with 3,000 function sections, 2,000 data
// objects, 3,000 mergeable strings (8,000+ symbols) and 21,000 relocations,
// in which exactly one function changed; links a fake xen-syms from the
// original; then measures, in the same run:
//
//   * the engine in-process (median of 5 runs, wall time),
//   * `readelf -W -S -s -r` of both inputs (median of 5), the baseline: the
//     cost of merely printing what the engine has to read,
//   * the instruction count of one command-line run under callgrind, when
//     valgrind is installed,
//   * peak RSS of one command-line run.
//
// Not a test: it prints numbers and their ratio. Target: engine under 30 ms
// and faster than readelf.
#include "diff/create_diff_object.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fmt/format.h>
#include <fstream>
#include <string>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>
#include <vector>

namespace fs = std::filesystem;

namespace {

constexpr int kFunctions = 3000;
constexpr int kData = 2000;
constexpr int kExternals = 50;
constexpr int kChanged = 1234;

std::string generate(bool patched) {
  std::string s;
  s.reserve(4 << 20);
  s += ".file \"bench.c\"\n";
  for (int j = 0; j < kData; ++j)
    s += fmt::format(".section .bss.data{0},\"aw\",@nobits\n.p2align 3\n.type data{0},@object\n"
                     ".size data{0},8\ndata{0}:\n.zero 8\n",
                     j);
  s += ".section .rodata.str1.1,\"aMS\",@progbits,1\n";
  for (int i = 0; i < kFunctions; ++i)
    s += fmt::format(".LC{0}:\n.string \"message number {0}\"\n", i);
  for (int i = 0; i < kFunctions; ++i) {
    bool global = i % 3 == 0;
    int imm = (patched && i == kChanged) ? 99999 : i;
    s += fmt::format(".section .text.fn{0},\"ax\",@progbits\n.p2align 4\n", i);
    if (global)
      s += fmt::format(".globl fn{}\n", i);
    s += fmt::format(".type fn{0},@function\nfn{0}:\n"
                     "\tmovl data{1}(%rip), %eax\n"
                     "\tleaq .LC{0}(%rip), %rdi\n"
                     "\tmovl ${2}, %esi\n"
                     "\tcall ext{3}@PLT\n"
                     "\taddl data{4}(%rip), %eax\n"
                     "\tcall fn{5}\n"
                     "\tcall printk@PLT\n"
                     "\tjmp __x86_return_thunk@PLT\n"
                     ".size fn{0}, .-fn{0}\n",
                     i, i % kData, imm, i % kExternals, (i * 7) % kData, (i + 1) % kFunctions);
  }
  s += ".section .note.GNU-stack,\"\",@progbits\n";
  return s;
}

int sh(const std::string &cmd) {
  int rc = std::system(cmd.c_str());
  return WIFEXITED(rc) ? WEXITSTATUS(rc) : 128;
}

void must(const std::string &cmd) {
  if (sh(cmd) != 0) {
    fmt::print(stderr, "diff_bench: failed: {}\n", cmd);
    std::exit(1);
  }
}

double ms_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
}

template <typename F> double median_ms(int n, F f) {
  std::vector<double> v;
  for (int i = 0; i < n; ++i) {
    auto t0 = std::chrono::steady_clock::now();
    f();
    v.push_back(ms_since(t0));
  }
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

std::string read_all(const std::string &path) {
  std::ifstream in(path);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

} // namespace

int main(int argc, char **argv) {
  bool keep = argc > 1 && std::string(argv[1]) == "--keep"; // keep the generated files
  fs::path dir = fs::temp_directory_path() / fmt::format("lp-diff-bench-{}", getpid());
  fs::create_directories(dir);
  auto p = [&](const char *n) { return (dir / n).string(); };
  std::ofstream(p("orig.s")) << generate(false);
  std::ofstream(p("patched.s")) << generate(true);
  std::string stub = ".text\n";
  for (std::string n : {"printk", "__x86_return_thunk"})
    stub += fmt::format(".globl {0}\n.type {0},@function\n{0}: ret\n.size {0},1\n", n);
  for (int e = 0; e < kExternals; ++e)
    stub += fmt::format(".globl ext{0}\n.type ext{0},@function\next{0}: ret\n.size ext{0},1\n", e);
  stub += ".section .note.GNU-stack,\"\",@progbits\n";
  std::ofstream(p("stub.s")) << stub;
  must(fmt::format("as {} -o {} && as {} -o {} && as {} -o {}", p("orig.s"), p("orig.o"),
                   p("patched.s"), p("patched.o"), p("stub.s"), p("stub.o")));
  must(fmt::format("ld --build-id=sha1 -Ttext=0xffff82d040200000 -e 0 -o {} {} {}", p("xen-syms"),
                   p("orig.o"), p("stub.o")));

  lp::diff::Options o;
  o.original = p("orig.o");
  o.patched = p("patched.o");
  o.xen_syms = p("xen-syms");
  o.output = p("out.o");
  lp::diff::Result last;
  double engine = median_ms(5, [&] { last = lp::diff::create_diff_object(o); });
  if (last.status != lp::diff::kWritten || last.changed != std::vector<std::string>{"fn1234"}) {
    fmt::print(stderr, "diff_bench: unexpected verdict (status {}, {} changed): {}\n",
               static_cast<int>(last.status), last.changed.size(), last.error);
    return 1;
  }
  double readelf = median_ms(5, [&] {
    must(fmt::format("readelf -W -S -s -r {} {} > /dev/null", o.original, o.patched));
  });

  std::string tool = LP_CREATE_DIFF_OBJECT;
  std::string cli = fmt::format("{} {} {} {} {} > /dev/null", tool, o.original, o.patched,
                                o.xen_syms, p("cli.o"));
  must(cli);
  struct rusage ru {};
  getrusage(RUSAGE_CHILDREN, &ru); // includes the readelf runs: take the CLI alone below
  must(fmt::format("/usr/bin/time -f %M -o {} {}", p("rss"), cli));
  std::string rss = read_all(p("rss"));
  rss.erase(rss.find_last_not_of("\n ") + 1);

  std::string instructions = "n/a (valgrind not installed)";
  if (sh("valgrind --version > /dev/null 2>&1") == 0) {
    sh(fmt::format("valgrind --tool=callgrind --callgrind-out-file={} {} {} {} {} {} > /dev/null "
                   "2> {}",
                   p("callgrind.out"), tool, o.original, o.patched, o.xen_syms, p("cg.o"),
                   p("cg.log")));
    std::string log = read_all(p("cg.log"));
    const std::string key = "Collected : ";
    if (size_t at = log.find(key); at != std::string::npos)
      instructions = log.substr(at + key.size(), log.find('\n', at) - at - key.size());
  }

  fmt::print("diff_bench: {} function sections, {} data objects, {} relocations per object, "
             "1 changed function\n",
             kFunctions, kData, kFunctions * 7);
  fmt::print("  create-diff-object (in-process, median of 5): {:8.2f} ms\n", engine);
  fmt::print("  readelf -W -S -s -r of both (median of 5):    {:8.2f} ms\n", readelf);
  fmt::print("  ratio engine/readelf:                         {:8.2f}\n", engine / readelf);
  fmt::print("  instructions (callgrind, one CLI run):        {}\n", instructions);
  fmt::print("  peak RSS (one CLI run):                       {} KiB\n", rss);
  fmt::print("  target: < 30 ms and below readelf: {}\n",
             engine < 30 && engine < readelf ? "met" : "NOT met");
  std::error_code ec;
  if (keep)
    fmt::print("  files kept in {}\n", dir.string());
  else
    fs::remove_all(dir, ec);
  return 0;
}
