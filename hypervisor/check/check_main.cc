// livepatch-check: would this payload load on this hypervisor?
//
// Runs the hypervisor's own upload path (the live-patch core compiled for the
// host) against a xen-syms file: every check of Xen's loader, in Xen's order,
// with Xen's errno. --loaded payloads are uploaded first (and applied, in
// order, with --apply), so duplicate build-ids and new symbols, symbol
// resolution against loaded payloads, and the stacking rule are checked as on
// a live system. With --apply the payload is also applied: the
// .livepatch.depends check against the hypervisor or the top of the stack,
// expectations against the bytes in xen-syms, and the patching itself.
//
// The loader follows the rules of one Xen release (xen/livepatch_version.h):
// --xen-version, else the release xen-syms says it is, else 4.17; the two
// must agree when both are given.
//
// Output: "<payload>: would load" (exit 0; "would load and apply" with
// --apply), or "<payload>: refused: <ERRNO> (-<n>): <reason>" (exit 2);
// unreadable input is "<file>: <problem>" (exit 1).
//
// --show PAYLOAD [--json] prints what the payload holds instead (name, target
// Xen, build-ids, functions, hooks, special sections, .modinfo, signatures;
// src/payload/payload_inspect.h); --xen-syms is optional there and resolves
// the old addresses Xen would use.
#include "host_platform.h"
#include "key_blob.h"

#include "elf/error.h"
#include "elf/image.h"
#include "elf/xen_versions.h"
#include "lp_version.h"
#include "payload/payload_inspect.h"
#include "xen/livepatch_version.h"

#include <CLI/CLI.hpp>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <optional>
#include <set>

namespace {

using lp::hyp::HostPlatform;

constexpr int kExitRefused = 2;
constexpr int kExitError = 1;

struct Args {
  std::string xen_syms;
  std::string xen_version;
  std::vector<std::string> loaded;
  bool apply = false;
  bool nodeps = false;
  std::string signature_mode = "off";
  std::string key;
  bool verbose = false;
  bool show = false;
  bool json = false;
  std::string payload;
};

std::vector<uint8_t> read_file(const std::string &path) {
  std::ifstream in(path, std::ios::binary);
  if (!in)
    throw lp::FileError(path, "cannot open");
  std::vector<uint8_t> bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (in.bad())
    throw lp::FileError(path, "read error");
  return bytes;
}

// xen-livepatch load's name: basename minus the last extension, at most 127 chars.
std::string payload_name(const std::string &path, std::set<std::string> &used) {
  std::string name = std::filesystem::path(path).stem().string();
  if (name.empty())
    name = "payload";
  name = name.substr(0, 120);
  std::string unique = name;
  for (int i = 2; used.count(unique); i++)
    unique = name + "-" + std::to_string(i);
  used.insert(unique);
  return unique;
}

// The core's last log line about `name`, without its "livepatch: <name>: " prefix.
std::string reason_for(const std::string &name) {
  const auto &log = HostPlatform::get().log;
  std::string prefix = "livepatch: " + name + ": ";
  for (auto it = log.rbegin(); it != log.rend(); ++it)
    if (it->rfind(prefix, 0) == 0)
      return it->substr(prefix.size());
  return "refused by the loader";
}

std::string refusal(int rc, const std::string &name) {
  return "refused: " + lp::hyp::errno_name(rc) + " (" + std::to_string(rc) + "): " +
         reason_for(name);
}

// APPLY as the control tool does it: schedule, rendezvous, read the outcome.
int apply_now(const std::string &name, bool nodeps) {
  int rc = livepatch_action(name.c_str(), LIVEPATCH_ACTION_APPLY, 0,
                            nodeps ? LIVEPATCH_ACTION_APPLY_NODEPS : 0);
  if (rc)
    return rc;
  check_for_livepatch_work();
  uint32_t state = 0;
  int32_t result = 0;
  livepatch_get(name.c_str(), &state, &result);
  return result;
}

int upload(const std::string &name, const std::vector<uint8_t> &bytes) {
  return livepatch_upload(name.c_str(), bytes.data(), bytes.size(), 0);
}

// --xen-version, else what xen-syms says, else 4.17; both must agree.
lp::elf::XenVersion target_version(const Args &a) {
  std::optional<lp::elf::XenVersion> image = HostPlatform::get().image_version;
  lp::elf::XenVersion v = image.value_or(lp::elf::default_xen_release().version);
  if (!a.xen_version.empty()) {
    auto given = lp::elf::parse_xen_version(a.xen_version);
    if (!given)
      throw lp::FileError(a.xen_version, "--xen-version wants MAJOR.MINOR, e.g. 4.20");
    if (image && *image != *given)
      throw lp::FileError(a.xen_syms, "is Xen " + image->str() + ", but --xen-version says " +
                                          given->str());
    v = *given;
  }
  if (livepatch_set_xen_version(static_cast<unsigned>(v.major), static_cast<unsigned>(v.minor)))
    throw lp::FileError(a.xen_version.empty() ? a.xen_syms : a.xen_version,
                        "Xen " + v.str() + " is not supported (supported: " +
                            lp::elf::supported_xen_versions() + ")");
  return v;
}

void set_up_platform(const Args &a) {
  auto &hp = HostPlatform::get();
  hp.echo = a.verbose;
  if (!a.xen_syms.empty())
    hp.load_image(a.xen_syms);
  target_version(a);
  static const std::map<std::string, int> modes = {
      {"off", LP_SIG_OFF}, {"warn", LP_SIG_WARN}, {"enforce", LP_SIG_ENFORCE}};
  hp.signature_mode = modes.at(a.signature_mode);
  if (!a.key.empty())
    hp.signing_key = lp::hyp::key_blob_from_pem(a.key);
  if (livepatch_init())
    throw lp::FileError(a.key, "key rejected by the hypervisor's RSA code");
}

int run(const Args &a) {
  set_up_platform(a);
  std::set<std::string> used;
  for (const auto &path : a.loaded) {
    std::string name = payload_name(path, used);
    int rc = upload(name, read_file(path));
    if (!rc && a.apply)
      rc = apply_now(name, false);
    if (rc) {
      std::printf("%s: cannot be loaded as --loaded: %s\n", path.c_str(),
                  refusal(rc, name).c_str());
      return kExitError;
    }
  }
  std::vector<uint8_t> bytes = read_file(a.payload);
  std::string name = payload_name(a.payload, used);
  int rc = upload(name, bytes);
  if (!rc && a.apply)
    rc = apply_now(name, a.nodeps);
  if (rc) {
    std::printf("%s: %s\n", a.payload.c_str(), refusal(rc, name).c_str());
    return kExitRefused;
  }
  std::printf("%s: would load%s\n", a.payload.c_str(), a.apply ? " and apply" : "");
  return 0;
}

int show(const Args &a) {
  std::optional<lp::elf::LinkedImage> xen;
  if (!a.xen_syms.empty())
    xen = lp::elf::LinkedImage::open(a.xen_syms);
  auto info = lp::payload::inspect_payload(a.payload, xen ? &*xen : nullptr);
  std::string text = a.json ? lp::payload::format_json(info) : lp::payload::format_text(info);
  std::fwrite(text.data(), 1, text.size(), stdout);
  return 0;
}

} // namespace

