// Boots the in-tree hypervisor under QEMU for one test and drives it.
//
// QEMU runs with the machine the issue prescribes (pc, TCG, qemu64, 2 CPUs,
// 256 MiB, -nographic -no-reboot), COM1 written to a console file and COM2
// on a Unix socket for minixen-livepatch. The constructor waits for the
// "minixen: ready" line (and fails the test after 10 s); the destructor
// stops QEMU.
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
  // Like tool(), but retries when the tool exits 2 because the rendezvous
  // timed out (-EBUSY) or did not complete: on a loaded host a vCPU can miss
  // Xen's 30 ms deadline, and exit 2 means "retry" in xen-livepatch. Retries
  // go on for as long as kGuardMs allows: a busy machine only makes it slower.
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

} // namespace minixen::test
