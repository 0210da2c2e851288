// Test fixtures built at test time.
//
// Tests in this project compile tiny C sources with the system gcc, using the
// flags Xen 4.17 uses for hypervisor code, so that what the tests exercise is
// what real Xen objects look like (../shared/docs/real-xen-testing.md). Nothing
// binary is committed.
#pragma once

#include <string>
#include <vector>

namespace lp::test {

// gcc flags of Xen 4.17 x86-64 hypervisor C code, without -nostdinc and
// Xen's own -include; xen_cflags() adds an -include of a generated header
// that sets hidden visibility the way Xen's config header does.
const std::vector<std::string> &xen_cflags();

// A fresh folder under $TMPDIR, removed with its contents on destruction
// (kept when LP_KEEP_TMP is set in the environment, for debugging).
class TempDir {
public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir &) = delete;
  TempDir &operator=(const TempDir &) = delete;
  const std::string &path() const { return path_; }
  std::string file(const std::string &name) const { return path_ + "/" + name; }
  // Writes `contents` to file(name) and returns that path.
  std::string write(const std::string &name, const std::string &contents) const;

private:
  std::string path_;
};

struct RunResult {
  int status = -1;  // exit status, or 128+signal
  std::string output; // stdout and stderr interleaved
};

// Runs argv[0] (searched in PATH) with no shell; captures stdout and stderr.
RunResult run(const std::vector<std::string> &argv);
// Runs a shell command line; captures stdout and stderr.
RunResult run_shell(const std::string &command);
// The GNU build-id of an ELF file in hex, as readelf -n prints it ("" if none).
std::string build_id_of(const std::string &elf);

// Writes `source` to dir/<name>.c and compiles it to dir/<name>.o with the Xen
// flags plus `extra`. Fails the current test (with the compiler's output) if
// gcc fails. Returns the object path.
std::string compile_xen_c(const TempDir &dir, const std::string &name, const std::string &source,
                          const std::vector<std::string> &extra = {});

// Path of a tool built by this project (e.g. "create-diff-object").
std::string tool_path(const std::string &name);

// The whole file as text; empty when it cannot be read (a test then fails on
// what it expected to find, and can still print a log that may not exist).
std::string read_text(const std::string &path);

} // namespace lp::test
