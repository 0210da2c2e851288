// The diff engine's internal model, shared by its passes.
//
// create-diff-object reasons about *units*: a function or a data object, i.e.
// a named symbol together with the byte range it occupies (its whole section
// when the compiler gave it one, which -ffunction-sections/-fdata-sections
// do). Each object (original and patched) is analysed once into an Analysis:
//
//   units      every FUNC and OBJECT symbol in an allocated section
//   refs       every relocation of a unit, resolved to what it *means*: a
//              named symbol (section symbols replaced by the unit that covers
//              the target), a string's contents, a constant's bytes, or an
//              anonymous section
//   keys       the correlation key of each unit (name, with the file scope for
//              statics and compiler numbering such as .isra.3 or count.7 removed;
//              static locals sharing a name are paired by their users instead)
//   entries    special-section entries (.bug_frames.N, .ex_table, ...) with
//              the function that owns each
//   hashes     one canonical hash per unit, over its bytes with relocated
//              fields masked and the meaning of each relocation
//
// The passes then run in one direction: correlate (twins by key), compare
// (status and refusals), inclusion (what the payload needs), output (the
// object). Lookups are hash maps or vectors indexed by input index.
#pragma once

#include "diff/create_diff_object.h"
#include "elf/insn.h"
#include "elf/json.h"
#include "elf/object.h"
#include "elf/xen_versions.h"

#include <algorithm>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

namespace lp::elf {
class LinkedImage;
}

namespace lp::diff {

using elf::Object;
using elf::Rela;
using elf::Section;
using elf::Symbol;

// Log lines in upstream wording, prefixed with the object's name (object_log_name).
class Log {
public:
  Log(std::string prefix, std::FILE *stream, bool debug)
      : prefix_(std::move(prefix)), stream_(stream), debug_(debug) {}
  void normal(const std::string &line);
  void debug(const std::string &line);
  bool debugging() const { return debug_; }
  const std::string &prefix() const { return prefix_; }
  std::vector<std::string> lines;

private:
  std::string prefix_;
  std::FILE *stream_;
  bool debug_;
};

// What a relocation points at.
enum class RefKind {
  Named,     // a unit (function or object) of this object
  External,  // an undefined symbol (defined elsewhere in Xen)
  String,    // a NUL-terminated string in a SHF_MERGE|SHF_STRINGS section
  Constant,  // an entry of a SHF_MERGE constant section (.rodata.cstN)
  Anonymous, // bytes of a section that no named symbol covers
};

struct Unit;

struct Ref {
  RefKind kind = RefKind::External;
  const Rela *rela = nullptr;
  const Section *from = nullptr;    // the section holding the relocated field
  const Symbol *sym = nullptr;      // the relocation's own symbol
  Unit *unit = nullptr;             // Named: the unit covering the target
  const Section *target = nullptr;  // the target section (null for External)
  int64_t raw = 0;                  // sym->value + addend: section offset as relocated
  uint64_t at = 0;                  // the target offset that is meant (PC and __LINE__ adjusted)
};

enum class UnitStatus { Same, Changed, New };

struct SpecialDesc;

// One entry of a special section, with the function it belongs to.
struct Entry {
  const SpecialDesc *desc = nullptr;
  const Section *section = nullptr;
  uint64_t start = 0;
  uint64_t size = 0;
  std::vector<Ref> refs;
  Unit *owner = nullptr;
  uint64_t hash = 0;      // meaning of the entry, without __LINE__ bits
};

struct Unit {
  const Symbol *sym = nullptr;
  const Section *section = nullptr;
  uint64_t start = 0;
  uint64_t end = 0;
  bool function = false;
  bool bundled = false;        // alone in its section, which it covers entirely
  bool special_static = false; // __func__.N and friends: never correlated
  bool shared_name = false;    // a static local whose name another one shares (correlate.cc)
  bool doubted = false;        // its correlation is a StaticDoubt, refused as such
  bool ignored = false;        // in an ignored or .init section, or named by an ignore marker
  std::string key;
  std::string file;            // STT_FILE scope for locals ("" for globals)
  Unit *parent = nullptr;      // .cold part -> its function
  std::vector<Unit *> children;
  std::vector<Ref> refs;       // relocations inside [start, end), in offset order
  std::vector<Entry *> entries;
  uint64_t bytes_hash = 0;     // bytes with relocated fields masked
  uint64_t links_hash = 0;     // relocation meanings, children, entries
  uint64_t hash = 0;
  Unit *twin = nullptr;
  UnitStatus status = UnitStatus::New;
  bool line_only = false;      // differs only in __LINE__ immediates
  std::string ignore_reason;   // why a changed function is left out (reports)