int main(int argc, char **argv) {
  Args a;
  CLI::App app{"Check that a live-patch payload would load on a hypervisor, using the "
               "hypervisor's own loader, or show what a payload holds (--show).\nExit: 0 would "
               "load (or shown), 2 refused (Xen's errno printed), 1 input could not be read.",
               "livepatch-check"};
  app.set_version_flag("--version", lp::version_text("livepatch-check"));
  app.add_option("--xen-syms", a.xen_syms,
                 "the hypervisor's xen-syms (symbols, build-id, text); required unless --show")
      ->check(CLI::ExistingFile);
  app.add_option("--xen-version", a.xen_version,
                 "apply the loader rules of this Xen release (" +
                     lp::elf::supported_xen_versions() + "); default: what xen-syms says, else 4.17");
  app.add_option("--loaded", a.loaded, "payloads already loaded, bottom of the stack first")
      ->check(CLI::ExistingFile);
  app.add_flag("--apply", a.apply, "also run the APPLY checks (depends, expectations, patching)");
  app.add_flag("--nodeps", a.nodeps, "with --apply: LIVEPATCH_ACTION_APPLY_NODEPS");
  app.add_option("--signature-mode", a.signature_mode, "off, warn or enforce")
      ->check(CLI::IsMember({"off", "warn", "enforce"}));
  app.add_option("--key", a.key, "RSA public key (PEM) built into the hypervisor")
      ->check(CLI::ExistingFile);
  app.add_flag("-v,--verbose", a.verbose, "print the loader's log lines");
  app.add_flag("--show", a.show,
               "print what the payload holds (name, target Xen, build-ids, functions, hooks, "
               "special sections, metadata, signatures) instead of checking it");
  app.add_flag("--json", a.json, "with --show: one JSON object");
  app.add_option("payload", a.payload, "the payload to check")->required();
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError &e) {
    int rc = app.exit(e);
    return e.get_exit_code() == 0 ? 0 : (rc ? kExitError : 0);
  }
  if (a.json && !a.show) {
    std::fprintf(stderr, "--json needs --show\n");
    return kExitError;
  }
  if (a.xen_syms.empty() && !a.show) {
    std::fprintf(stderr, "--xen-syms is required\n");
    return kExitError;
  }
  try {
    return a.show ? show(a) : run(a);
  } catch (const lp::FileError &e) {
    std::fprintf(stderr, "%s\n", e.what());
    return kExitError;
  }
}
