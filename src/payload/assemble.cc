// Payload assembly pipeline (see assemble.h).
#include "payload/assemble.h"

#include "elf/atomic_file.h"
#include "elf/error.h"
#include "elf/writer.h"
#include "payload/build_id_note.h"
#include "payload/funcs_table.h"
#include "payload/metadata_strip.h"
#include "payload/payload_build_id.h"
#include "payload/payload_link.h"

namespace lp::payload {
namespace {

std::vector<std::string> function_names(const elf::Object &obj) {
  std::vector<std::string> out;
  for (const FuncEntry &e : read_funcs(obj))
    out.push_back(e.name);
  return out;
}

} // namespace

AssembleResult assemble_payload(const AssembleRequest &req) {
  AssembleResult res;
  elf::Object obj = link_objects(req.objects, req.linked_path);
  obj.path = req.output;
  res.stripped = strip_metadata_symbols(obj);
  set_build_id_section(obj, ".livepatch.depends", req.depends);
  set_build_id_section(obj, ".livepatch.xen_depends", req.xen_depends);
  add_modinfo(obj, req.modinfo);
  if (req.prelink_against)
    res.prelinked = prelink(obj, *req.prelink_against);
  if (req.expect_against)
    res.expectations = fill_expectations(obj, *req.expect_against);
  res.functions = function_names(obj);
  add_build_id_placeholder(obj);
  std::vector<uint8_t> bytes = elf::serialize(obj);
  res.build_id = seal_build_id(bytes);
  res.size = bytes.size();
  lp::write_file_atomically(req.output, bytes, 0755);
  return res;
}

} // namespace lp::payload
