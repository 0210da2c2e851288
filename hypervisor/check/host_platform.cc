// Host implementation of livepatch_platform.h: see host_platform.h.
#include "host_platform.h"

#include "elf/xen_versions.h"

#include "elf/error.h"
#include "elf/image.h"
#include "elf/reader.h"

#include <cstdarg>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <elf.h>
#include <fmt/format.h>

namespace lp::hyp {

namespace {

constexpr uint64_t kPage = 4096;
thread_local unsigned tls_cpu = 0;
constexpr uint64_t kDefaultArena = 0xffff82d080000000ull;

uint64_t page_align(uint64_t v) { return (v + kPage - 1) & ~(kPage - 1); }

// Xen's runtime spelling of a symbol, or empty if Xen's table leaves it out.
std::string runtime_name(const lp::elf::Symbol &s) {
  if (!s.section || s.name.empty() || s.name[0] == '$' || s.is_file() || s.is_section())
    return {};
  if (s.is_local() && s.file)
    return s.file->name + "#" + s.name;
  return s.name;
}

} // namespace

void HostPlatform::set_current_cpu(unsigned cpu) { tls_cpu = cpu; }
unsigned HostPlatform::current_cpu() { return tls_cpu; }

HostPlatform &HostPlatform::get() {
  static HostPlatform platform;
  return platform;
}

HostPlatform::~HostPlatform() {
  for (auto &[addr, block] : blocks_)
    std::free(block.mem);
}

void HostPlatform::reset() {
  for (auto it = blocks_.begin(); it != blocks_.end();) {
    if (it->second.image) {
      std::free(it->second.mem);
      it = blocks_.erase(it);
    } else {
      ++it;
    }
  }
  symbols_.clear();
  build_id_.reset();
  image_version.reset();
  hook_handler = nullptr;
  hook_calls.clear();
  log.clear();
  signature_mode = LP_SIG_OFF;
  signing_key.clear();
  text_writable = false;
  pokes_while_protected = 0;
  num_cpus = 1;
  clock = nullptr;
  image_end_ = 0;
}

void HostPlatform::add_memory(uint64_t addr, std::span<const uint8_t> bytes, uint64_t size) {
  Block b;
  b.size = std::max<uint64_t>(size, bytes.size());
  b.mem = static_cast<uint8_t *>(std::calloc(1, b.size ? b.size : 1));
  if (!bytes.empty())
    std::memcpy(b.mem, bytes.data(), bytes.size());
  b.image = true;
  b.base = addr;
  blocks_[addr] = b;
  image_end_ = std::max(image_end_, addr + b.size);
}

void HostPlatform::load_image(const std::string &path) {
  auto image = lp::elf::LinkedImage::open(path); // checks that it is a linked image
  const lp::elf::Object obj = lp::elf::read_object(path); // every section's bytes are loaded
  for (const auto &s : obj.sections) {
    if (!s->is_alloc() || !s->addr)
      continue;
    if (s->is_nobits())
      add_memory(s->addr, {}, s->size);
    else
      add_memory(s->addr, s->data, s->data.size());
  }
  for (const auto &s : obj.symbols) {
    std::string name = runtime_name(*s);
    if (!name.empty() && s->value)
      symbols_.emplace(name, s->value);
  }
  build_id_ = image.build_id();
  image_version = lp::elf::xen_version_from_image(image);
}

uint64_t HostPlatform::symbol(const std::string &xen_name) const {
  auto it = symbols_.find(xen_name);
  return it == symbols_.end() ? 0 : it->second;
}

HostPlatform::Block *HostPlatform::find(uint64_t addr, uint64_t len) {
  auto it = blocks_.upper_bound(addr);
  if (it == blocks_.begin())
    return nullptr;
  --it;
  uint64_t off = addr - it->first;
  if (off > it->second.size || len > it->second.size - off)
    return nullptr;
  return &it->second;
}

const HostPlatform::Block *HostPlatform::find(uint64_t addr, uint64_t len) const {
  return const_cast<HostPlatform *>(this)->find(addr, len);
}

std::optional<std::vector<uint8_t>> HostPlatform::read(uint64_t addr, uint64_t len) const {
  std::vector<uint8_t> out(len);
  if (peek(addr, out.data(), len))
    return std::nullopt;
  return out;
}

void *HostPlatform::alloc(uint64_t bytes) {
  if (!bytes || bytes > (64ull << 20))
    return nullptr;
  uint64_t size = page_align(bytes);
  // First gap above the arena base that fits, so freed ranges are reused.
  // Payload memory goes 2 MiB above the end of the image (within +-2 GiB of its text).
  constexpr uint64_t k2M = 2ull << 20;
  uint64_t base = image_end_ ? ((image_end_ + k2M - 1) & ~(k2M - 1)) + k2M : kDefaultArena;
  uint64_t at = base;
  for (auto it = blocks_.lower_bound(base); it != blocks_.end(); ++it) {
    if (it->first >= at + size)
      break;
    at = std::max(at, page_align(it->first + it->second.size));
  }
  void *mem = std::aligned_alloc(kPage, size);
  if (!mem)
    return nullptr;
  std::memset(mem, 0, size);
  blocks_[at] = Block{static_cast<uint8_t *>(mem), at, size, false};
  vaddr_of_[mem] = at;
  return mem;
}

void HostPlatform::free(void *p) {
  auto it = vaddr_of_.find(p);
  if (it == vaddr_of_.end())
    return;
  blocks_.erase(it->second);
  vaddr_of_.erase(it);
  std::free(p);
}

uint64_t HostPlatform::vaddr(const void *p) const {
  auto it = vaddr_of_.find(p);
  return it == vaddr_of_.end() ? 0 : it->second;
}

int HostPlatform::peek(uint64_t addr, void *buf, uint64_t len) const {
  const Block *b = find(addr, len);
  if (!b)
    return -LP_EFAULT;
  std::memcpy(buf, b->mem + (addr - b->base), len);
  return 0;
}

int HostPlatform::poke(uint64_t addr, const void *buf, uint64_t len) {
  Block *b = find(addr, len);
  if (!b)
    return -LP_EFAULT;
  if (b->image && !text_writable)
    pokes_while_protected++;
  std::memcpy(b->mem + (addr - b->base), buf, len);
  return 0;
}

int HostPlatform::call_hook(int kind, uint64_t fn, struct payload *p) {
  hook_calls.push_back({kind, fn, p->name});
  if (hook_handler)
    return hook_handler(kind, fn, p);
  if (kind == LP_HOOK_APPLY || kind == LP_HOOK_REVERT) {
    for (unsigned i = 0; i < p->nfuncs; i++)
      p->fstate[i].applied = kind == LP_HOOK_APPLY ? LIVEPATCH_FUNC_APPLIED
                                                   : LIVEPATCH_FUNC_NOT_APPLIED;
  }
  return 0;
}

std::string errno_name(int err) {
  static const std::map<int, const char *> names = {
      {LP_EPERM, "EPERM"},   {LP_ENOENT, "ENOENT"},       {LP_E2BIG, "E2BIG"},
      {LP_EAGAIN, "EAGAIN"}, {LP_ENOMEM, "ENOMEM"},       {LP_EACCES, "EACCES"},
      {LP_EFAULT, "EFAULT"}, {LP_EBUSY, "EBUSY"},         {LP_EEXIST, "EEXIST"},
      {LP_EINVAL, "EINVAL"}, {LP_ENOSPC, "ENOSPC"},       {LP_ERANGE, "ERANGE"},
      {LP_ENOSYS, "ENOSYS"}, {LP_ENODATA, "ENODATA"},     {LP_EOVERFLOW, "EOVERFLOW"},
      {LP_EOPNOTSUPP, "EOPNOTSUPP"}, {LP_ENOBUFS, "ENOBUFS"},
  };
  auto it = names.find(err < 0 ? -err : err);
  // fmt, not "E" + std::to_string(): gcc 12 -O3 reports a bogus overlapping memcpy there.
  return it == names.end() ? fmt::format("E{}", err < 0 ? -err : err) : it->second;
}

} // namespace lp::hyp

