#include "storage/message_holes.hpp"

#include "storage/block_varint.hpp"
#include "storage/json_scan.hpp"

namespace cairn::storage::blockfmt {

namespace {

bool is_name_char(char c) noexcept {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
}

std::string_view hole_name(std::string_view body) noexcept {
  size_t i = !body.empty() && (body[0] == '@' || body[0] == '$') ? 1 : 0;
  size_t begin = i;
  while (i < body.size() && is_name_char(body[i]))
    ++i;
  return body.substr(begin, i - begin);
}

} // namespace

void template_shape::parse(std::string_view mt) {
  literals.clear();
  names.clear();
  size_t lit_begin = 0, i = 0;
  while (i < mt.size()) {
    if (mt[i] == '{') {
      size_t close = mt.find('}', i + 1);
      if (close == std::string_view::npos)
        break;
      literals.push_back(mt.substr(lit_begin, i - lit_begin));
      names.push_back(hole_name(mt.substr(i + 1, close - i - 1)));
      i = lit_begin = close + 1;
    } else {
      ++i;
    }
  }
  literals.push_back(mt.substr(lit_begin));
}

bool encode_holes(std::string_view msg, const template_shape& shape, const property_source& properties,
                  std::string& out, std::string& scratch) {
  const auto& lits = shape.literals;
  size_t n = lits.size();
  if (n < 2 || msg.substr(0, lits[0].size()) != lits[0])
    return false;
  size_t pos = lits[0].size();
  size_t mark = out.size();
  // Greedy split: each hole value runs to the next occurrence of the
  // following literal (the last one to the final literal at the end).
  for (size_t i = 1; i < n; ++i) {
    size_t end;
    if (i + 1 == n) {
      if (msg.size() < pos + lits[i].size() || msg.substr(msg.size() - lits[i].size()) != lits[i])
        break;
      end = msg.size() - lits[i].size();
    } else {
      end = msg.find(lits[i], pos);
      if (end == std::string_view::npos)
        break;
    }
    auto value = msg.substr(pos, end - pos);
    bool ref = false;
    if (auto name = shape.names[i - 1]; !name.empty()) {
      if (auto prop = properties.find(name)) {
        scratch.clear();
        ref = append_plain_rendering(*prop, scratch) && scratch == value;
      }
    }
    if (ref) {
      out.push_back('\0');
    } else {
      put_varint(out, value.size() + 1);
      out.append(value);
    }
    pos = end + lits[i].size();
    if (i + 1 == n)
      return true;
  }
  out.resize(mark);
  return false;
}

bool decode_holes(const template_shape& shape, std::string_view holes, const property_source& properties,
                  int version, std::string& out) {
  return decode_holes_with(shape, holes, version, out, [&](size_t hole, std::string& o) {
    auto prop = properties.find(shape.names[hole]);
    return prop && append_plain_rendering(*prop, o);
  });
}

} // namespace cairn::storage::blockfmt
