#pragma once
/// Compact binary encoding of values and integers, used to serialize
/// partial aggregates (query/partial_result.hpp) between nodes and into the
/// per-block result memo. Little-endian; a kind byte then its payload.
#include "query/arena.hpp"
#include "query/value.hpp"

#include <cstdint>
#include <string>
#include <string_view>

namespace cairn::query::codec {

void put_u64(std::string& out, uint64_t v);
void put_f64(std::string& out, double v);
void put_str(std::string& out, std::string_view s);
void put_value(std::string& out, const value& v);

bool get_u64(std::string_view& in, uint64_t& v) noexcept;
bool get_f64(std::string_view& in, double& v) noexcept;
/// The returned view points into `in`'s buffer.
bool get_str(std::string_view& in, std::string_view& s) noexcept;
/// Text is copied into `a`.
bool get_value(std::string_view& in, arena& a, value& v);

} // namespace cairn::query::codec
