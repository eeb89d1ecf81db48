#pragma once
/// RAII owners of LMDB transactions and cursors, used only inside storage/.
///
/// Caveats (lmdb.h): a write-transaction cursor must be closed before its
/// transaction commits (lmdb_cursor scopes must end first); read-only
/// transactions on an MDB_NOTLS env may move between threads but must never
/// be used by two threads at once.
#include "storage/errc.hpp"

#include <cerrno>
#include <lmdb.h>
#include <string_view>
#include <sys/statvfs.h>

namespace cairn::storage {

/// Owns one MDB_txn; aborts it on destruction unless committed.
class lmdb_txn {
public:
  lmdb_txn() = default;
  lmdb_txn(const lmdb_txn&) = delete;
  lmdb_txn& operator=(const lmdb_txn&) = delete;
  lmdb_txn(lmdb_txn&& o) noexcept : txn_(o.txn_) { o.txn_ = nullptr; }
  ~lmdb_txn() {
    if (txn_)
      mdb_txn_abort(txn_);
  }

  /// Begins a transaction; `context` names the caller for errors.
  status begin(MDB_env* env, bool read_only, std::string_view context) {
    int rc = mdb_txn_begin(env, nullptr, read_only ? MDB_RDONLY : 0, &txn_);
    if (rc != MDB_SUCCESS) {
      txn_ = nullptr;
      return lmdb_error(rc, std::string{context} + ": mdb_txn_begin");
    }
    return ok;
  }

  /// Commits (durably, unless the env was opened with NOSYNC).
  status commit(std::string_view context) {
    MDB_env* env = mdb_txn_env(txn_);
    int rc = mdb_txn_commit(txn_);
    txn_ = nullptr; // freed by LMDB whatever the outcome
    // LMDB reports a short page write (the disk filled up mid-commit) as EIO;
    // on a nearly full file system that is "full" (503, retry), not an I/O
    // fault (500). Seen in tests/fault/disk_full.sh.
    if (rc == EIO && nearly_full(env))
      rc = ENOSPC;
    if (rc != MDB_SUCCESS)
      return lmdb_error(rc, std::string{context} + ": mdb_txn_commit");
    return ok;
  }

  MDB_txn* get() const noexcept { return txn_; }

private:
  /// True if the env's file system has less than 16 MiB left for us.
  static bool nearly_full(MDB_env* env) {
    mdb_filehandle_t fd;
    struct statvfs v;
    if (!env || mdb_env_get_fd(env, &fd) != MDB_SUCCESS || fstatvfs(fd, &v) != 0)
      return false;
    return static_cast<unsigned long long>(v.f_bavail) * v.f_frsize < (16ull << 20);
  }

  MDB_txn* txn_ = nullptr;
};

/// Owns one MDB_cursor.
class lmdb_cursor {
public:
  lmdb_cursor() = default;
  lmdb_cursor(const lmdb_cursor&) = delete;
  lmdb_cursor& operator=(const lmdb_cursor&) = delete;
  ~lmdb_cursor() {
    if (cur_)
      mdb_cursor_close(cur_);
  }

  status open(MDB_txn* txn, MDB_dbi dbi, std::string_view context) {
    int rc = mdb_cursor_open(txn, dbi, &cur_);
    if (rc != MDB_SUCCESS) {
      cur_ = nullptr;
      return lmdb_error(rc, std::string{context} + ": mdb_cursor_open");
    }
    return ok;
  }

  /// mdb_cursor_get; returns the raw code (MDB_NOTFOUND is normal).
  int get(MDB_val& key, MDB_val& val, MDB_cursor_op op) noexcept {
    return mdb_cursor_get(cur_, &key, &val, op);
  }

  MDB_cursor* get() const noexcept { return cur_; }

private:
  MDB_cursor* cur_ = nullptr;
};

inline MDB_val to_val(std::string_view s) noexcept {
  return MDB_val{s.size(), const_cast<char*>(s.data())};
}

inline std::string_view to_view(const MDB_val& v) noexcept {
  return {static_cast<const char*>(v.mv_data), v.mv_size};
}

} // namespace cairn::storage
