#pragma once
/// Errors of the event store, and the small result type its methods return.
///
/// Caveats:
/// - storage/ does not link CAF; actors/ registers `errc` with
///   CAF_ERROR_CODE_ENUM and converts `store_error` to `caf::error` at the
///   actor boundary (code + context string).
/// - `store_full` is the one error an HTTP front end must answer with 503
///   (disk or LMDB map exhausted); everything else is 500 or a caller bug.
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

namespace cairn::storage {

/// Every way a store operation can fail.
enum class errc : uint8_t {
  ok = 0,
  store_full,        ///< MDB_MAP_FULL or ENOSPC: nothing was written, retry later (503)
  io_error,          ///< EIO and other errno values from the OS
  corrupt,           ///< MDB_CORRUPTED, MDB_PAGE_NOTFOUND, undecodable block/summary
  incompatible,      ///< MDB_VERSION_MISMATCH, MDB_INVALID or unknown on-disk format
  not_found,         ///< the key/id asked for is not in the store
  duplicate_key,     ///< an event with the same (timestamp, id) is already stored
  invalid_record,    ///< a record in a batch does not parse (or is not canonical)
  txn_too_large,     ///< MDB_TXN_FULL: a single transaction touched too many pages
  resources,         ///< MDB_READERS_FULL, MDB_DBS_FULL, MDB_MAP_RESIZED, ENOMEM
  internal,          ///< any other LMDB/zstd failure
};

/// Human-readable name of a code ("store full", ...).
std::string_view errc_message(errc e) noexcept;

/// A failed operation: the code plus what was being done ("append_batch:
/// mdb_put buffer key ts=... id=...: MDB_MAP_FULL").
struct store_error {
  errc code = errc::internal;
  std::string context;

  /// "<errc message>: <context>".
  std::string to_string() const;
};

/// Translates an LMDB return code (MDB_* or errno) into a store_error.
/// @pre rc != MDB_SUCCESS
store_error lmdb_error(int rc, std::string_view context);

/// The value of a successful operation or the store_error of a failed one.
template <class T>
class result {
public:
  result(T value) : v_(std::in_place_index<0>, std::move(value)) {}
  result(store_error err) : v_(std::in_place_index<1>, std::move(err)) {}

  bool has_value() const noexcept { return v_.index() == 0; }
  explicit operator bool() const noexcept { return has_value(); }

  /// @pre has_value()
  T& value() & { return std::get<0>(v_); }
  const T& value() const& { return std::get<0>(v_); }
  T&& value() && { return std::get<0>(std::move(v_)); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

  /// @pre !has_value()
  const store_error& error() const& { return std::get<1>(v_); }
  store_error&& error() && { return std::get<1>(std::move(v_)); }

private:
  std::variant<T, store_error> v_;
};

/// Result of operations that return nothing on success.
struct ok_t {};
using status = result<ok_t>;
inline constexpr ok_t ok{};

} // namespace cairn::storage
