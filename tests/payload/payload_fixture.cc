// Payload test fixtures (see payload_fixture.h).
#include "payload_fixture.h"

#include "elf/reader.h"
#include "payload/funcs_table.h"

#include <catch2/catch.hpp>
#include <fstream>
#include <iterator>

namespace lp::test {

std::string make_xen_syms(const TempDir &dir, const std::string &source,
                          const std::vector<std::string> &extra_cflags) {
  // Xen's return thunk, which -mfunction-return=thunk-extern calls.
  const std::string thunk = "asm(\".pushsection .text.__x86_return_thunk,\\\"ax\\\",@progbits\\n"
                            ".globl __x86_return_thunk\\n__x86_return_thunk: ret\\n.popsection\");\n";
  std::string obj = compile_xen_c(dir, "xen", source + thunk, extra_cflags);
  std::string out = dir.file("xen-syms");
  RunResult r = run({"ld", "-o", out, "--build-id=sha1", "-Ttext=0xffff82d040200000", "-e", "0",
                     obj});
  INFO(r.output);
  REQUIRE(r.status == 0);
  return out;
}

std::string standard_xen_syms(const TempDir &dir) {
  return make_xen_syms(dir, R"(
asm(".pushsection .text.foo,\"ax\",@progbits\n"
    ".globl foo\n.type foo,@function\n"
    "foo: endbr64\n push %rbx\n mov %edi,%ebx\n mov %ebx,%eax\n pop %rbx\n ret\n"
    ".size foo, .-foo\n.popsection\n");
int plain_fn(int x) { return x * 3 + 1; }
static int __attribute__((noinline)) hidden_one(int x) { return x + 7; }
int __attribute__((weak)) weak_fn(int x) { return hidden_one(x) * 2; }
int counter;
)");
}

std::string standard_diff_object(const TempDir &dir, const std::string &name) {
  return compile_xen_c(dir, name, R"(
#include <stdint.h>
struct livepatch_func {
  const char *name; void *new_addr; void *old_addr;
  uint32_t new_size, old_size; uint8_t version; uint8_t pad[39]; uint8_t expect[32];
};
int foo(int x) { return x + 42; }
struct livepatch_func lp_funcs[] __attribute__((section(".livepatch.funcs"), used, aligned(8))) = {
  { .name = "foo", .new_addr = foo, .new_size = 8, .old_size = 16, .version = 2 },
};
static void my_load(void) {}
void (*const livepatch_load_data_my_load)(void)
  __attribute__((weak, used, section(".livepatch.hooks.load"))) = my_load;
void *funcs_ref __attribute__((used)) = &lp_funcs[0].old_addr;
)");
}

std::vector<uint8_t> file_bytes(const std::string &path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

std::vector<std::string> funcs_names(const std::string &payload) {
  std::vector<std::string> out;
  for (const auto &e : lp::payload::read_funcs(lp::elf::read_object(payload)))
    out.push_back(e.name);
  return out;
}

} // namespace lp::test
