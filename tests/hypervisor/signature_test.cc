// Payload signatures on the running hypervisor built with
// CONFIG_PAYLOAD_VERIFY_MODE="enforce": an unsigned payload and one signed
// with another key are refused (-EACCES), a payload signed by livepatch-sign
// with the built-in key's private half loads and applies.
#include "qemu_harness.h"

#include <catch2/catch.hpp>

using namespace minixen::test;

TEST_CASE("enforce mode: only payloads signed with the built-in key load", "[qemu]") {
  lp::test::TempDir keys;
  std::string sign = lp::test::tool_path("livepatch-sign");
  std::string hello = payload("xen_hello_world", enforce_image_dir());
  std::string signed_ok = keys.file("xen_hello_world.livepatch");
  auto r = lp::test::run({sign, "sign", "--key", enforce_signing_key(), "-o", signed_ok, hello});
  INFO(r.output);
  REQUIRE(r.status == 0);

  std::string other_key = keys.file("other.pem");
  REQUIRE(lp::test::run_shell("openssl genrsa -out " + other_key + " 2048 && chmod 600 " +
                              other_key).status == 0);
  std::string signed_other = keys.file("other.livepatch");
  REQUIRE(lp::test::run({sign, "sign", "--key", other_key, "-o", signed_other, hello}).status == 0);

  Minixen m(enforce_image_dir());
  auto unsigned_upload = m.tool({"upload", "unsigned", hello});
  CHECK(unsigned_upload.status == 1);
  CHECK(unsigned_upload.output.find("13 (Permission denied)") != std::string::npos);
  auto wrong_key = m.tool({"upload", "other", signed_other});
  CHECK(wrong_key.status == 1);
  CHECK(wrong_key.output.find("13 (Permission denied)") != std::string::npos);

  auto load = m.act({"load", signed_ok});
  INFO(load.output << m.console());
  REQUIRE(load.status == 0);
  CHECK(m.call("extra_version") == "Hello World");
  CHECK(m.console().find("FATAL") == std::string::npos);
}
