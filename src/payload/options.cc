// livepatch-build option parsing and validation (see options.h).
#include "payload/options.h"

#include "elf/xen_versions.h"
#include "lp_version.h"

#include <CLI/CLI.hpp>
#include <cctype>
#include <filesystem>
#include <unistd.h>

namespace lp::payload {
namespace fs = std::filesystem;
namespace {

const char kDescription[] =
    "Build a Xen live-patch payload from a source patch.\n"
    "Drop-in for upstream livepatch-build: two builds of the tree (the original one cached),\n"
    "create-diff-object on every changed object, then one linked, checked payload\n"
    "<output>/<name>.livepatch. The source tree is never modified.\n"
    "Fast path: when the patch only modifies existing C sources, headers and assembly files\n"
    "that the original build's records cover, only the objects that read them are compiled\n"
    "(no make, no link); otherwise make runs and the reason is printed (build path: ...).\n"
    "Type layouts: a patch that changes the layout of a structure, union, enum, typedef or\n"
    "variable that changed functions use is refused (exit 2), because the running hypervisor\n"
    "already holds objects of that type. Types come from DWARF: when the build has none\n"
    "(Xen 4.17 defconfig), each changed C file is compiled once more with -g, from its\n"
    "recorded command, into <output>/debug-objects (never into the tree or the payload).\n"
    "A patch author who knows a change is safe declares it in the patch with\n"
    "LIVEPATCH_LAYOUT_CHANGE_SAFE(struct foo, \"reason\") from <livepatch/livepatch.h>;\n"
    "the reason is kept in --json and in the payload's .modinfo (layout_change=).\n"
    "Exit codes: 0 payload created, 1 error or bad option, 2 unsupported change,\n"
    "3 no functional change, 4 patch does not apply, 5 build failed, 6 the loader check\n"
    "refused the payload, 7 no space left on device, 8 --check-fast-path found the fast path\n"
    "and make disagree, 130 interrupted.\n"
    "The build date compiled in is $SOURCE_DATE_EPOCH, else derived from the inputs.";

unsigned online_cpus() {
  long n = sysconf(_SC_NPROCESSORS_ONLN);
  return n > 0 ? static_cast<unsigned>(n) : 1;
}

void require(bool ok, const char *message) {
  if (!ok)
    throw UsageError{message};
}

void validate(const Options &o) {
  require(!o.srcdir.empty(), "Xen directory not given");
  require(fs::is_directory(o.srcdir), "Xen directory does not exist");
  require(!o.patch.empty(), "Patchfile not given");
  require(fs::is_regular_file(o.patch), "Patchfile does not exist");
  require(!o.config.empty(), ".config not given");
  require(fs::is_regular_file(o.config), ".config does not exist");
  require(!o.output.empty(), "Output directory not given");
  // Upstream requires it always; a build-only run (-k diff) never uses it.
  require(!o.depends.empty() || !o.diff_phase(), "Build-id dependency not given");
  if (!o.xen_syms.empty())
    require(fs::is_regular_file(o.xen_syms), "xen-syms file does not exist");
  require(o.cpus > 0, "the number of CPUs must be at least 1");
  require(o.sign_format == "note" || o.sign_format == "appended",
          "--sign-format must be note or appended");
  require(!o.sign_key.empty() || (o.sign_cert.empty() && o.sign_passphrase_file.empty()),
          "--sign-cert and --sign-passphrase-file need --sign-key");
  for (const auto &p : o.loaded)
    if (!fs::is_regular_file(p))
      throw UsageError{"--loaded " + p + ": no such file"};
}

// Key and certificate may be pkcs11: URIs, which stay as they are.
std::string absolute_unless_uri(const std::string &s) {
  if (s.empty() || s.find(':') != std::string::npos)
    return s;
  return fs::absolute(s).string();
}

// Upstream canonicalises the patch's folder but keeps a symlink's own name,
// because the payload name comes from it.
std::string absolute_keep_name(const std::string &path) {
  fs::path p = fs::absolute(path);
  std::error_code ec;
  fs::path dir = fs::canonical(p.parent_path(), ec);
  return ((ec ? p.parent_path() : dir) / p.filename()).string();
}

} // namespace

std::optional<Options> parse_options(int argc, char **argv) {
  Options o;
  o.cpus = online_cpus();
  CLI::App app{kDescription, "livepatch-build"};
  app.set_version_flag("--version", lp::version_text("livepatch-build"));
  app.add_option("-s,--srcdir,--src", o.srcdir,
                 "Root of the Xen repository (the folder that contains xen/)");
  app.add_option("-p,--patch", o.patch, "Source patch (unified diff, applied with -p1, no fuzz)");
  app.add_option("-c,--config", o.config, ".config of the original build (CONFIG_LIVEPATCH=y)");
  app.add_option("-o,--output", o.output, "Output folder (must not exist, unless -k build)");
  app.add_option("-j,--cpus", o.cpus, "Parallel jobs for make and create-diff-object")
      ->default_str(std::to_string(o.cpus));
  app.add_option("-k,--skip", o.skip, "build: only diff and link an existing output folder; "
                                      "diff: only build");
  app.add_flag("-d,--debug", o.debug, "Pass -d to create-diff-object and prelink");
  app.add_flag("--xen-debug", o.xen_debug, "Build with debug=y (Xen without Kconfig)");
  app.add_option("--xen-syms", o.xen_syms,
                 "xen-syms of the running hypervisor (default: the one the build produces)");
  app.add_option("--depends", o.depends, "Build-id (hex) the payload depends on: Xen's, or the "
                                         "previous payload's (not needed with -k diff)");
  app.add_option("--xen-depends", o.xen_depends,
                 "Build-id (hex) of the target Xen (default: read from xen-syms; "
                 "not needed with -k diff)");
  app.add_flag("--prelink", o.prelink, "Resolve symbols against xen-syms at build time");
  app.add_flag("--strip", o.strip, "strip --strip-unneeded new object files");
  app.add_flag("--expect", o.expect,
               "Fill each function's expectation with the bytes its jump overwrites");
  app.add_option("--xen-version", o.xen_version,
                 "Target Xen release MAJOR.MINOR (" + elf::supported_xen_versions() +
                     "); default: from xen/Makefile and xen-syms, which must agree");
  app.add_option("--json", o.json, "Write a JSON summary of the run to FILE");
  app.add_option("--cache-dir", o.cache_dir,
                 "Original-build cache (default: $XDG_CACHE_HOME/livepatch-build)");
  app.add_option("--sign-key", o.sign_key,
                 "Sign the payload with this private key (PEM/DER file or pkcs11: URI)");
  app.add_option("--sign-cert", o.sign_cert,
                 "Signer certificate (required for --sign-format appended)");
  app.add_option("--sign-format", o.sign_format,
                 "note (.note.Xen.signature, default) or appended (CMS, as sign-file)");
  app.add_option("--loaded", o.loaded,
                 "A payload loaded below this one (repeat, bottom of the stack first): the "
                 "loader check applies them, then this one, so a wrong --depends is refused");
  app.add_flag("--no-fast-path", o.no_fast_path,
               "Always rebuild with make, never compile only the affected objects");
  app.add_flag("--check-fast-path", o.check_fast_path,
               "Run make and the fast path and compare the objects they rebuild "
               "(exit 8 if they differ)");
  app.add_option("--sign-passphrase-file", o.sign_passphrase_file,
                 "File holding the key's passphrase (else $LIVEPATCH_SIGN_PIN)");
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp &) {
    std::fputs(app.help().c_str(), stdout);
    return std::nullopt;
  } catch (const CLI::CallForVersion &e) {
    std::puts(e.what());
    return std::nullopt;
  } catch (const CLI::ParseError &e) {
    throw UsageError{std::string("getopt failed: ") + e.what()};
  }
  validate(o);
  o.srcdir = fs::canonical(o.srcdir).string();
  o.patch = absolute_keep_name(o.patch);
  o.config = fs::absolute(o.config).string();
  o.output = fs::absolute(o.output).lexically_normal().string();
  if (!o.output.empty() && o.output.back() == '/')
    o.output.pop_back();
  if (!o.xen_syms.empty())
    o.xen_syms = fs::absolute(o.xen_syms).string();
  if (!o.json.empty())
    o.json = fs::absolute(o.json).string();
  o.sign_key = absolute_unless_uri(o.sign_key);
  o.sign_cert = absolute_unless_uri(o.sign_cert);
  if (!o.sign_passphrase_file.empty())
    o.sign_passphrase_file = fs::absolute(o.sign_passphrase_file).string();
  for (auto &p : o.loaded)
    p = fs::absolute(p).string();
  if (!o.cache_dir.empty()) // the wrapper compares absolute paths
    o.cache_dir = fs::absolute(o.cache_dir).lexically_normal().string();
  return o;
}

std::string payload_name(const std::string &patch_path) {
  std::string name = fs::path(patch_path).filename().string();
  if (name.find(".patch") != std::string::npos || name.find(".diff") != std::string::npos) {
    auto dot = name.rfind('.');
    name.erase(dot);
  }
  for (char &c : name)
    if (!(isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-'))
      c = '-';
  if (name.size() > 127)
    name.resize(127);
  return name;
}

} // namespace lp::payload
