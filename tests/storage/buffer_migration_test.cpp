#include "storage/event_store.hpp"

#include "storage/event_key.hpp"
#include "tests/storage/store_fixture.hpp"

#include <lmdb.h>

#include <cstring>
#include <map>

using namespace cairn::storage;
using namespace cairn::storage::test;

namespace {

constexpr int64_t sec = 1'000'000'000;
constexpr int64_t t0 = 1'700'000'000 * sec;

/// Writes a store the way format 1 did: one `buffer` entry per event
/// (event key -> record) and the format-1 meta counters.
struct legacy_store_fixture {
  temp_dir dir;
  record_batch batch = make_batch(5000, t0, sec / 10);

  void write_legacy(size_t events) {
    auto path = dir.path / "stream";
    std::filesystem::create_directories(path);
    MDB_env* env = nullptr;
    REQUIRE(mdb_env_create(&env) == MDB_SUCCESS);
    REQUIRE(mdb_env_set_maxdbs(env, 8) == MDB_SUCCESS);
    REQUIRE(mdb_env_set_mapsize(env, size_t{1} << 30) == MDB_SUCCESS);
    REQUIRE(mdb_env_open(env, path.c_str(), MDB_NOTLS, 0644) == MDB_SUCCESS);
    MDB_txn* txn = nullptr;
    REQUIRE(mdb_txn_begin(env, nullptr, 0, &txn) == MDB_SUCCESS);
    MDB_dbi meta, buffer;
    REQUIRE(mdb_dbi_open(txn, "meta", MDB_CREATE, &meta) == MDB_SUCCESS);
    REQUIRE(mdb_dbi_open(txn, "buffer", MDB_CREATE, &buffer) == MDB_SUCCESS);
    uint64_t bytes = 0;
    for (size_t i = 0; i < events; ++i) {
      uint64_t id = i + 1;
      std::memcpy(batch.bytes.data() + batch.offsets[i] + record_id_offset, &id, 8);
      auto r = batch.record(i);
      int64_t ts;
      std::memcpy(&ts, r.data(), 8);
      char key[event_key_size];
      event_key{ts, id}.encode(key);
      MDB_val k{event_key_size, key}, v{r.size(), const_cast<char*>(r.data())};
      REQUIRE(mdb_put(txn, buffer, &k, &v, MDB_NOOVERWRITE) == MDB_SUCCESS);
      bytes += r.size();
    }
    std::pair<const char*, uint64_t> counters[] = {
      {"format", 1}, {"model", 1}, {"write", 7}, {"next_id", events + 1}, {"buffered_bytes", bytes}};
    for (auto& [name, value] : counters) {
      MDB_val k{std::strlen(name), const_cast<char*>(name)}, v{8, &value};
      REQUIRE(mdb_put(txn, meta, &k, &v, 0) == MDB_SUCCESS);
    }
    REQUIRE(mdb_txn_commit(txn) == MDB_SUCCESS);
    mdb_env_close(env);
  }

  /// True if the legacy `buffer` DB still exists.
  bool legacy_db_exists() {
    MDB_env* env = nullptr;
    REQUIRE(mdb_env_create(&env) == MDB_SUCCESS);
    REQUIRE(mdb_env_set_maxdbs(env, 8) == MDB_SUCCESS);
    REQUIRE(mdb_env_open(env, (dir.path / "stream").c_str(), MDB_NOTLS | MDB_RDONLY, 0644) == MDB_SUCCESS);
    MDB_txn* txn = nullptr;
    REQUIRE(mdb_txn_begin(env, nullptr, MDB_RDONLY, &txn) == MDB_SUCCESS);
    MDB_dbi dbi;
    bool exists = mdb_dbi_open(txn, "buffer", 0, &dbi) == MDB_SUCCESS;
    mdb_txn_abort(txn);
    mdb_env_close(env);
    return exists;
  }
};

} // namespace

TEST_SUITE("storage.buffer_migration") {

TEST_CASE_FIXTURE(legacy_store_fixture, "a format 1 store's per-event buffer is moved into batch values on open") {
  write_legacy(5000);
  store_options o;
  o.map_size = size_t{1} << 30;
  auto store = open_store(dir.path, o);
  auto s = store->stats();
  REQUIRE(s);
  CHECK(s->buffered_events == 5000);
  CHECK(s->next_id == 5001);
  CHECK(store->current_generation() == generation{1, 7});
  // Every record comes back byte for byte, in key order.
  uint64_t expect = 1;
  bool same = true;
  REQUIRE(store->scan_buffer(INT64_MIN, INT64_MAX, [&](const record_view& v) {
    same = same && v.id() == expect && v.bytes() == batch.record(expect - 1);
    ++expect;
    return true;
  }));
  CHECK(same);
  CHECK(expect == 5001);
  auto one = store->get_by_id(4321);
  REQUIRE(one);
  CHECK(*one == batch.record(4320));
  store.reset();
  CHECK_FALSE(legacy_db_exists());
  // Reopened: nothing moves twice; new batches follow; indexing folds all.
  store = open_store(dir.path, o);
  auto more = make_batch(10, t0 + 1000 * sec);
  auto r = store->append_batch(more);
  REQUIRE(r);
  CHECK(r->first_id == 5001);
  REQUIRE(store->flush());
  s = store->stats();
  REQUIRE(s);
  CHECK(s->buffered_events == 0);
  CHECK(s->indexed_events == 5010);
}

TEST_CASE_FIXTURE(legacy_store_fixture, "a format 1 store with an empty buffer opens as format 2") {
  write_legacy(0);
  auto store = open_store(dir.path);
  auto s = store->stats();
  REQUIRE(s);
  CHECK(s->buffered_events == 0);
  store.reset();
  CHECK_FALSE(legacy_db_exists());
}

}
