// The payload signature check (.note.Xen.signature, ABI doc §8) in its three
// modes, with keys and signatures made by the openssl command line, plus the
// SHA-256 and RSA primitives underneath.
#include "key_blob.h"
#include "lab.h"
#include "payloads.h"

extern "C" {
#include "xen/rsa.h"
#include "xen/sha256.h"
}

#include <catch2/catch.hpp>
#include <cstring>
#include <fmt/format.h>
#include <fstream>

using namespace lp::hyptest;
using lp::hyp::HostPlatform;
using lp::test::run_shell;

namespace {

struct Keys {
  std::string priv, pub, other_priv;
};

const Keys &keys() {
  static const Keys k = [] {
    const auto &d = Lab::get().dir();
    Keys k{d.file("key.pem"), d.file("pub.pem"), d.file("other.pem")};
    auto r = run_shell(fmt::format("openssl genrsa -out {0} 2048 && openssl rsa -in {0} -pubout "
                                   "-out {1} && openssl genrsa -out {2} 2048",
                                   k.priv, k.pub, k.other_priv));
    REQUIRE(r.status == 0);
    return k;
  }();
  return k;
}

// One ELF note: name "Xen", `type`, a zero descriptor of `len` bytes.
std::vector<uint8_t> note(uint32_t type, uint32_t len) {
  std::vector<uint8_t> n(12 + 4 + ((len + 3) & ~3u));
  uint32_t h[3] = {4, len, type};
  std::memcpy(n.data(), h, 12);
  std::memcpy(n.data() + 12, "Xen", 4);
  return n;
}

// The payload with a .note.Xen.signature section holding `notes`.
ElfEdit with_section(const std::vector<uint8_t> &notes, const std::string &tag) {
  const auto &d = Lab::get().dir();
  std::string bin = d.file(tag + ".sig.bin"), out = d.file(tag + ".signed");
  std::ofstream(bin, std::ios::binary).write(reinterpret_cast<const char *>(notes.data()),
                                             static_cast<long>(notes.size()));
  auto r = run_shell(fmt::format("objcopy --add-section .note.Xen.signature={} {} {}", bin,
                                 hello_payload(), out));
  REQUIRE(r.status == 0);
  return ElfEdit(Lab::read(out));
}

// Signs the file (descriptor zero) with `key` and writes the signature in place.
void sign(ElfEdit &e, const std::string &key, const std::string &tag) {
  const auto &d = Lab::get().dir();
  std::string file = d.file(tag + ".tosign"), sig = d.file(tag + ".sig");
  std::ofstream(file, std::ios::binary).write(reinterpret_cast<const char *>(e.bytes.data()),
                                              static_cast<long>(e.bytes.size()));
  auto r = run_shell(fmt::format("openssl dgst -sha256 -sign {} -out {} {}", key, sig, file));
  REQUIRE(r.status == 0);
  auto s = Lab::read(sig);
  REQUIRE(s.size() == 256);
  std::memcpy(e.data(".note.Xen.signature") + 16, s.data(), s.size());
}

void set_mode(int mode) {
  auto &hp = HostPlatform::get();
  hp.signature_mode = mode;
  hp.signing_key = lp::hyp::key_blob_from_pem(keys().pub);
  REQUIRE(livepatch_init() == 0);
}

} // namespace

TEST_CASE("SHA-256 of known messages", "[hypervisor_core][signature]") {
  uint8_t d[32];
  sha256_hash("abc", 3, d);
  CHECK(fmt::format("{:02x}", fmt::join(d, "")) ==
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  std::string m(1000, 'a');
  sha256_hash(m.data(), m.size(), d);
  auto r = run_shell("printf 'a%.0s' $(seq 1000) | sha256sum | cut -c1-64");
  CHECK(fmt::format("{:02x}", fmt::join(d, "")) + "\n" == r.output);
}

TEST_CASE("key blobs: parsed from PEM, malformed ones refused", "[hypervisor_core][signature]") {
  auto blob = lp::hyp::key_blob_from_pem(keys().pub);
  struct rsa_public_key key;
  REQUIRE(rsa_public_key_parse(&key, blob.data(), static_cast<uint32_t>(blob.size())) == 0);
  CHECK(key.k == 256);
  auto even = blob;
  even[4 + 255] &= 0xfe; // even modulus
  CHECK(rsa_public_key_parse(&key, even.data(), static_cast<uint32_t>(even.size())) != 0);
  CHECK(rsa_public_key_parse(&key, blob.data(), 10) != 0);
}

TEST_CASE("enforce: a good signature loads", "[hypervisor_core][signature]") {
  Core core;
  set_mode(LP_SIG_ENFORCE);
  ElfEdit e = with_section(note(1, 256), "good");
  sign(e, keys().priv, "good");
  CHECK(Core::upload("signed", e.bytes) == 0);
}

TEST_CASE("enforce: refusals", "[hypervisor_core][signature]") {
  Core core;
  set_mode(LP_SIG_ENFORCE);
  SECTION("unsigned") {
    CHECK(Core::upload("p", Lab::read(hello_payload())) == -LP_EACCES);
  }
  SECTION("signed by another key") {
    ElfEdit e = with_section(note(1, 256), "other");
    sign(e, keys().other_priv, "other");
    CHECK(Core::upload("p", e.bytes) == -LP_EACCES);
  }
  SECTION("tampered after signing") {
    ElfEdit e = with_section(note(1, 256), "tamper");
    sign(e, keys().priv, "tamper");
    e.data(".comment")[0] ^= 1;
    CHECK(Core::upload("p", e.bytes) == -LP_EACCES);
  }
  SECTION("unsupported note type") {
    ElfEdit e = with_section(note(2, 256), "type");
    CHECK(Core::upload("p", e.bytes) == -LP_EINVAL);
  }
  SECTION("two signature notes") {
    auto n = note(1, 256);
    auto two = n;
    two.insert(two.end(), n.begin(), n.end());
    ElfEdit e = with_section(two, "two");
    CHECK(Core::upload("p", e.bytes) == -LP_EINVAL);
  }
  SECTION("truncated note") {
    auto n = note(1, 256);
    n.resize(100);
    ElfEdit e = with_section(n, "trunc");
    CHECK(Core::upload("p", e.bytes) == -LP_EINVAL);
  }
  SECTION("descriptor of 1024 bytes") {
    ElfEdit e = with_section(note(1, 1024), "big");
    CHECK(Core::upload("p", e.bytes) == -LP_EINVAL);
  }
  // The loader is still healthy.
  ElfEdit e = with_section(note(1, 256), "after");
  sign(e, keys().priv, "after");
  CHECK(Core::upload("after", e.bytes) == 0);
}

TEST_CASE("warn mode logs and loads, off mode does not look", "[hypervisor_core][signature]") {
  Core core;
  set_mode(LP_SIG_WARN);
  CHECK(Core::upload("warned", Lab::read(hello_payload())) == 0);
  bool logged = false;
  for (const auto &l : HostPlatform::get().log)
    logged = logged || l.find("unverified payload loaded") != std::string::npos;
  CHECK(logged);
  REQUIRE(livepatch_action("warned", LIVEPATCH_ACTION_UNLOAD, 0, 0) == 0);
  set_mode(LP_SIG_OFF);
  ElfEdit e = with_section(note(7, 256), "off");
  CHECK(Core::upload("off", e.bytes) == 0);
}
