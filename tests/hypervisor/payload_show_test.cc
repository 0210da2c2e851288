// `livepatch-check --show`: what a payload holds, printed so that nobody needs
// readelf. The payloads are the in-tree hypervisor's Xen-style test payloads
// (built with the test image) and a livepatch-build payload signed both ways.
// Expected values come from elsewhere than the inspector: readelf for
// build-ids and section sizes, the test build's config.h/expect_config.h for
// function sizes, addresses and expected bytes, nm for xen-syms addresses, and
// the fixture sources for hook names.
#include "support/fixture.h"

#include <catch2/catch.hpp>
#include <filesystem>
#include <fmt/format.h>
#include <fstream>
#include <regex>
#include <sstream>

namespace fs = std::filesystem;
using lp::test::RunResult;
using lp::test::build_id_of;

namespace {

std::string image() { return MINIXEN_IMAGE_DIR; }
std::string check_tool() { return std::string(LP_BINARY_DIR) + "/hypervisor/check/livepatch-check"; }
std::string payload(const std::string &name) {
  return image() + "/test/livepatch/" + name + ".livepatch";
}

std::string trim(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == ' '))
    s.pop_back();
  return s;
}

std::string shell(const std::string &cmd) {
  RunResult r = lp::test::run_shell(cmd);
  REQUIRE(r.status == 0);
  return trim(r.output);
}

// Size of section `name` per readelf, or -1 when absent.
long section_size(const std::string &elf, const std::string &name) {
  std::string out = shell("readelf -SW " + elf + " | sed 's/^ *\\[ *[0-9]*\\] //' | awk '$1 == \"" +
                          name + "\" {print $5}'");
  return out.empty() ? -1 : std::stol(out, nullptr, 16);
}

// `#define NAME value` from the test build's generated headers.
std::string config(const std::string &header, const std::string &name) {
  return shell("awk '$2 == \"" + name + "\" {$1 = $2 = \"\"; print}' " + image() +
               "/test/livepatch/" + header + " | sed 's/^ *//'");
}
unsigned long config_number(const std::string &name) {
  return std::stoul(config("config.h", name), nullptr, 0);
}

// The special-section lines readelf's sizes call for, in the inspector's order.
std::string special_lines(const std::string &elf) {
  const std::vector<std::pair<std::string, long>> table = {
      {".altinstructions", 14}, {".altinstr_replacement", 0}, {".alt_call_sites", 4},
      {".ex_table", 8},         {".fixup", 0},                {".bug_frames.0", 8},
      {".bug_frames.1", 8},     {".bug_frames.2", 8},         {".bug_frames.3", 16}};
  std::string lines;
  int n = 0;
  for (const auto &[name, entry] : table) {
    long size = section_size(elf, name);
    if (size < 0)
      continue;
    n++;
    if (entry)
      lines += fmt::format("  {}: {} {}, {} bytes\n", name, size / entry,
                           size / entry == 1 ? "entry" : "entries", size);
    else
      lines += fmt::format("  {}: {} bytes\n", name, size);
  }
  return fmt::format("special sections: {}\n", n) + lines;
}

// The functions in a hook section's slots, in slot order, per readelf -r
// (the fixture's hooks point at their .text.<fn> section symbols).
std::string hook_targets(const std::string &elf, const std::string &kind) {
  return shell("readelf -rW " + elf + " | awk '/^Relocation section/ {f = index($0, \"'.rela.livepatch.hooks." +
               kind + "'\")} f && $5 ~ /^[.]text[.]/ {print $1, substr($5, 7)}' | sort | "
               "cut -d' ' -f2 | paste -sd, | sed 's/,/, /g'");
}

RunResult show(std::vector<std::string> args) {
  args.insert(args.begin(), {check_tool(), "--show"});
  return lp::test::run(args);
}

std::string header(const std::string &p, const std::string &name_line,
                   const std::string &version) {
  return fmt::format("payload: {} ({} bytes)\nname: {}\nxen version: {}\nbuild-id: {}\n", p,
                     fs::file_size(p), name_line, version, build_id_of(p));
}

} // namespace

