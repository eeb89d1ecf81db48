#include "storage/errc.hpp"

#include <cerrno>
#include <lmdb.h>

namespace cairn::storage {

std::string_view errc_message(errc e) noexcept {
  switch (e) {
    case errc::ok: return "ok";
    case errc::store_full: return "store full";
    case errc::io_error: return "I/O error";
    case errc::corrupt: return "store corrupt";
    case errc::incompatible: return "incompatible store format";
    case errc::not_found: return "not found";
    case errc::duplicate_key: return "duplicate event key";
    case errc::invalid_record: return "invalid event record";
    case errc::txn_too_large: return "transaction too large";
    case errc::resources: return "store resources exhausted";
    case errc::internal: return "internal store error";
  }
  return "unknown store error";
}

std::string store_error::to_string() const {
  std::string s{errc_message(code)};
  if (!context.empty()) {
    s += ": ";
    s += context;
  }
  return s;
}

store_error lmdb_error(int rc, std::string_view context) {
  errc code;
  switch (rc) {
    case MDB_MAP_FULL:
    case ENOSPC:
#ifdef EDQUOT
    case EDQUOT:
#endif
      code = errc::store_full;
      break;
    case MDB_NOTFOUND: code = errc::not_found; break;
    case MDB_KEYEXIST: code = errc::duplicate_key; break;
    case MDB_CORRUPTED:
    case MDB_PAGE_NOTFOUND:
    case MDB_BAD_TXN:
    case MDB_BAD_VALSIZE:
      code = errc::corrupt;
      break;
    case MDB_VERSION_MISMATCH:
    case MDB_INVALID:
    case MDB_INCOMPATIBLE:
      code = errc::incompatible;
      break;
    case MDB_TXN_FULL:
    case MDB_CURSOR_FULL:
    case MDB_PAGE_FULL:
      code = errc::txn_too_large;
      break;
    case MDB_READERS_FULL:
    case MDB_DBS_FULL:
    case MDB_MAP_RESIZED:
    case MDB_TLS_FULL:
    case ENOMEM:
      code = errc::resources;
      break;
    case EIO:
    case EACCES:
    case EROFS:
    case EBADF:
      code = errc::io_error;
      break;
    default: code = rc > 0 ? errc::io_error : errc::internal; break;
  }
  std::string ctx{context};
  ctx += ": ";
  ctx += mdb_strerror(rc);
  return store_error{code, std::move(ctx)};
}

} // namespace cairn::storage
