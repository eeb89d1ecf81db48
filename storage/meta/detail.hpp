#pragma once

// Internal helpers shared by the metastore_*.cpp files; not a public API.

#include <soci/soci.h>

#include <chrono>
#include <exception>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>

#include "storage/meta/errc.hpp"
#include "storage/meta/metastore.hpp"

namespace cairn::meta::detail {

/// Runs `f` and wraps its result; soci and std exceptions become
/// errc::query_failed prefixed with `what` (the operation and its key).
template <class F>
auto guarded(std::string_view what, F&& f) -> expected<std::invoke_result_t<F>> {
  using result_type = std::invoke_result_t<F>;
  try {
    if constexpr (std::is_void_v<result_type>) {
      f();
      return {};
    } else {
      return f();
    }
  } catch (const std::exception& e) {
    return make_error(errc::query_failed, std::string{what} + ": " + e.what());
  }
}

/// A write transaction: BEGIN IMMEDIATE on SQLite (takes the write lock up
/// front, so the busy timeout applies instead of a SQLITE_BUSY upgrade
/// failure), BEGIN on PostgreSQL. Rolls back unless committed.
class write_txn {
public:
  write_txn(soci::session& sql, backend b) : sql_(sql) {
    sql_ << (b == backend::sqlite ? "BEGIN IMMEDIATE" : "BEGIN");
  }

  write_txn(const write_txn&) = delete;
  write_txn& operator=(const write_txn&) = delete;

  /// Commits; afterwards the destructor does nothing.
  void commit() {
    sql_ << "COMMIT";
    done_ = true;
  }

  ~write_txn() {
    if (done_)
      return;
    try {
      sql_ << "ROLLBACK";
    } catch (const std::exception&) {
      // Connection lost: the server discards the transaction itself.
    }
  }

private:
  soci::session& sql_;
  bool done_ = false;
};

/// Current Unix time in milliseconds.
inline long long unix_now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
           std::chrono::system_clock::now().time_since_epoch())
    .count();
}

} // namespace cairn::meta::detail
