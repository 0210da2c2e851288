// livepatch-build's command line: upstream's options, meanings, defaults and
// validation messages, in upstream's order (reference §1.2), plus what a CI
// user expects on top (--json, --cache-dir, --expect, --sign-*).
//
// Validation happens after parsing, one check at a time in upstream's order,
// so the first problem a user hits is the one upstream would have named:
//   Xen directory not given / does not exist, Patchfile not given / does not
//   exist, .config not given / does not exist, Output directory not given,
//   Build-id dependency not given, xen-syms file does not exist.
// --xen-depends is no longer mandatory: when absent it is read from the
// build-id of --xen-syms, or of the xen-syms the original build produces.
// --depends is not needed by a build-only run (-k diff), which makes no
// payload; upstream asks for both always.
#pragma once

#include <optional>
#include <string>
#include <vector>

namespace lp::payload {

struct Options {
  std::string srcdir;
  std::string patch;
  std::string config;
  std::string output;
  unsigned cpus = 1;
  std::string skip;  // "build", "diff" or anything else (both phases)
  bool debug = false;
  bool xen_debug = false;
  std::string xen_syms;
  std::string depends;
  std::string xen_depends;
  bool prelink = false;
  bool strip = false;
  // Beyond upstream.
  bool expect = false;
  std::string xen_version; // target release MAJOR.MINOR; "" = detect (target_version.h)
  std::string json;
  std::string cache_dir;
  // Signing the payload at the end (src/sign): the key (file or pkcs11: URI),
  // the certificate (needed for "appended"), the format, and where the key's
  // passphrase is (else $LIVEPATCH_SIGN_PIN / $KBUILD_SIGN_PIN). No key, no signature.
  std::string sign_key;
  std::string sign_cert;
  std::string sign_format = "note";
  std::string sign_passphrase_file;
  // Payloads loaded below this one, bottom of the stack first: the loader
  // check applies them before this one (loader_check.h).
  std::vector<std::string> loaded;
  // The patched build (build_path.h): never the fast path, or both paths
  // compared (fast_path_check.h).
  bool no_fast_path = false;
  bool check_fast_path = false;

  bool build_phase() const { return skip != "build"; }
  bool diff_phase() const { return skip != "diff"; }
};

// Thrown for a bad command line; livepatch-build prints "ERROR: <message>."
// and exits 1.
struct UsageError {
  std::string message;
};

// Parses and validates argv. Returns nullopt when --help was printed.
std::optional<Options> parse_options(int argc, char **argv);

// Upstream's payload name: the patch file's base name, without its last
// suffix if the name mentions .patch or .diff, every character outside
// [A-Za-z0-9_-] turned into '-', cut to 127 characters (Xen's
// XEN_LIVEPATCH_NAME_SIZE is 128 with the NUL).
std::string payload_name(const std::string &patch_path);

} // namespace lp::payload
