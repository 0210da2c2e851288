// Scenario fixtures for the diff engine: an original and a patched C source
// given inline, compiled the way Xen 4.17 compiles hypervisor code, renamed
// the way Xen's ENFORCE_UNIQUE_SYMBOLS renames FILE symbols (x.c ->
// common/x.c), a fake xen-syms linked from the original objects, and the
// engine run in-process on them. The prelude gives each source Xen-shaped
// macros that emit real special-section entries with inline asm.
#pragma once

#include "diff/create_diff_object.h"
#include "elf/object.h"
#include "support/fixture.h"

#include <optional>
#include <string>
#include <vector>

namespace lp::test::diff {

// Xen-like macros: BUG_ON, WARN_ON, ASSERT (.bug_frames.2/1/3),
// run_in_exception_handler (.bug_frames.0), alternative (.altinstructions +
// .altinstr_replacement, 14-byte entries), safe_read (.ex_table + .fixup),
// alt_call_site (.alt_call_sites), printk, and <livepatch/livepatch.h>.
const std::string &xen_prelude();

struct Source {
  std::string name;     // file name without .c, e.g. "x"
  std::string original; // without the prelude
  std::string patched;
};

// Where the engine finds DWARF types.
enum class Debug {
  None,        // Xen 4.17 defconfig: no -g anywhere
  Objects,     // the objects themselves are compiled with -g (Xen 4.20+)
  SideObjects, // -g side objects, passed as --original-debug/--patched-debug
};

struct Pair {
  std::vector<Source> sources; // more than one: each side is `ld -r` of all
  std::vector<Source> headers; // "<name>" for #include "<name>.h", beside the sources
  std::vector<std::string> cflags;
  Debug debug = Debug::None;
  lp::diff::Options options;   // original/patched/xen_syms/output are filled in
  bool prelude = true;
};

// One .livepatch.funcs entry, decoded with its relocations.
struct FuncEntry {
  std::string name;      // string the name relocation points at
  std::string new_sym;   // symbol the new_addr relocation points at
  uint64_t old_addr = 0;
  uint32_t new_size = 0;
  uint32_t old_size = 0;
  uint8_t version = 0;
  std::vector<uint8_t> raw; // all 104 bytes
};

struct Outcome {
  lp::diff::Result result;
  std::string xen_syms;
  std::string output;
  lp::diff::Options options;              // as the engine was run
  std::optional<lp::elf::Object> object; // the output, read back, when written

  int status() const { return result.status; }
  bool has_section(const std::string &name) const;
  std::vector<std::string> section_names() const;
  const lp::elf::Symbol *symbol(const std::string &name) const;
  std::vector<std::string> symbol_names() const;
  std::vector<FuncEntry> funcs() const;
  bool logged(const std::string &substring) const;
  std::string log_text() const;
};

Outcome run_pair(const TempDir &dir, const Pair &pair);

// The line of `text`'s first occurrence in a source's compiled file (the
// prelude counted), as DWARF and refusals name it.
int line_of(const Pair &pair, const std::string &body, const std::string &text);

// Convenience for the common single-file case.
Outcome run_sources(const TempDir &dir, const std::string &original, const std::string &patched,
                    std::vector<std::string> cflags = {});

} // namespace lp::test::diff
