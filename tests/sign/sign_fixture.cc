// Shared set-up for the signing tests; see sign_fixture.h.
#include "sign_fixture.h"

#include "elf/atomic_file.h"
#include "sign/note_signature.h"

#include <catch2/catch.hpp>
#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iterator>

namespace lp::test::sign {
namespace {

const TempDir &shared_dir() {
  static TempDir dir;
  return dir;
}

const std::string kKeyScript = std::string(LP_SOURCE_DIR) + "/scripts/make-test-key.sh";

// RSA key generation dominates the run time of these tests, and ctest runs
// every test case in a process of its own, so the key pairs are made once per
// build tree (and per version of the script) and reused. The folder appears
// by rename, whole or not at all, so parallel test processes never see half
// a key set.
std::string key_cache(const std::string &sub) {
  namespace fs = std::filesystem;
  size_t version = std::hash<std::string>{}(lp::read_file(kKeyScript));
  std::string dir = fmt::format("{}/tests/sign/test-keys-{:016x}/{}", LP_BINARY_DIR, version, sub);
  if (fs::exists(dir + "/verify_key.pem"))
    return dir;
  std::string tmp = fmt::format("{}.tmp-{}", dir, getpid());
  RunResult r = run({kKeyScript, tmp});
  INFO(r.output);
  REQUIRE(r.status == 0);
  std::error_code ec;
  fs::rename(tmp, dir, ec);
  if (ec)
    fs::remove_all(tmp, ec); // another test process got there first
  return dir;
}

KeySet make_keys(const std::string &sub) {
  std::string out = key_cache(sub);
  return {out + "/signing_key.pem", out + "/signing_cert.pem", out + "/signing_cert.der",
          out + "/verify_key.pem"};
}

// Something shaped like a live-patch payload: a replacement function, a
// string and a function table entry, linked with a GNU build-id note.
const char kPayloadSource[] = R"(
const char *xen_extra_version(void) { return "Hello World"; }
struct livepatch_func { const char *name; void *new_addr; void *old_addr;
                        unsigned int new_size, old_size; unsigned char version, pad[71]; };
struct livepatch_func __attribute__((section(".livepatch.funcs"))) funcs = {
  "xen_extra_version", (void *)xen_extra_version, 0, 16, 16, 2 };
)";

} // namespace

const KeySet &keys() {
  static const KeySet k = make_keys("keys1");
  return k;
}

const KeySet &other_keys() {
  static const KeySet k = make_keys("keys2");
  return k;
}

const std::vector<uint8_t> &unsigned_payload() {
  static const std::vector<uint8_t> bytes = [] {
    const TempDir &dir = shared_dir();
    std::string obj = compile_xen_c(dir, "patch", kPayloadSource);
    std::string out = dir.file("payload.livepatch");
    RunResult r = run({"ld", "-r", "--build-id=sha1", obj, "-o", out});
    INFO(r.output);
    REQUIRE(r.status == 0);
    return read_bytes(out);
  }();
  return bytes;
}

std::vector<uint8_t> read_bytes(const std::string &path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

void write_bytes(const std::string &path, const std::vector<uint8_t> &bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(reinterpret_cast<const char *>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
}

RunResult livepatch_sign(const std::vector<std::string> &args) {
  std::vector<std::string> argv = {tool_path("livepatch-sign")};
  argv.insert(argv.end(), args.begin(), args.end());
  return run(argv);
}

std::vector<uint8_t> openssl_pkcs1_sign(const TempDir &dir, const std::vector<uint8_t> &bytes,
                                        const std::string &key) {
  write_bytes(dir.file("to-sign.bin"), bytes);
  RunResult r = run({"openssl", "dgst", "-sha256", "-sign", key, "-out", dir.file("openssl.sig"),
                     dir.file("to-sign.bin")});
  INFO(r.output);
  REQUIRE(r.status == 0);
  return read_bytes(dir.file("openssl.sig"));
}

std::vector<uint8_t> openssl_note_resign(const TempDir &dir, std::vector<uint8_t> file,
                                         const std::string &key) {
  auto loc = lp::sign::locate_note_signature(file, "payload");
  auto at = file.begin() + static_cast<ptrdiff_t>(loc.descriptor_offset);
  std::fill_n(at, loc.descriptor_size, 0);
  std::vector<uint8_t> sig = openssl_pkcs1_sign(dir, file, key);
  REQUIRE(sig.size() == loc.descriptor_size);
  std::copy(sig.begin(), sig.end(), at);
  return file;
}

std::vector<uint8_t> note_signed_payload() {
  lp::sign::SignOptions opt;
  opt.key = keys().key;
  return lp::sign::sign_payload(unsigned_payload(), "payload", opt);
}

std::vector<uint8_t> appended_signed_payload(bool ski) {
  lp::sign::SignOptions opt;
  opt.format = lp::sign::Format::appended;
  opt.key = keys().key;
  opt.cert = keys().cert;
  opt.key_id_ski = ski;
  return lp::sign::sign_payload(unsigned_payload(), "payload", opt);
}

std::string verify_failure(const std::vector<uint8_t> &file, const lp::sign::VerifyOptions &opt) {
  try {
    lp::sign::verify_payload(file, "payload", opt);
    return "";
  } catch (const lp::FileError &e) {
    return e.what();
  }
}

} // namespace lp::test::sign