  std::string_view name() const { return sym->name; }
  bool global() const { return !sym->is_local(); }
  uint64_t size() const { return end - start; }
  // Xen's runtime-table spelling of this unit's symbol: name or file#name.
  std::string xen_name() const;
};

// Struct sizes used to split special sections; see struct_sizes.cc.
enum class SizeKind { BugFrame, ExTable, AltInstr, AltCall, Pointer };

// A special section: how big an entry is and where its owner is found.
struct SpecialDesc {
  std::string_view name;
  SizeKind size;
  unsigned multiple;              // .bug_frames.3 entries are two frames
  unsigned owner_field;           // offset of the field relocated to the owning code
  bool line_bits;                 // addends carry __LINE__ bits (Xen bug frames)
  int companion_field;            // field pointing into a companion section, or -1
  std::string_view companion;     // .fixup, .altinstr_replacement
  int companion_len_field;        // byte holding the companion range length, or -1
};

// One object file, analysed.
struct Analysis {
  Object obj;
  std::string path;
  std::vector<std::unique_ptr<Unit>> units;
  std::vector<std::unique_ptr<Entry>> entries;
  std::vector<Unit *> unit_of_symbol;                 // by symbol input index
  std::vector<std::vector<Unit *>> units_in_section;  // by section input index, by start
  std::vector<Unit *> bundled;                        // by section input index
  std::unordered_map<std::string, Unit *> by_key;
  std::unordered_set<std::string> shared_statics;    // file#name. of static locals sharing a name
  std::unordered_set<const Section *> ignored_sections;
  std::unordered_map<const Section *, uint64_t> anonymous_hash;
  std::unordered_map<const Section *, std::shared_ptr<const elf::InsnMap>> insn_maps;
  const elf::InsnDecoder *decoder = nullptr;
  // The patched object's: the original, whose instruction map a section with
  // the same name and the same bytes shares (most functions of a patch are
  // unchanged, and a map depends only on the bytes).
  Analysis *same_bytes_source = nullptr;
  std::vector<std::string> files;                     // STT_FILE names, in order
  std::unordered_map<const Section *, std::vector<uint64_t>> companion_starts;

