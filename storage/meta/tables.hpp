#pragma once

// Column lists of every metastore table except schema_migrations, used by
// metastore::copy_to. Keep in sync with migrations.cpp: a test compares
// this list with the tables and columns the migrated database reports.

#include <cstdint>
#include <span>
#include <string_view>

namespace cairn::meta {

/// How a column's value travels through copy_to.
enum class column_kind : uint8_t { text, integer };

/// One column of a table.
struct column_def {
  std::string_view name;
  column_kind kind;
};

/// One table and its columns, in declaration order.
struct table_def {
  std::string_view name;
  std::span<const column_def> columns;
};

/// All tables copied by copy_to, in copy order.
std::span<const table_def> copied_tables();

} // namespace cairn::meta
