#pragma once

// Error codes and the small `expected` result type of the metastore.
//
// Caveats: the metastore stays free of CAF so the `cairn` CLI and tests can
// use it without an actor system. Actors convert `meta::error` to
// `caf::error` at their boundary if they need to send it.

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

namespace cairn::meta {

/// Failure categories of metastore operations.
enum class errc : uint8_t {
  invalid_uri = 1,     ///< The connection string names no supported backend.
  connect_failed,      ///< The database could not be opened or reached.
  migration_failed,    ///< A schema migration script failed; nothing applied.
  query_failed,        ///< A statement failed (constraint, syntax, I/O...).
  not_found,           ///< The addressed row does not exist.
  invalid_argument,    ///< The caller passed a value the store cannot hold.
  invalid_secret_key,  ///< A secret key is not base64 of exactly 32 bytes.
  decryption_failed,   ///< A secret did not authenticate under the given key.
  crypto_failed,       ///< libsodium could not be initialised.
};

/// Returns a short human-readable description of `code`.
std::string_view to_string(errc code) noexcept;

/// An error code plus the context in which it happened (statement, key...).
struct error {
  errc code;
  std::string message;
};

/// Tag wrapper that lets `expected<T>` be constructed from an error.
struct unexpected {
  error err;
};

/// Builds an `unexpected` from a code and context message.
inline unexpected make_error(errc code, std::string message) {
  return unexpected{error{code, std::move(message)}};
}

/// Holds either a value or an `error`; a C++20 stand-in for std::expected.
template <class T>
class [[nodiscard]] expected {
public:
  expected(T value) : data_(std::in_place_index<0>, std::move(value)) {
  }

  expected(unexpected e) : data_(std::in_place_index<1>, std::move(e.err)) {
  }

  /// True if a value is held.
  bool has_value() const noexcept {
    return data_.index() == 0;
  }

  explicit operator bool() const noexcept {
    return has_value();
  }

  /// The held value. @pre has_value()
  T& value() & {
    return std::get<0>(data_);
  }

  /// The held value. @pre has_value()
  const T& value() const& {
    return std::get<0>(data_);
  }

  /// The held value, moved out. @pre has_value()
  T&& value() && {
    return std::get<0>(std::move(data_));
  }

  T& operator*() & {
    return value();
  }

  const T& operator*() const& {
    return value();
  }

  T* operator->() {
    return &value();
  }

  const T* operator->() const {
    return &value();
  }

  /// The held error. @pre !has_value()
  const meta::error& error() const {
    return std::get<1>(data_);
  }

private:
  std::variant<T, meta::error> data_;
};

/// `expected` for operations that return nothing on success.
template <>
class [[nodiscard]] expected<void> {
public:
  expected() = default;

  expected(unexpected e) : err_(std::move(e.err)), failed_(true) {
  }

  bool has_value() const noexcept {
    return !failed_;
  }

  explicit operator bool() const noexcept {
    return has_value();
  }

  /// The held error. @pre !has_value()
  const meta::error& error() const {
    return err_;
  }

private:
  meta::error err_{};
  bool failed_ = false;
};

} // namespace cairn::meta
