// xen-livepatch's verbs over the control channel.
//
// The action flow is xen-livepatch's: GET the status; if an action is
// already pending say so and return EAGAIN; if the payload is already in the
// end state print "No action needed"; refuse a wrong state; otherwise send
// the ACTION with a 30 ms timeout, wait twice the timeout, and GET again
// until the result is known. One difference: where xen-livepatch polls once,
// this tool polls until the hypervisor has a result. The hypervisor always
// reaches one (the action ran, or its rendezvous timed out: -EBUSY), so the
// wait ends on that event, not after a time that a busy host may exceed; the
// channel's response timeout (--timeout) only guards against a hung guest.
#include "livepatch_commands.h"

#include "xen_errno.h"

#include "public/control.h"

#include <fmt/format.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <iterator>
#include <thread>

namespace minixen {
namespace {

constexpr uint32_t kStateChecked = 1;
constexpr uint32_t kStateApplied = 2;
constexpr uint32_t kTimeoutNs = 30000000;
constexpr uint32_t kFlagNodeps = 1;
constexpr uint32_t kFlagForce = 1;

struct VerbInfo {
  const char *name;      // as typed
  const char *doing;     // progress message
  uint32_t cmd;          // LIVEPATCH_ACTION_*
  uint32_t allowed;      // state the payload must be in
  uint32_t end_state;    // state that means "done" (0: gone, for unload)
};

// Indexed by LivepatchCommands::Verb.
const VerbInfo kVerbs[] = {
    {"unload", "Unloading", 1, kStateChecked, 0},
    {"revert", "Reverting", 2, kStateApplied, kStateChecked},
    {"apply", "Applying", 3, kStateChecked, kStateApplied},
    {"replace", "Replacing all live patches with", 4, kStateChecked, kStateApplied},
};

int exit_code_for(int err) {
  int e = err < 0 ? -err : err;
  return (e == XEN_EAGAIN || e == XEN_EBUSY) ? EXIT_RETRY : EXIT_ERROR;
}

bool reached_end(const VerbInfo &v, const PayloadStatus &s) {
  if (v.end_state == 0)
    return s.get_rc == -XEN_ENOENT;
  return s.get_rc == 0 && s.state == v.end_state;
}

} // namespace

std::string state_name(uint32_t state) {
  switch (state) {
  case kStateChecked:
    return "CHECKED";
  case kStateApplied:
    return "APPLIED";
  default:
    return fmt::format("unknown({})", state);
  }
}

std::string payload_name_of(const std::string &file) {
  std::string base = file.substr(file.find_last_of('/') + 1);
  auto dot = base.find_last_of('.');
  return dot == std::string::npos || dot == 0 ? base : base.substr(0, dot);
}

PayloadStatus LivepatchCommands::status(const std::string &name) {
  std::vector<uint8_t> body;
  put_cstr(body, name);
  Response r = ch_.request(CTL_GET, body);
  PayloadStatus s;
  s.get_rc = r.rc;
  if (r.rc == 0) {
    s.state = get_u32(r.body, 0);
    s.rc = static_cast<int32_t>(get_u32(r.body, 4));
  }
  return s;
}

int LivepatchCommands::info() {
  Response r = ch_.request(CTL_HELLO, {});
  std::printf("%.*s\n", static_cast<int>(r.body.size()), reinterpret_cast<const char *>(r.body.data()));
  return EXIT_OK;
}

int LivepatchCommands::list() {
  Response r = ch_.request(CTL_LIST, {});
  if (r.rc) {
    std::fprintf(stderr, "Failed to list payloads: %s\n", describe_errno(r.rc).c_str());
    return exit_code_for(r.rc);
  }
  uint32_t count = get_u32(r.body, 0);
  std::printf(" %-40s| %-27s| metadata\n", "ID", "status");
  std::printf("%s+%s+%s\n", std::string(41, '-').c_str(), std::string(28, '-').c_str(),
              std::string(16, '-').c_str());
  size_t off = 8;
  for (uint32_t i = 0; i < count; i++) {
    uint32_t state = get_u32(r.body, off);
    int32_t rc = static_cast<int32_t>(get_u32(r.body, off + 4));
    uint32_t name_size = get_u32(r.body, off + 8);
    std::string name(reinterpret_cast<const char *>(&r.body.at(off + 12)), name_size - 1);
    off += 12 + name_size;
    uint32_t meta_len = get_u32(r.body, off);
    std::string meta(r.body.begin() + off + 4, r.body.begin() + off + 4 + meta_len);
    off += 4 + meta_len;
    while (!meta.empty() && meta.back() == '\0')
      meta.pop_back();
    for (char &c : meta)
      if (c == '\0')
        c = ';';
    std::string status = state_name(state);
    if (rc)
      status += fmt::format(" ({}, {})", -rc, xen_strerror(-rc));
    std::printf("%-41s| %-27s| %s\n", name.c_str(), status.c_str(), meta.c_str());
  }
  return EXIT_OK;
}

int LivepatchCommands::upload(const std::string &name, const std::string &file) {
  if (name.empty() || name.size() + 1 > 128) {
    std::fprintf(stderr, "%s: name must be 1..127 characters\n", name.c_str());
    return EXIT_ERROR;
  }
  std::ifstream in(file, std::ios::binary);
  if (!in) {
    std::fprintf(stderr, "%s: cannot open payload file\n", file.c_str());
    return EXIT_ERROR;
  }
  std::vector<uint8_t> data((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::vector<uint8_t> body;
  put_u32(body, force_ ? kFlagForce : 0);
  put_u32(body, static_cast<uint32_t>(name.size() + 1));
  put_cstr(body, name);
  body.insert(body.end(), data.begin(), data.end());
  std::printf("Uploading %s... ", file.c_str());
  std::fflush(stdout);
  Response r = ch_.request(CTL_UPLOAD, body);
  if (r.rc) {
    std::printf("failed\n");
    std::fprintf(stderr, "Error %s\n", describe_errno(r.rc).c_str());
    return exit_code_for(r.rc);
  }
  std::printf("completed\n");
  return EXIT_OK;
}

int LivepatchCommands::action(Verb verb, const std::string &name, bool nodeps) {
  const VerbInfo &v = kVerbs[verb];
  PayloadStatus s = status(name);
  if (reached_end(v, s)) {
    std::printf("No action needed\n");
    return EXIT_OK;
  }
  if (s.get_rc) {
    std::fprintf(stderr, "%s failed to get status %s!\n", name.c_str(),
                 describe_errno(s.get_rc).c_str());
    return exit_code_for(s.get_rc);
  }
  if (s.rc == -XEN_EAGAIN) {
    std::fprintf(stderr, "%s: operation already in progress\n", name.c_str());
    return EXIT_RETRY;
  }
  if (s.state != v.allowed) {
    std::fprintf(stderr, "%s: in wrong state (%s), expected (%s)\n", name.c_str(),
                 state_name(s.state).c_str(), state_name(v.allowed).c_str());
    return EXIT_ERROR;
  }
  std::vector<uint8_t> body;
  put_u32(body, v.cmd);
  put_u32(body, kTimeoutNs);
  put_u32(body, nodeps ? kFlagNodeps : 0);
  put_cstr(body, name);
  std::printf("%s %s:", v.doing, name.c_str());
  std::fflush(stdout);
  Response r = ch_.request(CTL_ACTION, body);
  if (r.rc) {
    std::printf(" failed with %s\n", describe_errno(r.rc).c_str());
    return exit_code_for(r.rc);
  }
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(ch_.timeout_ms());
  std::this_thread::sleep_for(std::chrono::nanoseconds(2 * kTimeoutNs));
  s = status(name);
  while (s.get_rc == 0 && s.rc == -XEN_EAGAIN && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    s = status(name);
  }
  if (s.get_rc == 0 && s.rc == -XEN_EAGAIN) {
    std::printf(" operation didn't complete\n");
    return EXIT_RETRY;
  }
  if (reached_end(v, s)) {
    std::printf(" completed\n");
    return EXIT_OK;
  }
  int err = s.get_rc ? s.get_rc : s.rc;
  if (err) {
    std::printf(" failed with %s\n", describe_errno(err).c_str());
    return exit_code_for(err);
  }
  std::printf(" failed: in state %s\n", state_name(s.state).c_str());
  return EXIT_ERROR;
}

int LivepatchCommands::load(const std::string &file, bool nodeps) {
  std::string name = payload_name_of(file);
  int rc = upload(name, file);
  if (rc)
    return rc;
  rc = apply(name, nodeps);
  if (rc) {
    std::fprintf(stderr, "Unloading %s after the failed apply\n", name.c_str());
    unload(name);
  }
  return rc;
}

int LivepatchCommands::call(const std::string &hypercall, int64_t arg) {
  std::vector<uint8_t> body;
  put_u64(body, static_cast<uint64_t>(arg));
  put_cstr(body, hypercall);
  Response r = ch_.request(CTL_CALL, body);
  if (r.rc) {
    std::fprintf(stderr, "call %s: %s\n", hypercall.c_str(),
                 r.rc == -XEN_ENOSYS ? "no such hypercall" : describe_errno(r.rc).c_str());
    return exit_code_for(r.rc);
  }
  if (get_u32(r.body, 0))
    std::printf("%s\n", reinterpret_cast<const char *>(&r.body.at(12)));
  else
    std::printf("%lld\n", static_cast<long long>(get_u64(r.body, 4)));
  return EXIT_OK;
}

int LivepatchCommands::workload() {
  Response r = ch_.request(CTL_WORKLOAD, {});
  std::fwrite(r.body.data(), 1, r.body.size(), stdout);
  return EXIT_OK;
}

} // namespace minixen
