#pragma once
/// Stores a rendered message as the values of its template's holes, and
/// those values as references to properties where the property renders to
/// exactly the same text. Internal to storage/ (block_codec.cpp).
///
/// A template splits into literals lit0..litn around "{...}" holes (a '{'
/// up to the next '}'; no escape handling: any split that rebuilds the
/// same bytes is as good). A message is "derived" when it equals
/// lit0 + v0 + lit1 + ... + litn. Its hole stream then holds, per hole:
///   version 1: varint n, n bytes (the value)
///   version 2: varint 0 = the plain rendering (json_scan.hpp) of the
///              record's top-level property named by the hole; or
///              varint n + 1, n bytes (the value verbatim)
/// The hole name is the run of [A-Za-z0-9_] after an optional '@' or '$';
/// anything after it (",alignment", ":format") only matters in that the
/// reference is taken only when the rendering is byte-identical.
#include "storage/block_varint.hpp"
#include "storage/json_scan.hpp"

#include <string>
#include <string_view>
#include <vector>

namespace cairn::storage::blockfmt {

/// Literals and hole names of one template.
struct template_shape {
  std::vector<std::string_view> literals; ///< n + 1 runs of text
  std::vector<std::string_view> names;    ///< n hole names ("" if none)

  /// Splits `mt`; views point into it.
  void parse(std::string_view mt);
};

/// Appends the version-2 hole stream of `msg` to `out` and returns true if
/// `msg` derives from `shape`; otherwise leaves `out` as it was.
/// @param scratch reused buffer for renderings
bool encode_holes(std::string_view msg, const template_shape& shape, const property_source& properties,
                  std::string& out, std::string& scratch);

/// Appends the message rebuilt from a hole stream to `out`; false if the
/// stream is malformed or names a property the record does not have.
/// @param version 1 or 2 (the block format's hole stream version)
bool decode_holes(const template_shape& shape, std::string_view holes, const property_source& properties,
                  int version, std::string& out);

/// As decode_holes, with `bool append_ref(size_t hole, std::string& out)`
/// appending the plain rendering of the property hole `hole` names (false
/// if the record lacks it).
template <class AppendRef>
bool decode_holes_with(const template_shape& shape, std::string_view holes, int version, std::string& out,
                       AppendRef&& append_ref) {
  const auto& lits = shape.literals;
  if (lits.size() < 2)
    return false;
  column_reader hr{holes};
  for (size_t i = 0; i < lits.size(); ++i) {
    out.append(lits[i]);
    if (i + 1 == lits.size())
      break;
    uint64_t tag;
    const char* src;
    if (!hr.varint(tag))
      return false;
    if (version >= 2 && tag == 0) {
      if (shape.names[i].empty() || !append_ref(i, out))
        return false;
      continue;
    }
    uint64_t len = version >= 2 ? tag - 1 : tag;
    if (!hr.bytes(len, src))
      return false;
    out.append(src, len);
  }
  return hr.at_end();
}

} // namespace cairn::storage::blockfmt
