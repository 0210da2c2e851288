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

class Minixen {
public:
  // Boots the image in `image` (default: image_dir(), signature checking off).
  explicit Minixen(const std::string &image = image_dir());
  ~Minixen();
  Minixen(const Minixen &) = delete;
  Minixen &operator=(const Minixen &) = delete;

  // Runs minixen-livepatch --socket <ours> args...
  lp::test::RunResult tool(const std::vector<std::string> &args) const;
  // Like tool(), but retries (up to 10 times) when the tool exits 2 because the
  // rendezvous timed out (-EBUSY) or did not complete: on a loaded host a vCPU
  // can miss Xen's 30 ms deadline, and exit 2 means "retry" in xen-livepatch.
  lp::test::RunResult act(const std::vector<std::string> &args) const;
  // Output of `call name [arg]`, without the newline; fails the test if the call fails.
  std::string call(const std::string &name, const std::string &arg = "") const;
  // Everything the hypervisor printed so far.
  std::string console() const;
  // Waits until the console contains text; false after timeout_ms.
  bool wait_console(const std::string &text, int timeout_ms = 5000) const;
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
