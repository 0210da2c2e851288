// Boots the in-tree hypervisor under QEMU for one test and drives it.
//
// QEMU runs with the machine the issue prescribes (pc, TCG, qemu64, 2 CPUs,
// 256 MiB, -nographic -no-reboot), COM1 written to a console file and COM2
// on a Unix socket for minixen-livepatch. The constructor waits for the
// "minixen: ready" line (failing the test only after kGuardMs); the
// destructor stops QEMU.
//
// No test depends on how fast the host is. QEMU runs with -icount
// shift=0: the guest's clocks (the HPET behind now_ns(), the APIC timer)
// count executed instructions, one nanosecond each, and both vCPUs run in
// turns on one host thread, a PAUSE in a spin loop handing over to the other
// vCPU. The hypervisor's time-bounded waits - the live-patch rendezvous'
// 30 ms deadline, the 100 ms wait for CPUs at boot - therefore measure guest
// work, not host time: on a loaded host they take longer in wall time but
// end the same way. While the guest idles (sleep=on) its clock follows the
// host's, which only matters to the control channel's 2 s gap between the
// bytes of one frame.
#pragma once

#include "support/fixture.h"

#include <string>
#include <sys/types.h>
#include <vector>

namespace minixen::test {

// Folder of the hypervisor image the tests boot (xen, xen-syms, test/livepatch).
std::string image_dir();
// The image built with CONFIG_PAYLOAD_VERIFY_MODE="enforce", and its signing key.
std::string enforce_image_dir();
std::string enforce_signing_key();

// How long a test waits for something the hypervisor should do in moments
// (boot, a console line, a rendezvous). Only a failed test waits this long:
// every wait ends as soon as the event happens, so a busy host is slower,
// never wrong.
inline constexpr int kGuardMs = 180000;

class Minixen {
public:
  // Boots the image in `image` (default: image_dir(), signature checking off).
  explicit Minixen(const std::string &image = image_dir());
  ~Minixen();
  Minixen(const Minixen &) = delete;
  Minixen &operator=(const Minixen &) = delete;

  // Runs minixen-livepatch --socket <ours> args...
  lp::test::RunResult tool(const std::vector<std::string> &args) const;
  // An action verb (load, apply, revert, replace, unload): tool() once, with
  // the tool's wait for the result guarded by kGuardMs. Never retried: under
  // -icount a rendezvous cannot time out because the host is busy, and a
  // retry would run the payload's pre-apply/pre-revert hooks again.
  lp::test::RunResult act(const std::vector<std::string> &args) const;
  // Output of `call name [arg]`, without the newline; fails the test if the call fails.
  std::string call(const std::string &name, const std::string &arg = "") const;
  // Everything the hypervisor printed so far.
  std::string console() const;
  // Waits until the console contains text; false if QEMU exits first, or
  // after timeout_ms (a failure guard, not an expectation of speed).
  bool wait_console(const std::string &text, int timeout_ms = kGuardMs) const;
  double boot_seconds() const { return boot_seconds_; }
  const lp::test::TempDir &dir() const { return dir_; }

private:
  lp::test::TempDir dir_;
  pid_t qemu_ = -1;
  mutable bool exited_ = false;
  double boot_seconds_ = 0;
};

// Path of a test payload built by build-image.sh (e.g. "xen_hello_world").
std::string payload(const std::string &name, const std::string &image = image_dir());

// livepatch-build of the example patch tests/fixtures/patches/<name>.patch
// against the image in `image` (its tree is the image's parent folder), into
// out/<name>, depending on the image's xen-syms; the cache sits beside the
// image so that every test of that image shares it.
lp::test::RunResult livepatch_build_example(const lp::test::TempDir &out, const std::string &name,
                                            const std::string &image = image_dir());

} // namespace minixen::test
