// The verbs of xen-livepatch (tools/misc/xen-livepatch.c), with its states,
// action flow and exit codes, over the hypervisor's control channel; plus
// `call` and `workload`, which read the results the example patches change.
//
// Exit codes: 0 success; 2 EAGAIN/EBUSY ("retry": an operation in progress
// or a rendezvous timeout); 1 anything else.
#pragma once

#include "control_channel.h"

#include <cstdint>
#include <string>

namespace minixen {

enum ExitCode : int { EXIT_OK = 0, EXIT_ERROR = 1, EXIT_RETRY = 2 };

struct PayloadStatus {
  int32_t get_rc = 0; // result of GET itself (-ENOENT if not loaded)
  uint32_t state = 0; // 1 CHECKED, 2 APPLIED
  int32_t rc = 0;     // last action's result, -EAGAIN while pending
};

class LivepatchCommands {
public:
  LivepatchCommands(ControlChannel &channel, bool force) : ch_(channel), force_(force) {}

  int info();
  int list();
  int upload(const std::string &name, const std::string &file);
  int apply(const std::string &name, bool nodeps) { return action(Apply, name, nodeps); }
  int revert(const std::string &name) { return action(Revert, name, false); }
  int replace(const std::string &name) { return action(Replace, name, false); }
  int unload(const std::string &name) { return action(Unload, name, false); }
  int load(const std::string &file, bool nodeps);
  int call(const std::string &hypercall, int64_t arg);
  int workload();

  PayloadStatus status(const std::string &name);

private:
  enum Verb { Unload, Revert, Apply, Replace };
  int action(Verb verb, const std::string &name, bool nodeps);
  ControlChannel &ch_;
  bool force_;
};

// "CHECKED", "APPLIED", or "unknown(N)".
std::string state_name(uint32_t state);
// Payload name from a file path: basename minus its last extension.
std::string payload_name_of(const std::string &file);

} // namespace minixen
