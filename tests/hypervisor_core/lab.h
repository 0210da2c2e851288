// Test fixtures for the hypervisor's live-patch core on the host.
//
// Lab builds, once per test process, a small fake hypervisor image
// (xen-syms: a few functions, one with ENDBR64, a static, a build-id) and
// payloads the way Xen's own test payloads are built: C compiled with Xen's
// flags, the build-id notes copied out of xen-syms (or another payload) and
// wrapped with objcopy, `ld -r --build-id=sha1`, .livepatch.funcs made
// read-only. ElfEdit corrupts single fields of a payload in memory; Core
// resets the loader and the host platform around each test.
#pragma once

#include "host_platform.h"
#include "xen/livepatch_core.h"
#include "support/fixture.h"

#include <elf.h>
#include <map>
#include <string>
#include <vector>

namespace lp::hyptest {

struct PayloadOpts {
  std::string depends_on;      // empty: the hypervisor; else a payload file
  bool xen_depends = true;     // add .livepatch.xen_depends
  std::vector<std::string> cflags;
};

// C prelude every payload source gets: struct livepatch_func, section macros
// and the fake hypervisor's functions.
extern const char kPayloadPrelude[];

class Lab {
public:
  static Lab &get();
  const std::string &xen_syms() const { return xen_syms_; }
  uint64_t addr(const std::string &sym) const { return syms_.at(sym).first; }
  uint64_t size(const std::string &sym) const { return syms_.at(sym).second; }
  std::vector<uint8_t> image_bytes(uint64_t addr, size_t len) const;
  // Builds (once per name) a payload from `source`; returns its path.
  std::string build(const std::string &name, const std::string &source,
                    const PayloadOpts &opts = {});
  static std::vector<uint8_t> read(const std::string &path);
  const lp::test::TempDir &dir() const { return dir_; }

private:
  Lab();
  lp::test::TempDir dir_;
  std::string xen_syms_;
  std::map<std::string, std::pair<uint64_t, uint64_t>> syms_;
  std::map<std::string, std::string> built_;
};

// Field-level edits of an ELF64 payload held in memory.
class ElfEdit {
public:
  explicit ElfEdit(std::vector<uint8_t> b) : bytes(std::move(b)) {}
  std::vector<uint8_t> bytes;
  Elf64_Ehdr *eh() { return reinterpret_cast<Elf64_Ehdr *>(bytes.data()); }
  Elf64_Shdr *sh(unsigned i);
  unsigned index(const std::string &section);
  Elf64_Shdr *sh(const std::string &section) { return sh(index(section)); }
  uint8_t *data(const std::string &section) { return bytes.data() + sh(section)->sh_offset; }
  unsigned sym_index(const std::string &name);
  Elf64_Sym *sym(unsigned i);
  Elf64_Sym *sym(const std::string &name) { return sym(sym_index(name)); }
  // The RELA entry of `rela_section` whose r_offset is `offset`.
  Elf64_Rela *rela_at(const std::string &rela_section, uint64_t offset);
  // Renames a section in .shstrtab (new name of the same length).
  void rename(const std::string &from, const std::string &to);
  // Renames a symbol in .strtab (same length).
  void rename_symbol(const std::string &from, const std::string &to);
};

// The loader and the host platform, reset on construction and destruction;
// the fake xen-syms is loaded.
struct Core {
  Core();
  ~Core();
  Core(const Core &) = delete;
  Core &operator=(const Core &) = delete;
  static int upload(const std::string &name, const std::vector<uint8_t> &bytes,
                    uint32_t flags = 0);
  // ACTION, then the rendezvous (one host CPU) if it was scheduled.
  static int action(const std::string &name, uint32_t cmd, uint32_t flags = 0);
  static uint32_t state(const std::string &name);
  static int32_t rc(const std::string &name);
  static std::string last_log();
};

// Revert every applied payload (top first) and unload everything.
void reset_core();

} // namespace lp::hyptest