TEST_CASE("show: xen_hello_world's function, hooks, special sections and metadata",
          "[show][e2e]") {
  std::string p = payload("xen_hello_world");
  std::string xen = build_id_of(image() + "/xen-syms");
  std::string function = fmt::format(
      "  xen_extra_version: old xen_extra_version at load, {} bytes; new xen_hello_world, {} "
      "bytes\n",
      config_number("OLD_CODE_SZ"), config_number("NEW_CODE_SZ"));
  std::string expected = header(p, "xen_hello_world (from the file name)", "not recorded") +
                         "xen-depends: " + xen + "\n" + "depends: " + xen +
                         " (the Xen build-id: applies directly on Xen)\n" + "functions: 1\n" +
                         function +
                         "hooks: 2\n"
                         "  load: " + hook_targets(p, "load") + "\n" +
                         "  unload: " + hook_targets(p, "unload") + "\n" +
                         special_lines(p) +
                         "metadata: 1\n"
                         "  LIVEPATCH_RULEZ\n"
                         "signature: none\n";
  RunResult r = show({p});
  CHECK(r.status == 0);
  CHECK(r.output == expected);
  // The special sections Xen's hello-world payload is known for are all there.
  for (const char *s : {".altinstructions", ".ex_table", ".fixup", ".bug_frames.2"})
    CHECK(r.output.find(std::string("  ") + s + ": ") != std::string::npos);
  // The fixture's hooks: hi_func loads; check_fnc and hi_func unload.
  CHECK(hook_targets(p, "load") == "hi_func");
  CHECK((hook_targets(p, "unload") == "check_fnc, hi_func" ||
         hook_targets(p, "unload") == "hi_func, check_fnc"));

  // With the hypervisor's xen-syms, the address Xen will patch.
  std::string addr = shell("nm " + image() + "/xen-syms | awk '$3 == \"xen_extra_version\" {print $1}'");
  RunResult with_syms = show({"--xen-syms", image() + "/xen-syms", p});
  CHECK(with_syms.status == 0);
  std::istringstream lines(with_syms.output);
  std::vector<std::string> got;
  for (std::string l; std::getline(lines, l);)
    got.push_back(l);
  REQUIRE(got.size() > 7);
  CHECK(got[7] == fmt::format("  xen_extra_version: old xen_extra_version = {:#x} in xen-syms, {} "
                              "bytes; new xen_hello_world, {} bytes",
                              std::stoul(addr, nullptr, 16), config_number("OLD_CODE_SZ"),
                              config_number("NEW_CODE_SZ")));
}

TEST_CASE("show: a stacked payload depends on another payload's build-id", "[show][e2e]") {
  std::string p = payload("xen_bye_world");
  RunResult r = show({p});
  CHECK(r.status == 0);
  std::string hello = build_id_of(payload("xen_hello_world"));
  CHECK(r.output.find("\ndepends: " + hello +
                      " (another payload's build-id: applies on top of that payload)\n") !=
        std::string::npos);
  CHECK(r.output.find("\nxen-depends: " + build_id_of(image() + "/xen-syms") + "\n") !=
        std::string::npos);
}

TEST_CASE("show: a NOP entry with an absolute old_addr, and an expectation", "[show][e2e]") {
  RunResult nop = show({payload("xen_nop")});
  CHECK(nop.status == 0);
  unsigned long size = config_number("MINOR_VERSION_SZ");
  CHECK(nop.output.find(fmt::format("functions: 1\n  (no name): old {:#x}, {} bytes; new NOP, {} "
                                    "bytes\nhooks: 0\n",
                                    config_number("MINOR_VERSION_ADDR"), size, size - 5)) !=
        std::string::npos);

  RunResult exp = show({payload("xen_expectations")});
  CHECK(exp.status == 0);
  // EXPECT_BYTES is "{ 0xf3,0x0f,... }": the same bytes, as the inspector spells them.
  std::string bytes = shell("awk '$2 == \"EXPECT_BYTES\"' " + image() +
                            "/test/livepatch/expect_config.h | grep -o '0x[0-9a-f]*' | "
                            "sed 's/0x//' | paste -sd' '");
  CHECK(exp.output.find("; expects " + bytes + "\n") != std::string::npos);
}

