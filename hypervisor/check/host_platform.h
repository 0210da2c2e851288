// The live-patch core's platform, implemented on the host.
//
// The hypervisor's payload loader (hypervisor/xen/common/livepatch*.c) is
// compiled unchanged for the host; this class stands in for the machine. A
// xen-syms file provides what the running hypervisor would: its runtime
// symbol table (globals by name, statics as "file#name", absolute symbols
// left out as Xen's table leaves them out), its build-id, and its memory
// (a private, writable copy of every allocated section, so that applying a
// payload really writes the jump into "hypervisor text" and a test can read
// it back). Payload memory is host memory with a simulated runtime address
// just above the image, so relocations and the +-2 GiB checks see the
// numbers the hypervisor would see.
//
// By default there is one CPU, so the rendezvous completes at once when the
// caller runs check_for_livepatch_work(). Tests may declare more CPUs
// (num_cpus) and run each on a thread that calls set_current_cpu(n) and
// then polls check_for_livepatch_work(), as the hypervisor's idle loops do.
// The core's clock is the host's monotonic clock unless a test supplies its
// own (`clock`). Hooks cannot run (their code is built for the hypervisor); each call is recorded and answered by `hook_handler`,
// whose default stands in for Xen's test payloads' action hooks: an apply
// action marks every function applied, a revert action marks them not
// applied, and every hook returns 0.
#pragma once

#include "xen/livepatch.h"
#include "xen/livepatch_platform.h"

#include "elf/xen_versions.h"

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <unordered_map>
#include <vector>

namespace lp::hyp {

struct HookCall {
  int kind = 0;        // enum lp_hook_kind
  uint64_t fn = 0;     // runtime address of the hook
  std::string payload; // payload name
};

class HostPlatform {
public:
  static HostPlatform &get();
  HostPlatform() = default;
  HostPlatform(const HostPlatform &) = delete;
  HostPlatform &operator=(const HostPlatform &) = delete;
  ~HostPlatform(); // frees image copies and any payload memory still held

  // Forget the image, logs and settings (the core's payload list is not touched).
  void reset();
  // Reads xen-syms; throws lp::FileError if it cannot be read.
  void load_image(const std::string &path);
  // Fake hypervisor pieces, for tests and the fuzz glue.
  void set_build_id(std::optional<std::vector<uint8_t>> id) { build_id_ = std::move(id); }
  void add_symbol(const std::string &xen_name, uint64_t addr) { symbols_[xen_name] = addr; }
  // `size` bytes at addr: `bytes`, then zeros (a NOBITS section passes none;
  // calloc leaves its untouched pages unfaulted, so a large .bss is free).
  void add_memory(uint64_t addr, std::span<const uint8_t> bytes, uint64_t size);

  // Bytes at a runtime address (image or payload memory), if mapped.
  std::optional<std::vector<uint8_t>> read(uint64_t addr, uint64_t len) const;
  uint64_t symbol(const std::string &xen_name) const;
  const std::optional<std::vector<uint8_t>> &build_id() const { return build_id_; }
  // The Xen release the loaded xen-syms says it is (elf/xen_versions.h), if it says.
  std::optional<lp::elf::XenVersion> image_version;

  std::function<int(int kind, uint64_t fn, struct payload *p)> hook_handler;
  std::vector<HookCall> hook_calls;
  std::vector<std::string> log;     // every printk line, without the newline
  bool echo = false;                // also print log lines to stderr
  int signature_mode = LP_SIG_OFF;
  std::vector<uint8_t> signing_key; // extract-key blob; empty = none
  bool text_writable = false;
  unsigned num_cpus = 1;
  // The core's clock (lp_plat_now_ns). Empty: the host's monotonic clock.
  // Tests set it to drive time themselves, so that the rendezvous deadline
  // passes exactly when they say and never because the machine is busy.
  std::function<uint64_t()> clock;
  static void set_current_cpu(unsigned cpu); // for the calling thread
  static unsigned current_cpu();
  unsigned pokes_while_protected = 0; // writes to image text outside quiesce
  unsigned live_blocks() const { return static_cast<unsigned>(blocks_.size()); }

  // Platform calls (the extern "C" lp_plat_* functions forward here).
  void *alloc(uint64_t bytes);
  void free(void *p);
  uint64_t vaddr(const void *p) const;
  int peek(uint64_t addr, void *buf, uint64_t len) const;
  int poke(uint64_t addr, const void *buf, uint64_t len);
  int call_hook(int kind, uint64_t fn, struct payload *p);

private:
  struct Block {
    uint8_t *mem = nullptr;
    uint64_t base = 0; // runtime address of mem[0]
    uint64_t size = 0;
    bool image = false; // hypervisor memory (text/data of xen-syms)
  };
  Block *find(uint64_t addr, uint64_t len);
  const Block *find(uint64_t addr, uint64_t len) const;

  std::map<uint64_t, Block> blocks_; // by runtime address
  std::unordered_map<const void *, uint64_t> vaddr_of_;
  std::unordered_map<std::string, uint64_t> symbols_;
  std::optional<std::vector<uint8_t>> build_id_;
  uint64_t image_end_ = 0; // end of the highest image block
};

// errno value -> "EINVAL" etc. ("E<n>" if unknown).
std::string errno_name(int err);

} // namespace lp::hyp
