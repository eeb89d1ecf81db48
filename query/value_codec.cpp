#include "query/value_codec.hpp"

#include <cstring>

namespace cairn::query::codec {

void put_u64(std::string& out, uint64_t v) {
  char b[8];
  std::memcpy(b, &v, 8);
  out.append(b, 8);
}

void put_f64(std::string& out, double v) {
  uint64_t u;
  std::memcpy(&u, &v, 8);
  put_u64(out, u);
}

void put_str(std::string& out, std::string_view s) {
  put_u64(out, s.size());
  out.append(s);
}

void put_value(std::string& out, const value& v) {
  out.push_back(static_cast<char>(v.kind));
  switch (v.kind) {
    case value_kind::boolean: out.push_back(v.boolean ? 1 : 0); break;
    case value_kind::number: put_f64(out, v.number); break;
    case value_kind::datetime:
    case value_kind::duration: put_u64(out, uint64_t(v.ns)); break;
    case value_kind::string:
    case value_kind::array:
    case value_kind::object: put_str(out, v.str()); break;
    default: break;
  }
}

bool get_u64(std::string_view& in, uint64_t& v) noexcept {
  if (in.size() < 8)
    return false;
  std::memcpy(&v, in.data(), 8);
  in.remove_prefix(8);
  return true;
}

bool get_f64(std::string_view& in, double& v) noexcept {
  uint64_t u;
  if (!get_u64(in, u))
    return false;
  std::memcpy(&v, &u, 8);
  return true;
}

bool get_str(std::string_view& in, std::string_view& s) noexcept {
  uint64_t n;
  if (!get_u64(in, n) || n > in.size())
    return false;
  s = in.substr(0, n);
  in.remove_prefix(n);
  return true;
}

bool get_value(std::string_view& in, arena& a, value& v) {
  if (in.empty())
    return false;
  auto k = static_cast<value_kind>(in[0]);
  in.remove_prefix(1);
  switch (k) {
    case value_kind::undefined: v = value::undefined(); return true;
    case value_kind::null: v = value::null(); return true;
    case value_kind::boolean:
      if (in.empty())
        return false;
      v = value::of(in[0] != 0);
      in.remove_prefix(1);
      return true;
    case value_kind::number: {
      double d;
      if (!get_f64(in, d))
        return false;
      v = value::of(d);
      return true;
    }
    case value_kind::datetime:
    case value_kind::duration: {
      uint64_t u;
      if (!get_u64(in, u))
        return false;
      v = k == value_kind::datetime ? value::datetime(int64_t(u)) : value::duration(int64_t(u));
      return true;
    }
    case value_kind::string:
    case value_kind::array:
    case value_kind::object: {
      std::string_view s;
      if (!get_str(in, s))
        return false;
      s = a.copy(s);
      v = k == value_kind::string ? value::string(s) : k == value_kind::array ? value::array_json(s) : value::object_json(s);
      return true;
    }
  }
  return false;
}

} // namespace cairn::query::codec