  Unit *unit_of(const Symbol *s) const {
    return s && s->input_index < unit_of_symbol.size() ? unit_of_symbol[s->input_index] : nullptr;
  }
  Unit *bundled_unit(const Section *s) const {
    return s && s->input_index < bundled.size() ? bundled[s->input_index] : nullptr;
  }
  // The unit whose range holds `offset` in `s`, or null.
  Unit *unit_at(const Section *s, uint64_t offset) const;
  // Instruction boundaries of an executable section, decoded on first use.
  const elf::InsnMap &insns(const Section *s) { return *insn_map(s); }
  const std::shared_ptr<const elf::InsnMap> &insn_map(const Section *s);
};

// symbol_names.cc
// std::stable_sort, skipped when the range is in order already, as
// relocations and symbols of gcc's objects nearly always are (the sorts were
// 5% of the instructions of a whole-build batch).
template <class It, class Less> void stable_sort_unless_sorted(It first, It last, Less less) {
  if (!std::is_sorted(first, last, less))
    std::stable_sort(first, last, less);
}

std::string strip_numbering(std::string_view name);
std::optional<std::string_view> special_static_prefix(std::string_view name);
std::optional<std::string_view> cold_parent_name(std::string_view name);
bool is_static_local_name(std::string_view name);
bool is_init_section(std::string_view name);
bool is_discard_section(std::string_view name);

// references.cc: units, resolved relocations, keys
void analyse_units(Analysis &a);
Ref resolve(Analysis &a, const Section &from, const Rela &r, uint64_t entry_start, bool line_bits);
void assign_keys(Analysis &a);
bool is_shared_static_candidate(const Unit &u);
std::string read_string(const Section &s, uint64_t offset);

// special_sections.cc
const std::vector<SpecialDesc> &special_descs();
const SpecialDesc *special_desc(std::string_view section_name);
bool is_companion_section(std::string_view name);
bool is_hook_section(std::string_view name);
void split_special_sections(Analysis &a, const StructSizes &sizes);
uint32_t entry_size(const SpecialDesc &d, const StructSizes &sizes);

// canonical_hash.cc
uint64_t ref_meaning(Analysis &a, const Ref &r);
uint64_t section_hash(Analysis &a, const Section &s);
void hash_units(Analysis &a);

struct Verdict;

// correlate.cc
// A correlation of static locals that could not be proven (correlate.cc):
// refused when one of `users` (patched functions) is changed or new.
struct StaticDoubt {
  std::string reason;
  std::vector<const Unit *> users;
};
std::vector<StaticDoubt> correlate(Analysis &orig, Analysis &patched);
void refuse_static_doubts(const std::vector<StaticDoubt> &doubts, Verdict &v);

// line_map.cc: the --line-map input (original line -> patched line, per file)
struct LineMap {
  struct Record {
    int64_t first = 0, last = 0, delta = 0;
  };
  std::unordered_map<std::string, std::vector<Record>> files; // by normal_source_path, sorted
  // The line `line` of `file` carries in the patched build.
  int64_t patched_line(const std::string &file, int64_t line) const;
};
LineMap read_line_map(const std::string &path);
std::string normal_source_path(std::string_view path);

// line_numbers.cc
void find_line_only_changes(Analysis &orig, Analysis &patched, const LineMap *map, Log &log);
int bug_frame_line(const Entry &e);
std::optional<std::string> bug_frame_file(const Entry &e);

// Everything the comparison decided.
struct Verdict {
  std::vector<Unit *> changed;  // patched units, changed functions (patched symbol order)
  std::vector<Unit *> added;    // new functions
  std::vector<Unit *> ignored;
  std::vector<Refusal> refusals;
};

// compare.cc
void find_ignored_sections(Analysis &orig, Analysis &patched, Log &log);
Verdict compare(Analysis &orig, Analysis &patched, const LineMap *map, Log &log);
void apply_ignore_functions(Analysis &patched, Verdict &v, Log &log);

// The payload's contents, in input terms.
struct Range {
  const Section *section;
  uint64_t start;
  uint64_t end;
};

struct Hook {
  std::string kind;         // load, unload, preapply, ...
  const Section *section;   // .livepatch.hooks.<kind>
  std::vector<Ref> refs;    // one per hook pointer
};

// The byte range of a companion section (.fixup, .altinstr_replacement) an
// entry points at, if it points into one (special_sections.cc).
std::optional<Range> companion_range(Analysis &a, const Entry &e);

struct Inclusion {
  std::vector<Unit *> units;                   // included units, patched order
  std::unordered_set<const Unit *> included;
  std::vector<const Section *> whole_sections; // anonymous, string, constant sections
  std::unordered_set<const Section *> whole;
  std::vector<Entry *> entries;                // kept special-section entries
  std::vector<Range> companions;               // kept .fixup / .altinstr_replacement ranges
  std::vector<Hook> hooks;
};

// section_classes.cc: refuses unknown sections that point into changed or new code
void check_unknown_sections(Analysis &patched, Verdict &v, Log &log);

// inclusion.cc
Inclusion include(Analysis &orig, Analysis &patched, Verdict &verdict, Log &log);

// Expectations declared with LIVEPATCH_EXPECT, by function unit.
struct Expectation {
  uint8_t len = 0;
  uint8_t data[31] = {};
};

// livepatch_funcs.cc
std::unordered_map<const Unit *, Expectation> read_expectations(Analysis &patched,
                                                                Verdict &verdict);

// output.cc
struct OutputRequest {
  const Options *options;
  Analysis *orig;
  Analysis *patched;
  const Verdict *verdict;
  const Inclusion *inclusion;
  const elf::LinkedImage *xen;
  const std::unordered_map<const Unit *, Expectation> *expectations;
  Log *log;
  const elf::XenRelease *release;
};
Object build_output(const OutputRequest &req, std::vector<Refusal> &refusals);

// source_location.cc: "file:line" of each refusal's symbol, from DWARF when present
void locate_refusals(const std::string &patched_path, std::vector<Refusal> &refusals);

// type_layout.cc: compares the builds' DWARF types; refusals go to the
// verdict, every finding to res.layout_changes. False when either side has no
// DWARF (nothing was checked).
bool check_type_layouts(Analysis &orig, Analysis &patched, const Options &o, Verdict &v,
                        Result &res, Log &log);
Json layout_changes_json(const Result &r);

// displacement_heuristic.cc: without DWARF, warn about changed functions that
// differ only in memory displacements.
void warn_displacement_only(Analysis &orig, Analysis &patched, const Verdict &v, Result &res,
                            Log &log);

// report.cc
Json json_report(const Result &r, const Options &o);
void explain_changes(Analysis &orig, Analysis &patched, const Verdict &v, Log &log);

// struct_sizes.cc
StructSizes choose_struct_sizes(const Options &o, const elf::LinkedImage &xen,
                                const elf::XenRelease &release, Log &log);

// target_release.cc: the Xen release the payload is for, and what told it.
struct TargetRelease {
  const elf::XenRelease *release;
  std::string source; // "--xen-version", "xen-syms", ".alt_call_sites in xen-syms", "default"
};
TargetRelease target_release(const Options &o, const elf::LinkedImage &xen);

// 64-bit hashing used by canonical_hash.cc and for deterministic names.
struct Hasher {
  uint64_t h = 0xcbf29ce484222325ULL;
  void bytes(const void *p, size_t n);
  void u64(uint64_t v);
  void str(std::string_view s) {
    u64(s.size());
    bytes(s.data(), s.size());
  }
  uint64_t value() const;
};

} // namespace lp::diff