using lp::hyp::HostPlatform;

extern "C" {

void *lp_plat_alloc(uint64_t bytes) { return HostPlatform::get().alloc(bytes); }
void lp_plat_free(void *p, uint64_t) { HostPlatform::get().free(p); }
uint64_t lp_plat_vaddr(const void *p) { return HostPlatform::get().vaddr(p); }
int lp_plat_protect(void *, uint64_t, int) { return 0; }
void lp_plat_text_writable(bool writable) { HostPlatform::get().text_writable = writable; }
uint64_t lp_plat_symbol(const char *name) { return HostPlatform::get().symbol(name); }

const uint8_t *lp_plat_build_id(uint32_t *len) {
  const auto &id = HostPlatform::get().build_id();
  if (!id)
    return nullptr;
  *len = static_cast<uint32_t>(id->size());
  return id->data();
}

int lp_plat_peek(uint64_t addr, void *buf, uint64_t len) {
  return HostPlatform::get().peek(addr, buf, len);
}
int lp_plat_poke(uint64_t addr, const void *buf, uint64_t len) {
  return HostPlatform::get().poke(addr, buf, len);
}
int lp_plat_call_hook(int kind, uint64_t fn, struct payload *p) {
  return HostPlatform::get().call_hook(kind, fn, p);
}

void lp_plat_printk(const char *fmt, ...) {
  char buf[512];
  va_list ap;
  va_start(ap, fmt);
  std::vsnprintf(buf, sizeof(buf), fmt, ap);
  va_end(ap);
  std::string line(buf);
  while (!line.empty() && line.back() == '\n')
    line.pop_back();
  auto &p = HostPlatform::get();
  if (p.echo)
    std::fprintf(stderr, "%s\n", line.c_str());
  p.log.push_back(std::move(line));
}

void lp_plat_panic(const char *msg) {
  std::fprintf(stderr, "panic: %s\n", msg);
  std::abort();
}

uint64_t lp_plat_now_ns(void) {
  if (const auto &clock = HostPlatform::get().clock)
    return clock();
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<uint64_t>(ts.tv_sec) * 1000000000ull + static_cast<uint64_t>(ts.tv_nsec);
}
unsigned lp_plat_num_cpus(void) { return HostPlatform::get().num_cpus; }
unsigned lp_plat_cpu_id(void) { return HostPlatform::current_cpu(); }
void lp_plat_kick_other_cpus(void) {}
unsigned long lp_plat_irq_save(void) { return 0; }
void lp_plat_irq_restore(unsigned long) {}
void lp_plat_flush_tlb(void) {}
void lp_plat_cpu_relax(void) {}

const uint8_t *lp_plat_signing_key(uint32_t *len) {
  auto &key = HostPlatform::get().signing_key;
  if (key.empty())
    return nullptr;
  *len = static_cast<uint32_t>(key.size());
  return key.data();
}
int lp_plat_signature_mode(void) { return HostPlatform::get().signature_mode; }

} // extern "C"
