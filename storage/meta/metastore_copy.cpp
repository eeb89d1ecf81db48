// Copies every table to another metastore (`cairn metastore to-postgresql`).
//
// Steps: (1) open one write transaction on the target; (2) per table, count
// the source rows, DELETE the target's rows, stream the source rows
// (SELECT with an explicit column list) and INSERT them one by one, calling
// `progress` every progress_every rows and at the end; (3) commit. A failure
// anywhere rolls the target back to its previous contents.

#include "storage/meta/metastore.hpp"

#include <cassert>

#include "storage/meta/detail.hpp"
#include "storage/meta/tables.hpp"

namespace cairn::meta {

namespace {

constexpr uint64_t progress_every = 100;

/// Reads column `i` as an integer whatever integral type the backend reports.
long long get_integer(const soci::row& row, size_t i) {
  switch (row.get_properties(i).get_data_type()) {
    case soci::dt_integer:
      return row.get<int>(i);
    case soci::dt_long_long:
      return row.get<long long>(i);
    case soci::dt_unsigned_long_long:
      return static_cast<long long>(row.get<unsigned long long>(i));
    case soci::dt_double:
      return static_cast<long long>(row.get<double>(i));
    default:
      return std::stoll(row.get<std::string>(i));
  }
}

/// Reads column `i` as text.
std::string get_text(const soci::row& row, size_t i) {
  if (row.get_properties(i).get_data_type() == soci::dt_string)
    return row.get<std::string>(i);
  return std::to_string(get_integer(row, i));
}

} // namespace

expected<uint64_t> metastore::copy_to(metastore& target, const copy_progress& progress) {
  assert(&target != this && "copy_to needs a distinct target");
  return detail::guarded("copy_to(" + target.display_uri() + ")", [&]() -> uint64_t {
    uint64_t copied = 0;
    detail::write_txn txn{*target.sql_, target.backend_};
    for (const auto& table : copied_tables()) {
      std::string name{table.name};
      // Step 2a: count and clear.
      long long total = 0;
      *sql_ << "SELECT COUNT(*) FROM " << name, soci::into(total);
      *target.sql_ << "DELETE FROM " << name;
      // Step 2b: build the column list and the insert statement.
      std::string cols;
      std::string params;
      for (const auto& c : table.columns) {
        if (!cols.empty()) {
          cols += ", ";
          params += ", ";
        }
        cols += c.name;
        params += ":" + std::string{c.name};
      }
      auto insert = "INSERT INTO " + name + " (" + cols + ") VALUES (" + params + ")";
      // Step 2c: stream rows across.
      uint64_t done = 0;
      soci::rowset<soci::row> rs = (sql_->prepare << "SELECT " + cols + " FROM " + name);
      for (const auto& row : rs) {
        soci::values v;
        for (size_t i = 0; i < table.columns.size(); ++i) {
          std::string col{table.columns[i].name};
          bool null = row.get_indicator(i) == soci::i_null;
          if (table.columns[i].kind == column_kind::integer)
            v.set(col, null ? 0LL : get_integer(row, i),
                  null ? soci::i_null : soci::i_ok);
          else
            v.set(col, null ? std::string{} : get_text(row, i),
                  null ? soci::i_null : soci::i_ok);
        }
        *target.sql_ << insert, soci::use(v);
        ++done;
        if (progress && done % progress_every == 0)
          progress(table.name, done, static_cast<uint64_t>(total));
      }
      if (progress)
        progress(table.name, done, static_cast<uint64_t>(total));
      copied += done;
    }
    txn.commit();
    return copied;
  });
}

} // namespace cairn::meta