TEST_CASE("show --json: the fields a machine reads", "[show][e2e][json]") {
  std::string p = payload("xen_hello_world");
  std::string xen = build_id_of(image() + "/xen-syms");
  RunResult r = show({"--json", p});
  CHECK(r.status == 0);
  const std::string &j = r.output;
  CHECK(j.starts_with("{\n  \"payload\": \"" + p + "\",\n"));
  for (const std::string &field :
       {fmt::format("\"size\": {},", fs::file_size(p)), std::string("\"name\": \"xen_hello_world\","),
        std::string("\"name_source\": \"file name\","), std::string("\"xen_version\": null,"),
        "\"build_id\": \"" + build_id_of(p) + "\",", "\"xen_depends\": \"" + xen + "\",",
        "\"depends\": \"" + xen + "\",", std::string("\"depends_on_xen\": true,"),
        fmt::format("{{\"name\": \"xen_extra_version\", \"old_addr\": null, \"old_addr_source\": "
                    "null, \"old_symbol\": \"xen_extra_version\", \"old_size\": {}, "
                    "\"new_symbol\": \"xen_hello_world\", \"new_offset\": 0, \"new_size\": {}, "
                    "\"nop\": false, \"version\": 2, \"expect\": null}}",
                    config_number("OLD_CODE_SZ"), config_number("NEW_CODE_SZ")),
        std::string("{\"kind\": \"load\", \"targets\": [\"hi_func\"]}"),
        "{\"kind\": \"unload\", \"targets\": [\"" +
            std::regex_replace(hook_targets(p, "unload"), std::regex(", "), "\", \"") + "\"]}",
        fmt::format("{{\"name\": \".ex_table\", \"size\": {}, \"entries\": {}}}",
                    section_size(p, ".ex_table"), section_size(p, ".ex_table") / 8),
        std::string("\"metadata\": [\"LIVEPATCH_RULEZ\"],"), std::string("\"signatures\": []\n}")})
    CHECK_THAT(j, Catch::Contains(field));
}

TEST_CASE("show: both signature formats, and errors", "[show][e2e][sign]") {
  lp::test::TempDir dir;
  REQUIRE(lp::test::run({std::string(LP_SOURCE_DIR) + "/scripts/make-test-key.sh", dir.file("k")})
              .status == 0);
  std::string note = dir.file("note.livepatch"), appended = dir.file("appended.livepatch");
  std::string sign = lp::test::tool_path("livepatch-sign");
  REQUIRE(lp::test::run({sign, "sign", "--format", "note", "--key", dir.file("k/signing_key.pem"),
                         "-o", note, payload("xen_hello_world")})
              .status == 0);
  REQUIRE(lp::test::run({sign, "sign", "--format", "appended", "--key",
                         dir.file("k/signing_key.pem"), "--cert", dir.file("k/signing_cert.pem"),
                         "-o", appended, payload("xen_hello_world")})
              .status == 0);
  RunResult n = show({note});
  CHECK(n.status == 0);
  CHECK_THAT(n.output, Catch::EndsWith(fmt::format(
                           "signature: note, 256 bytes, covering {} bytes; RSA PKCS#1 v1.5, "
                           "SHA-256 (note type 0x00000001)\n",
                           fs::file_size(note))));
  RunResult a = show({appended});
  CHECK(a.status == 0);
  // The CMS blob sits between the payload and the 12-byte header plus the
  // 28-byte magic "~Module signature appended~\n"; the signer is named by the
  // certificate's issuer and serial, as openssl prints them.
  std::string cert = dir.file("k/signing_cert.pem");
  std::string issuer = shell("openssl x509 -noout -issuer -nameopt RFC2253 -in " + cert);
  std::string serial = shell("openssl x509 -noout -serial -in " + cert);
  uintmax_t unsigned_size = fs::file_size(payload("xen_hello_world"));
  CHECK_THAT(a.output,
             Catch::EndsWith(fmt::format(
                 "\nsignature: appended, {} bytes, covering {} bytes; CMS SignedData, SHA256, no "
                 "signed attributes; signer issuer \"{}\", serial {}\n",
                 fs::file_size(appended) - unsigned_size - 12 - 28, unsigned_size,
                 issuer.substr(issuer.find('=') + 1), serial.substr(serial.find('=') + 1))));
  // The rest of the report is the unsigned payload's, bar path and size.
  CHECK_THAT(a.output, Catch::Contains("\nfunctions: 1\n  xen_extra_version: old "));

  dir.write("junk.livepatch", "not ELF");
  RunResult junk = show({dir.file("junk.livepatch")});
  CHECK(junk.status == 1);
  CHECK_THAT(junk.output, Catch::StartsWith(dir.file("junk.livepatch") + ": "));
  RunResult json_alone = lp::test::run(
      {check_tool(), "--json", payload("xen_hello_world")});
  CHECK(json_alone.status == 1);
  CHECK(json_alone.output == "--json needs --show\n");
}
