# Compiler and linker flags of Xen 4.17 for x86-64 hypervisor C code
# (../shared/docs/real-xen-testing.md), shared by xen/Makefile and by the
# test payloads' Makefile (tests/fixtures/hypervisor), which compile with
# the hypervisor's flags as Xen's xen/test/livepatch does. The forced
# include of include/xen/config.h is added by each user with its own path.
XEN_CFLAGS := -m64 -std=gnu99 -O2 -fomit-frame-pointer -nostdinc -fno-builtin \
  -fno-common -fno-strict-aliasing -ffunction-sections -fdata-sections \
  -mindirect-branch=thunk-extern -mindirect-branch-register \
  -mfunction-return=thunk-extern -fno-jump-tables -msoft-float -fno-pie \
  -fno-stack-protector -fno-exceptions -fno-asynchronous-unwind-tables \
  -mno-red-zone -fpic -mno-mmx -mno-sse -mskip-rax-setup \
  -fcf-protection=branch -mmanual-endbr -mpreferred-stack-boundary=3 \
  -Wa,--strip-local-absolute
XEN_LDFLAGS := -melf_x86_64
