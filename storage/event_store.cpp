#include "storage/event_store.hpp"

#include "storage/block_codec.hpp"
#include "storage/block_summary_codec.hpp"
#include "storage/buffer_batch.hpp"
#include "storage/lmdb_handles.hpp"

#include <algorithm>
#include <cstring>
#include <limits>
#include <mutex>
#include <system_error>

namespace cairn::storage {

namespace {

/// On-disk format of the whole store; bump on any incompatible change.
/// 1: one `buffer` entry per event; 2: one `batches` value per committed
/// batch (format-1 stores are migrated when opened).
constexpr uint64_t store_format = 2;
constexpr uint64_t legacy_store_format = 1;

/// Legacy buffer entries are moved into batch values this many record bytes
/// per transaction (bounded dirty pages), at most this many per value.
constexpr uint64_t migrate_commit_bytes = uint64_t{64} << 20;
constexpr size_t migrate_batch_events = 4096;

/// A retention pass commits after rewriting this many block bytes, so one
/// transaction never dirties more pages than LMDB allows (MDB_TXN_FULL).
constexpr uint64_t retention_commit_bytes = uint64_t{64} << 20;

/// The counters of the `meta` DB. The writer keeps a copy, changes a copy of
/// the copy inside each write transaction and adopts it after the commit.
struct meta_state {
  uint64_t format = store_format;
  uint64_t model = 0;
  uint64_t write = 0;
  uint64_t next_id = 1;
  uint64_t buffered_bytes = 0;
  uint64_t buffered_events = 0;
  uint64_t indexed_events = 0;
  uint64_t indexed_raw_bytes = 0;
  uint64_t indexed_stored_bytes = 0;
  uint64_t max_block_span = 0;

  generation gen() const noexcept { return generation{model, write}; }
};

/// Names of the meta keys, paired with their fields.
struct meta_field {
  const char* key;
  uint64_t meta_state::*member;
};
constexpr meta_field meta_fields[] = {
  {"format", &meta_state::format},
  {"model", &meta_state::model},
  {"write", &meta_state::write},
  {"next_id", &meta_state::next_id},
  {"buffered_bytes", &meta_state::buffered_bytes},
  {"buffered_events", &meta_state::buffered_events},
  {"indexed_events", &meta_state::indexed_events},
  {"indexed_raw_bytes", &meta_state::indexed_raw_bytes},
  {"indexed_stored_bytes", &meta_state::indexed_stored_bytes},
  {"max_block_span", &meta_state::max_block_span},
};

int64_t sat_add(int64_t a, uint64_t b) noexcept {
  if (b > uint64_t(std::numeric_limits<int64_t>::max()) ||
      a > std::numeric_limits<int64_t>::max() - static_cast<int64_t>(b))
    return std::numeric_limits<int64_t>::max();
  return a + static_cast<int64_t>(b);
}

uint64_t span_of(int64_t lo, int64_t hi) noexcept {
  return static_cast<uint64_t>(hi) - static_cast<uint64_t>(lo);
}

size_t varint_size(uint64_t v) noexcept {
  size_t n = 1;
  while (v >= 0x80) {
    v >>= 7;
    ++n;
  }
  return n;
}

/// True if `v` parsed from exactly the bytes record_builder would write:
/// only then does a block round-trip it byte for byte.
bool is_canonical(const record_view& v) noexcept {
  size_t n = record_header_size;
  for (size_t f = 0; f < field_count; ++f) {
    auto s = v.get(static_cast<field>(f)).size();
    n += varint_size(s) + s;
  }
  return n == v.bytes().size();
}

std::string key_context(const char* what, const event_key& k) {
  return std::string{what} + " ts=" + std::to_string(k.timestamp) + " id=" + std::to_string(k.id);
}

struct encoded_key {
  char bytes[event_key_size];
  explicit encoded_key(const event_key& k) { k.encode(bytes); }
  MDB_val val() { return MDB_val{event_key_size, bytes}; }
};

/// Key of a `batches` value: its 8-byte big-endian sequence number.
struct encoded_batch_key {
  char bytes[8];
  explicit encoded_batch_key(uint64_t seq) {
    for (int i = 7; i >= 0; --i, seq >>= 8)
      bytes[i] = static_cast<char>(seq & 0xff);
  }
  MDB_val val() { return MDB_val{8, bytes}; }
};

bool decode_batch_key(const MDB_val& v, uint64_t& seq) noexcept {
  if (v.mv_size != 8)
    return false;
  seq = 0;
  for (size_t i = 0; i < 8; ++i)
    seq = (seq << 8) | static_cast<unsigned char>(static_cast<const char*>(v.mv_data)[i]);
  return true;
}

/// A buffered record located inside a batch value, sortable by key.
struct located_record {
  event_key key;
  const char* data;
  uint32_t size;
  bool operator<(const located_record& o) const noexcept { return key < o.key; }
};

event_key key_of_record(std::string_view r) noexcept {
  event_key k;
  std::memcpy(&k.timestamp, r.data(), 8);
  std::memcpy(&k.id, r.data() + record_id_offset, 8);
  return k;
}

bool decode_key(const MDB_val& v, event_key& k) noexcept {
  if (v.mv_size != event_key_size)
    return false;
  k = event_key::decode(static_cast<const char*>(v.mv_data));
  return true;
}

} // namespace

std::string generation::to_string() const {
  return std::to_string(model) + "." + std::to_string(write);
}

struct event_store::impl {
  store_options opts;
  MDB_env* env = nullptr;
  MDB_dbi meta_db = 0, batches_db = 0, blocks_db = 0, summaries_db = 0;

  // Writer-thread state.
  meta_state meta;
  uint64_t next_batch_seq = 0; ///< key of the next `batches` value
  block_encoder encoder;
  summary_builder summarizer;
  std::vector<record_view> views;
  std::vector<located_record> located;
  std::vector<uint32_t> rel_offsets;
  record_batch scratch_batch;
  std::string block_value;
  std::string summary_value;
  /// Encoded blocks of one index pass, put after every read of the pass.
  struct pending_block {
    block_key key;
    block_summary summary;
    uint64_t raw_bytes = 0;
    std::string value;
    std::string summary_value;
  };
  std::vector<pending_block> pending;

  // The generation for readers, updated after each commit.
  mutable std::mutex gen_mutex;
  generation published;

  explicit impl(const store_options& o) : opts(o), encoder(o.zstd_level) {}
  ~impl() {
    if (env)
      mdb_env_close(env);
  }

  void publish(const meta_state& m) {
    meta = m;
    std::lock_guard lock{gen_mutex};
    published = m.gen();
  }

  // ---- small LMDB helpers ----------------------------------------------------

  status read_meta(MDB_txn* txn, meta_state& m, bool& empty) const {
    empty = true;
    for (const auto& f : meta_fields) {
      MDB_val k{std::strlen(f.key), const_cast<char*>(f.key)}, v;
      int rc = mdb_get(txn, meta_db, &k, &v);
      if (rc == MDB_NOTFOUND)
        continue;
      if (rc != MDB_SUCCESS)
        return lmdb_error(rc, std::string{"read meta "} + f.key);
      if (v.mv_size != 8)
        return store_error{errc::corrupt, std::string{"meta "} + f.key + " has size " + std::to_string(v.mv_size)};
      std::memcpy(&(m.*f.member), v.mv_data, 8);
      empty = false;
    }
    return ok;
  }

  status write_meta(MDB_txn* txn, const meta_state& m) {
    for (const auto& f : meta_fields) {
      MDB_val k{std::strlen(f.key), const_cast<char*>(f.key)};
      uint64_t x = m.*f.member;
      MDB_val v{8, &x};
      if (int rc = mdb_put(txn, meta_db, &k, &v, 0); rc != MDB_SUCCESS)
        return lmdb_error(rc, std::string{"write meta "} + f.key);
    }
    return ok;
  }

  /// The one place ids are chosen: `first` if the caller (replication) gives
  /// one, else the persisted allocator. The allocator always ends past them.
  static uint64_t assign_ids(meta_state& m, size_t n, std::optional<uint64_t> first) {
    uint64_t id = first ? *first : m.next_id;
    m.next_id = std::max(m.next_id, id + n);
    return id;
  }

  // ---- append ----------------------------------------------------------------

  /// duplicate_key if any id in [lo, hi] is already buffered.
  status check_unbuffered(MDB_txn* txn, uint64_t lo, uint64_t hi) const {
    std::optional<event_key> taken;
    auto st = for_each_buffered(
      txn, "append_batch", [&](const buffer_batch_head& h) { return h.max_id >= lo && h.min_id <= hi; },
      [&](const event_key& key, std::string_view) {
        if (key.id >= lo && key.id <= hi)
          taken = key;
        return !taken;
      });
    if (!st)
      return st;
    if (taken)
      return lmdb_error(MDB_KEYEXIST, key_context("append_batch: put buffer", *taken));
    return ok;
  }

  result<append_result> append(record_batch& batch, std::optional<uint64_t> first) {
    if (batch.empty())
      return append_result{meta.gen(), first.value_or(0)};
    // 1. Validate before touching the store: nothing of a bad batch is stored.
    //    Records must be contiguous: the value stores them as one run.
    uint64_t bytes = 0;
    for (size_t i = 0; i < batch.size(); ++i) {
      auto r = batch.record(i);
      record_view v;
      if ((i > 0 && batch.offsets[i] < batch.offsets[i - 1]) || !v.parse(r.data(), r.size()) ||
          !is_canonical(v) || r.size() > max_record_bytes)
        return store_error{errc::invalid_record, "append_batch: record " + std::to_string(i)};
      bytes += r.size();
    }
    if (batch.size() > std::numeric_limits<uint32_t>::max() || bytes > std::numeric_limits<uint32_t>::max())
      return store_error{errc::invalid_record, "append_batch: batch larger than 4 GiB"};
    // 2. Ids (patched into the caller's batch: replication ships it).
    meta_state next = meta;
    uint64_t first_id = assign_ids(next, batch.size(), first);
    const uint64_t last_id = first_id + batch.size() - 1;
    next.write += 1;
    next.buffered_bytes += bytes;
    next.buffered_events += batch.size();
    for (size_t i = 0; i < batch.size(); ++i) {
      uint64_t id = first_id + i;
      std::memcpy(batch.bytes.data() + batch.offsets[i] + record_id_offset, &id, 8);
    }
    // 3. The whole batch as one value, written straight into the page LMDB
    //    reserves for it (no intermediate copy), plus the counters: one
    //    transaction, one fsync.
    lmdb_txn txn;
    if (auto st = txn.begin(env, false, "append_batch"); !st)
      return std::move(st).error();
    // Explicit ids below the allocator may already be buffered (a re-sent
    // replicated batch); fresh ones cannot be (invariant 4).
    if (first_id < meta.next_id)
      if (auto st = check_unbuffered(txn.get(), first_id, last_id); !st)
        return std::move(st).error();
    // Values of at most buffer_value_max_bytes of records each (see
    // store_options): LMDB's buffer for a value's pages stays a reused heap
    // block instead of a fresh mmap per commit.
    uint64_t seq = next_batch_seq;
    const size_t value_max = std::max<size_t>(1, opts.buffer_value_max_bytes);
    const std::string_view all{batch.bytes};
    for (size_t i = 0; i < batch.size();) {
      // 3a. The run [i, j): whole records up to the byte cap, at least one.
      const uint32_t begin = batch.offsets[i];
      auto record_end = [&](size_t r) -> size_t { return r + 1 < batch.size() ? batch.offsets[r + 1] : all.size(); };
      size_t j = i + 1;
      while (j < batch.size() && record_end(j) - begin <= value_max)
        ++j;
      const size_t end = record_end(j - 1);
      buffer_batch_head run;
      run.count = static_cast<uint32_t>(j - i);
      run.min_timestamp = std::numeric_limits<int64_t>::max();
      run.max_timestamp = std::numeric_limits<int64_t>::min();
      run.min_id = first_id + i;
      run.max_id = first_id + j - 1;
      rel_offsets.clear();
      for (size_t r = i; r < j; ++r) {
        int64_t ts;
        std::memcpy(&ts, all.data() + batch.offsets[r], 8);
        run.min_timestamp = std::min(run.min_timestamp, ts);
        run.max_timestamp = std::max(run.max_timestamp, ts);
        rel_offsets.push_back(batch.offsets[r] - begin);
      }
      // 3b. Written straight into the pages LMDB reserves for it.
      const std::string_view records = all.substr(begin, end - begin);
      encoded_batch_key bk{seq};
      MDB_val k = bk.val(), v{buffer_batch_size(run.count, records.size()), nullptr};
      if (int rc = mdb_put(txn.get(), batches_db, &k, &v, MDB_RESERVE | MDB_APPEND); rc != MDB_SUCCESS)
        return lmdb_error(rc, "append_batch: put buffer batch " + std::to_string(seq));
      write_buffer_batch(static_cast<char*>(v.mv_data), run, rel_offsets, records);
      ++seq;
      i = j;
    }
    if (auto st = write_meta(txn.get(), next); !st)
      return std::move(st).error();
    if (auto st = txn.commit("append_batch"); !st)
      return std::move(st).error();
    next_batch_seq = seq;
    publish(next);
    return append_result{next.gen(), first_id};
  }

  // ---- indexing --------------------------------------------------------------

  /// Encodes `v` into `block_out`/`summary_out`; returns the summary.
  status encode_block(std::span<const record_view> v, block_summary& s, uint64_t& raw_bytes,
                      std::string& block_out, std::string& summary_out) {
    // One pass: the encoder splits each record's properties and feeds the
    // summary from that split, so no event's JSON is scanned twice.
    summarizer.reset();
    raw_bytes = 0;
    for (const auto& r : v)
      raw_bytes += r.bytes().size();
    if (auto st = encoder.encode(v, block_out, &summarizer); !st)
      return st;
    s = summarizer.finish();
    serialize_summary(s, raw_bytes, block_out.size(), summary_out);
    return ok;
  }

  /// Puts a block value and its summary under `key` and counts them in `m`.
  status put_block(MDB_txn* txn, const block_key& key, const block_summary& s, uint64_t raw_bytes,
                   const std::string& value, const std::string& summary, meta_state& m) {
    encoded_key ek{key};
    MDB_val k = ek.val(), v = to_val(value);
    if (int rc = mdb_put(txn, blocks_db, &k, &v, MDB_NOOVERWRITE); rc != MDB_SUCCESS)
      return lmdb_error(rc, key_context("put block", key));
    v = to_val(summary);
    if (int rc = mdb_put(txn, summaries_db, &k, &v, MDB_NOOVERWRITE); rc != MDB_SUCCESS)
      return lmdb_error(rc, key_context("put summary", key));
    m.indexed_events += s.event_count;
    m.indexed_raw_bytes += raw_bytes;
    m.indexed_stored_bytes += value.size();
    m.max_block_span = std::max(m.max_block_span, span_of(s.min_timestamp, s.max_timestamp));
    return ok;
  }

  /// Encodes the key-sorted `located` records into pending blocks of at
  /// most block_max_events / block_max_bytes each, cut evenly by count.
  status encode_pending(uint64_t total_bytes) {
    size_t n = located.size();
    size_t max_ev = std::max<size_t>(1, opts.block_max_events);
    size_t max_bytes = std::max<size_t>(1, opts.block_max_bytes);
    size_t k = std::max({size_t{1}, (n + max_ev - 1) / max_ev, size_t((total_bytes + max_bytes - 1) / max_bytes)});
    size_t target = (n + k - 1) / k;
    size_t used = 0;
    for (size_t i = 0; i < n;) {
      views.clear();
      uint64_t bytes = 0;
      for (; i < n && views.size() < target; ++i) {
        if (!views.empty() && bytes + located[i].size > max_bytes)
          break;
        record_view rv;
        if (!rv.parse(located[i].data, located[i].size))
          return store_error{errc::corrupt, key_context("index_pass: unparsable buffered record", located[i].key)};
        views.push_back(rv);
        bytes += located[i].size;
      }
      if (pending.size() <= used)
        pending.emplace_back();
      auto& pb = pending[used++];
      pb.key = block_key{views.back().timestamp(), views.back().id()};
      if (auto st = encode_block(views, pb.summary, pb.raw_bytes, pb.value, pb.summary_value); !st)
        return st;
    }
    pending.resize(used);
    views.clear();
    return ok;
  }

  /// Collects records into `located`: with `whole`, every record of the
  /// oldest batch values up to the pass limit (whole values, consumed);
  /// otherwise the records with timestamp < cutoff (values holding others
  /// are rewritten with the rest). Fills `consumed`/`rewritten`.
  status gather(MDB_txn* txn, bool whole, int64_t cutoff, std::vector<uint64_t>& consumed,
                std::vector<std::pair<uint64_t, std::string>>& rewritten, uint64_t& taken_bytes) {
    located.clear();
    taken_bytes = 0;
    uint64_t cap_events = uint64_t{std::max<uint32_t>(1, opts.block_max_events)} * std::max<uint32_t>(1, opts.index_pass_max_blocks);
    uint64_t cap_bytes = uint64_t{opts.block_max_bytes} * std::max<uint32_t>(1, opts.index_pass_max_blocks);
    lmdb_cursor cur;
    if (auto st = cur.open(txn, batches_db, "index_pass"); !st)
      return st;
    MDB_val k, v;
    int rc = cur.get(k, v, MDB_FIRST);
    std::vector<std::string_view> rest;
    for (; rc == MDB_SUCCESS; rc = cur.get(k, v, MDB_NEXT)) {
      uint64_t seq;
      buffer_batch_view b;
      if (!decode_batch_key(k, seq) || !b.parse(to_view(v)))
        return store_error{errc::corrupt, "index_pass: buffer batch"};
      if (whole) {
        // Whole values in commit order: nothing is rewritten.
        if (!consumed.empty() &&
            (located.size() + b.size() > cap_events || taken_bytes + b.record_bytes() > cap_bytes))
          break;
        for (uint32_t i = 0; i < b.size(); ++i) {
          auto r = b.record(i);
          located.push_back({key_of_record(r), r.data(), static_cast<uint32_t>(r.size())});
        }
        taken_bytes += b.record_bytes();
        consumed.push_back(seq);
        continue;
      }
      if (b.head().min_timestamp >= cutoff)
        continue;
      rest.clear();
      for (uint32_t i = 0; i < b.size(); ++i) {
        auto r = b.record(i);
        auto key = key_of_record(r);
        if (key.timestamp < cutoff) {
          located.push_back({key, r.data(), static_cast<uint32_t>(r.size())});
          taken_bytes += r.size();
        } else {
          rest.push_back(r);
        }
      }
      if (rest.empty()) {
        consumed.push_back(seq);
      } else {
        rewritten.emplace_back(seq, std::string{});
        build_buffer_batch(rest, rewritten.back().second);
      }
    }
    if (rc != MDB_SUCCESS && rc != MDB_NOTFOUND)
      return lmdb_error(rc, "index_pass: scan buffer");
    return ok;
  }

  result<index_result> index_one(int64_t cutoff, bool force) {
    lmdb_txn txn;
    if (auto st = txn.begin(env, false, "index_pass"); !st)
      return std::move(st).error();
    meta_state next = meta;
    auto full_block_ready = [&](const meta_state& m) {
      return m.buffered_events >= opts.block_max_events || m.buffered_bytes >= opts.block_max_bytes;
    };
    // 1. While a full block's worth is buffered (or when flushing), take the
    //    oldest batch values whole; otherwise only events old enough to be
    //    settled, so blocks stay full-size while traffic flows.
    bool whole = force || full_block_ready(meta);
    std::vector<uint64_t> consumed;
    std::vector<std::pair<uint64_t, std::string>> rewritten;
    uint64_t bytes = 0;
    if (auto st = gather(txn.get(), whole, cutoff, consumed, rewritten, bytes); !st)
      return std::move(st).error();
    size_t n = located.size();
    if (n == 0)
      return index_result{0, false, meta.gen()};
    // 2. Key order inside the pass, then cut into blocks and encode them
    //    (the records point into the map: finish every read before writing).
    std::sort(located.begin(), located.end());
    if (auto st = encode_pending(bytes); !st)
      return std::move(st).error();
    located.clear();
    // 3. Blocks in, buffered values out, model bumped: one transaction.
    for (auto& pb : pending)
      if (auto st = put_block(txn.get(), pb.key, pb.summary, pb.raw_bytes, pb.value, pb.summary_value, next); !st)
        return std::move(st).error();
    for (uint64_t seq : consumed) {
      encoded_batch_key bk{seq};
      MDB_val k = bk.val();
      if (int rc = mdb_del(txn.get(), batches_db, &k, nullptr); rc != MDB_SUCCESS)
        return lmdb_error(rc, "index_pass: delete buffer batch " + std::to_string(seq));
    }
    for (auto& [seq, value] : rewritten) {
      encoded_batch_key bk{seq};
      MDB_val k = bk.val(), v = to_val(value);
      if (int rc = mdb_put(txn.get(), batches_db, &k, &v, 0); rc != MDB_SUCCESS)
        return lmdb_error(rc, "index_pass: rewrite buffer batch " + std::to_string(seq));
    }
    next.buffered_bytes -= std::min(next.buffered_bytes, bytes);
    next.buffered_events -= std::min<uint64_t>(next.buffered_events, n);
    next.model += 1;
    if (auto st = write_meta(txn.get(), next); !st)
      return std::move(st).error();
    if (auto st = txn.commit("index_pass"); !st)
      return std::move(st).error();
    publish(next);
    return index_result{static_cast<uint32_t>(n), full_block_ready(next), next.gen(),
                        static_cast<uint32_t>(pending.size())};
  }

  // ---- retention -------------------------------------------------------------

  /// Rewrites (or deletes) one block without the events `drop` selects.
  status rewrite_block(MDB_txn* txn, const block_key& key, int64_t older_than, const record_predicate* pred,
                       meta_state& m, retention_result& rr, uint64_t& written) {
    encoded_key ek{key};
    MDB_val k = ek.val(), sv, bv;
    if (int rc = mdb_get(txn, summaries_db, &k, &sv); rc != MDB_SUCCESS)
      return lmdb_error(rc, key_context("retention: get summary", key));
    summary_head head;
    if (!head.decode(to_view(sv)))
      return store_error{errc::corrupt, key_context("retention: summary", key)};
    if (int rc = mdb_get(txn, blocks_db, &k, &bv); rc != MDB_SUCCESS)
      return lmdb_error(rc, key_context("retention: get block", key));
    // 1. Decode and keep the survivors.
    if (auto st = decode_block(to_view(bv), scratch_batch); !st)
      return st;
    views.clear();
    for (size_t i = 0; i < scratch_batch.size(); ++i) {
      auto r = scratch_batch.record(i);
      record_view v;
      v.parse(r.data(), r.size());
      bool drop = v.timestamp() < older_than && (!pred || (*pred)(v));
      if (!drop)
        views.push_back(v);
    }
    size_t removed = scratch_batch.size() - views.size();
    if (removed == 0)
      return ok;
    // 2. Remove the old block, then put the survivors under their new key.
    if (int rc = mdb_del(txn, blocks_db, &k, nullptr); rc != MDB_SUCCESS)
      return lmdb_error(rc, key_context("retention: delete block", key));
    if (int rc = mdb_del(txn, summaries_db, &k, nullptr); rc != MDB_SUCCESS)
      return lmdb_error(rc, key_context("retention: delete summary", key));
    m.indexed_events -= std::min<uint64_t>(m.indexed_events, head.event_count);
    m.indexed_raw_bytes -= std::min(m.indexed_raw_bytes, head.raw_bytes);
    m.indexed_stored_bytes -= std::min(m.indexed_stored_bytes, head.stored_bytes);
    rr.deleted_events += removed;
    if (views.empty()) {
      ++rr.blocks_deleted;
      return ok;
    }
    block_summary s;
    uint64_t raw_bytes = 0;
    event_key last{views.back().timestamp(), views.back().id()};
    if (auto st = encode_block(views, s, raw_bytes, block_value, summary_value); !st)
      return st;
    written += block_value.size();
    ++rr.blocks_rewritten;
    return put_block(txn, last, s, raw_bytes, block_value, summary_value, m);
  }

  /// Shared by delete_before (pred == nullptr: every old event) and
  /// delete_matching. Commits every retention_commit_bytes of rewrites.
  result<retention_result> retention(int64_t older_than, const record_predicate* pred,
                                     const summary_predicate* may_match) {
    retention_result rr;
    meta_state next = meta;
    auto txn = std::make_unique<lmdb_txn>();
    if (auto st = txn->begin(env, false, "retention"); !st)
      return std::move(st).error();
    // 1. Buffer: values with old events lose them (rewritten with the
    //    survivors, or deleted when none survive). Survivors are copied out
    //    before the first write.
    std::vector<uint64_t> doomed;
    std::vector<std::pair<uint64_t, std::string>> rewritten;
    {
      lmdb_cursor cur;
      if (auto st = cur.open(txn->get(), batches_db, "retention"); !st)
        return std::move(st).error();
      MDB_val k, v;
      std::vector<std::string_view> keep;
      int rc = cur.get(k, v, MDB_FIRST);
      for (; rc == MDB_SUCCESS; rc = cur.get(k, v, MDB_NEXT)) {
        uint64_t seq;
        buffer_batch_view b;
        if (!decode_batch_key(k, seq) || !b.parse(to_view(v)))
          return store_error{errc::corrupt, "retention: buffer batch"};
        if (b.head().min_timestamp >= older_than)
          continue;
        keep.clear();
        uint64_t dropped_bytes = 0;
        for (uint32_t i = 0; i < b.size(); ++i) {
          auto r = b.record(i);
          record_view rv;
          if (!rv.parse(r.data(), r.size()))
            return store_error{errc::corrupt, key_context("retention: buffered record", key_of_record(r))};
          if (rv.timestamp() < older_than && (!pred || (*pred)(rv)))
            dropped_bytes += r.size();
          else
            keep.push_back(r);
        }
        if (keep.size() == b.size())
          continue;
        rr.deleted_events += b.size() - keep.size();
        next.buffered_events -= std::min<uint64_t>(next.buffered_events, b.size() - keep.size());
        next.buffered_bytes -= std::min(next.buffered_bytes, dropped_bytes);
        if (keep.empty()) {
          doomed.push_back(seq);
        } else {
          rewritten.emplace_back(seq, std::string{});
          build_buffer_batch(keep, rewritten.back().second);
        }
      }
      if (rc != MDB_NOTFOUND)
        return lmdb_error(rc, "retention: scan buffer");
    }
    for (uint64_t seq : doomed) {
      encoded_batch_key bk{seq};
      MDB_val k = bk.val();
      if (int rc = mdb_del(txn->get(), batches_db, &k, nullptr); rc != MDB_SUCCESS)
        return lmdb_error(rc, "retention: delete buffer batch " + std::to_string(seq));
    }
    for (auto& [seq, value] : rewritten) {
      encoded_batch_key bk{seq};
      MDB_val k = bk.val(), v = to_val(value);
      if (int rc = mdb_put(txn->get(), batches_db, &k, &v, 0); rc != MDB_SUCCESS)
        return lmdb_error(rc, "retention: rewrite buffer batch " + std::to_string(seq));
    }
    // 2. Blocks: whole ones that end before the cut go without decoding (if
    //    every old event is doomed); others holding old events are
    //    candidates. Since min_ts >= max_ts - max_block_span, no block with
    //    max_ts >= older_than + max_block_span can hold an old event.
    std::vector<block_key> whole, partial;
    int64_t scan_end = sat_add(older_than, next.max_block_span);
    {
      lmdb_cursor cur;
      if (auto st = cur.open(txn->get(), summaries_db, "retention"); !st)
        return std::move(st).error();
      MDB_val k, v;
      block_key key;
      for (int rc = cur.get(k, v, MDB_FIRST); rc == MDB_SUCCESS; rc = cur.get(k, v, MDB_NEXT)) {
        summary_head head;
        if (!decode_key(k, key) || !head.decode(to_view(v)))
          return store_error{errc::corrupt, "retention: summary"};
        if (scan_end != std::numeric_limits<int64_t>::max() && key.timestamp >= scan_end)
          break;
        if (head.min_timestamp >= older_than)
          continue;
        if (may_match && *may_match) {
          block_summary s;
          if (!deserialize_summary(to_view(v), s))
            return store_error{errc::corrupt, key_context("retention: summary", key)};
          if (!(*may_match)(s))
            continue;
        }
        (head.max_timestamp < older_than && !pred ? whole : partial).push_back(key);
      }
    }
    for (auto& key : whole) {
      encoded_key ek{key};
      MDB_val k = ek.val(), v;
      if (int rc = mdb_get(txn->get(), summaries_db, &k, &v); rc != MDB_SUCCESS)
        return lmdb_error(rc, key_context("retention: get summary", key));
      summary_head head;
      head.decode(to_view(v));
      if (int rc = mdb_del(txn->get(), blocks_db, &k, nullptr); rc != MDB_SUCCESS)
        return lmdb_error(rc, key_context("retention: delete block", key));
      if (int rc = mdb_del(txn->get(), summaries_db, &k, nullptr); rc != MDB_SUCCESS)
        return lmdb_error(rc, key_context("retention: delete summary", key));
      next.indexed_events -= std::min<uint64_t>(next.indexed_events, head.event_count);
      next.indexed_raw_bytes -= std::min(next.indexed_raw_bytes, head.raw_bytes);
      next.indexed_stored_bytes -= std::min(next.indexed_stored_bytes, head.stored_bytes);
      rr.deleted_events += head.event_count;
      ++rr.blocks_deleted;
    }
    // 3. Rewrite partial blocks, committing in chunks.
    uint64_t written = 0;
    for (auto& key : partial) {
      if (auto st = rewrite_block(txn->get(), key, older_than, pred, next, rr, written); !st)
        return std::move(st).error();
      if (written >= retention_commit_bytes) {
        next.model += 1;
        if (auto st = write_meta(txn->get(), next); !st)
          return std::move(st).error();
        if (auto st = txn->commit("retention"); !st)
          return std::move(st).error();
        publish(next);
        written = 0;
        txn = std::make_unique<lmdb_txn>();
        if (auto st = txn->begin(env, false, "retention"); !st)
          return std::move(st).error();
      }
    }
    next.model += 1;
    if (auto st = write_meta(txn->get(), next); !st)
      return std::move(st).error();
    if (auto st = txn->commit("retention"); !st)
      return std::move(st).error();
    publish(next);
    rr.gen = next.gen();
    // LMDB hands out pages freed by commit N only from commit N+2 on (the
    // previous snapshot must stay intact). A store that was full would stay
    // full for the next append: one more small commit (the same counters)
    // makes the space retention freed usable at once.
    txn = std::make_unique<lmdb_txn>();
    if (auto st = txn->begin(env, false, "retention"); !st)
      return std::move(st).error();
    if (auto st = write_meta(txn->get(), next); !st)
      return std::move(st).error();
    if (auto st = txn->commit("retention"); !st)
      return std::move(st).error();
    return rr;
  }

  // ---- open --------------------------------------------------------------------

  /// next_batch_seq = one past the greatest `batches` key (0 if none).
  status find_next_batch_seq() {
    lmdb_txn txn;
    if (auto st = txn.begin(env, true, "open"); !st)
      return st;
    lmdb_cursor cur;
    if (auto st = cur.open(txn.get(), batches_db, "open"); !st)
      return st;
    MDB_val k, v;
    int rc = cur.get(k, v, MDB_LAST);
    uint64_t seq = 0;
    if (rc == MDB_SUCCESS && !decode_batch_key(k, seq))
      return store_error{errc::corrupt, "open: buffer batch key size"};
    if (rc != MDB_SUCCESS && rc != MDB_NOTFOUND)
      return lmdb_error(rc, "open: last buffer batch");
    next_batch_seq = rc == MDB_SUCCESS ? seq + 1 : 0;
    return ok;
  }

  /// Moves format-1 per-event `buffer` entries into `batches` values, in
  /// key order, migrate_commit_bytes per transaction; each commit also
  /// writes format 2 and the buffered event count, so a crash in between
  /// leaves a consistent store whose next open moves the rest. The emptied
  /// legacy DB is dropped.
  status migrate_legacy_buffer() {
    for (;;) {
      if (auto st = find_next_batch_seq(); !st)
        return st;
      lmdb_txn txn;
      if (auto st = txn.begin(env, false, "migrate buffer"); !st)
        return st;
      MDB_dbi legacy;
      int rc = mdb_dbi_open(txn.get(), "buffer", 0, &legacy);
      if (rc == MDB_NOTFOUND)
        return ok; // never had one, or already dropped
      if (rc != MDB_SUCCESS)
        return lmdb_error(rc, "migrate buffer: open legacy buffer");
      meta_state next = meta;
      next.format = store_format;
      // 1. Copy a chunk out (views die with the first write).
      std::string records;
      std::vector<uint32_t> offsets;
      std::vector<std::string> values;
      std::vector<std::string_view> chunk;
      uint64_t moved = 0, moved_bytes = 0;
      {
        lmdb_cursor cur;
        if (auto st = cur.open(txn.get(), legacy, "migrate buffer"); !st)
          return st;
        MDB_val k, v;
        for (rc = cur.get(k, v, MDB_FIRST); rc == MDB_SUCCESS && moved_bytes < migrate_commit_bytes;
             rc = cur.get(k, v, MDB_NEXT)) {
          record_view rv;
          if (!rv.parse(static_cast<const char*>(v.mv_data), v.mv_size))
            return store_error{errc::corrupt, "migrate buffer: unparsable buffered record"};
          chunk.push_back(to_view(v));
          moved += 1;
          moved_bytes += v.mv_size;
          if (chunk.size() == migrate_batch_events) {
            values.emplace_back();
            build_buffer_batch(chunk, values.back());
            chunk.clear();
          }
        }
        if (rc != MDB_SUCCESS && rc != MDB_NOTFOUND)
          return lmdb_error(rc, "migrate buffer: scan legacy buffer");
        if (!chunk.empty()) {
          values.emplace_back();
          build_buffer_batch(chunk, values.back());
          chunk.clear();
        }
      }
      // 2. Out of the legacy DB (the front `moved` entries), into batches.
      bool done = moved == 0;
      if (!done) {
        lmdb_cursor cur;
        if (auto st = cur.open(txn.get(), legacy, "migrate buffer"); !st)
          return st;
        MDB_val k, v;
        for (uint64_t i = 0; i < moved; ++i) {
          if (int drc = cur.get(k, v, MDB_FIRST); drc != MDB_SUCCESS)
            return lmdb_error(drc, "migrate buffer: delete legacy entry");
          if (int drc = mdb_cursor_del(cur.get(), 0); drc != MDB_SUCCESS)
            return lmdb_error(drc, "migrate buffer: delete legacy entry");
        }
      }
      uint64_t seq = next_batch_seq;
      for (auto& value : values) {
        encoded_batch_key bk{seq};
        MDB_val k = bk.val(), v = to_val(value);
        if (int prc = mdb_put(txn.get(), batches_db, &k, &v, MDB_APPEND); prc != MDB_SUCCESS)
          return lmdb_error(prc, "migrate buffer: put buffer batch " + std::to_string(seq));
        ++seq;
      }
      next.buffered_events += moved;
      if (done)
        if (int drc = mdb_drop(txn.get(), legacy, 1); drc != MDB_SUCCESS)
          return lmdb_error(drc, "migrate buffer: drop legacy buffer");
      if (auto st = write_meta(txn.get(), next); !st)
        return st;
      if (auto st = txn.commit("migrate buffer"); !st)
        return st;
      meta = next;
      if (done)
        return ok;
    }
  }

  // ---- reads -----------------------------------------------------------------

  /// Calls f(key, record) for the records of every buffer value whose head
  /// `reaches` accepts, in commit order (not key order) until f returns
  /// false; values are parsed past their head only when they reach.
  template <class Reaches, class F>
  status for_each_buffered(MDB_txn* txn, const char* what, Reaches&& reaches, F&& f) const {
    lmdb_cursor cur;
    if (auto st = cur.open(txn, batches_db, what); !st)
      return st;
    MDB_val k, v;
    int rc = cur.get(k, v, MDB_FIRST);
    for (; rc == MDB_SUCCESS; rc = cur.get(k, v, MDB_NEXT)) {
      buffer_batch_view b;
      if (!b.parse_head(to_view(v)))
        return store_error{errc::corrupt, std::string{what} + ": buffer batch"};
      if (!reaches(b.head()))
        continue;
      if (!b.parse(to_view(v)))
        return store_error{errc::corrupt, std::string{what} + ": buffer batch"};
      for (uint32_t i = 0; i < b.size(); ++i) {
        auto r = b.record(i);
        if (!f(key_of_record(r), r))
          return ok;
      }
    }
    if (rc != MDB_NOTFOUND)
      return lmdb_error(rc, std::string{what} + ": scan buffer");
    return ok;
  }

  /// Finds a record by id in one read transaction: the buffer first (a scan:
  /// it is small), then blocks whose id range covers it. Calls f(key, bytes).
  template <class F>
  status find_by_id(MDB_txn* txn, uint64_t id, F&& f) const {
    bool found = false;
    auto in_buffer = for_each_buffered(
      txn, "get_by_id", [&](const buffer_batch_head& h) { return h.min_id <= id && id <= h.max_id; },
      [&](const event_key& key, std::string_view r) {
        if (key.id != id)
          return true;
        f(key, r);
        found = true;
        return false;
      });
    if (!in_buffer || found)
      return in_buffer;
    std::vector<block_key> candidates;
    {
      lmdb_cursor cur;
      if (auto st = cur.open(txn, summaries_db, "get_by_id"); !st)
        return st;
      MDB_val k, v;
      for (int rc = cur.get(k, v, MDB_FIRST); rc == MDB_SUCCESS; rc = cur.get(k, v, MDB_NEXT)) {
        summary_head head;
        event_key key;
        if (decode_key(k, key) && head.decode(to_view(v)) && head.min_id <= id && id <= head.max_id)
          candidates.push_back(key);
      }
    }
    record_batch batch;
    for (auto& bk : candidates) {
      encoded_key ek{bk};
      MDB_val k = ek.val(), v;
      if (int rc = mdb_get(txn, blocks_db, &k, &v); rc != MDB_SUCCESS)
        return lmdb_error(rc, key_context("get_by_id: block", bk));
      if (auto st = decode_block(to_view(v), batch); !st)
        return st;
      for (size_t i = 0; i < batch.size(); ++i) {
        auto r = batch.record(i);
        uint64_t rid;
        std::memcpy(&rid, r.data() + record_id_offset, 8);
        if (rid == id) {
          int64_t ts;
          std::memcpy(&ts, r.data(), 8);
          f(event_key{ts, id}, r);
          return ok;
        }
      }
    }
    return store_error{errc::not_found, "event id " + std::to_string(id)};
  }
};

// ---- event_store -------------------------------------------------------------

event_store::event_store(std::unique_ptr<impl> p) : impl_(std::move(p)) {}
event_store::~event_store() = default;

result<std::unique_ptr<event_store>> event_store::open(const std::filesystem::path& root,
                                                       const store_options& opts) {
  auto p = std::make_unique<impl>(opts);
  auto dir = root / "stream";
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec)
    return store_error{errc::io_error, "create " + dir.string() + ": " + ec.message()};
  // 1. The environment: named DBs, MDB_NOTLS for actor thread pools.
  if (int rc = mdb_env_create(&p->env); rc != MDB_SUCCESS) {
    p->env = nullptr;
    return lmdb_error(rc, "mdb_env_create");
  }
  if (int rc = mdb_env_set_maxdbs(p->env, 8); rc != MDB_SUCCESS)
    return lmdb_error(rc, "mdb_env_set_maxdbs");
  if (int rc = mdb_env_set_mapsize(p->env, opts.map_size); rc != MDB_SUCCESS)
    return lmdb_error(rc, "mdb_env_set_mapsize");
  if (int rc = mdb_env_set_maxreaders(p->env, 256); rc != MDB_SUCCESS)
    return lmdb_error(rc, "mdb_env_set_maxreaders");
  if (int rc = mdb_env_open(p->env, dir.c_str(), MDB_NOTLS, 0644); rc != MDB_SUCCESS)
    return lmdb_error(rc, "mdb_env_open " + dir.string());
  // Reader slots of processes killed with SIGKILL stay taken until checked.
  int dead = 0;
  mdb_reader_check(p->env, &dead);
  // 2. The named DBs and the meta counters, created on first open.
  lmdb_txn txn;
  if (auto st = txn.begin(p->env, false, "open"); !st)
    return std::move(st).error();
  struct {
    const char* name;
    MDB_dbi* dbi;
  } dbs[] = {{"meta", &p->meta_db}, {"batches", &p->batches_db}, {"blocks", &p->blocks_db},
             {"summaries", &p->summaries_db}};
  for (auto& d : dbs)
    if (int rc = mdb_dbi_open(txn.get(), d.name, MDB_CREATE, d.dbi); rc != MDB_SUCCESS)
      return lmdb_error(rc, std::string{"mdb_dbi_open "} + d.name);
  meta_state m;
  bool empty = true;
  if (auto st = p->read_meta(txn.get(), m, empty); !st)
    return std::move(st).error();
  if (empty) {
    m = meta_state{};
    m.model = 1; // creating the store (and its buffer) is the first model step
    if (auto st = p->write_meta(txn.get(), m); !st)
      return std::move(st).error();
  } else if (m.format != store_format && m.format != legacy_store_format) {
    return store_error{errc::incompatible, "store format " + std::to_string(m.format) + " in " + dir.string() +
                                             ", this build reads " + std::to_string(legacy_store_format) +
                                             " and " + std::to_string(store_format)};
  }
  if (auto st = txn.commit("open"); !st)
    return std::move(st).error();
  p->meta = m;
  // 3. Format 1 kept one `buffer` entry per event: move them into batch
  //    values (also finishes a migration a crash interrupted).
  if (auto st = p->migrate_legacy_buffer(); !st)
    return std::move(st).error();
  if (auto st = p->find_next_batch_seq(); !st)
    return std::move(st).error();
  p->publish(p->meta);
  return std::unique_ptr<event_store>(new event_store(std::move(p)));
}

result<append_result> event_store::append_batch(record_batch& batch) {
  return impl_->append(batch, std::nullopt);
}

result<append_result> event_store::append_batch(record_batch& batch, uint64_t first_id) {
  return impl_->append(batch, first_id);
}

result<index_result> event_store::index_pass(int64_t now_ns) {
  int64_t age = std::max<int64_t>(0, impl_->opts.index_min_age_ns);
  int64_t cutoff = now_ns < std::numeric_limits<int64_t>::min() + age ? std::numeric_limits<int64_t>::min()
                                                                      : now_ns - age;
  return impl_->index_one(cutoff, false);
}

result<generation> event_store::flush() {
  for (;;) {
    auto r = impl_->index_one(0, true);
    if (!r)
      return std::move(r).error();
    if (r->events == 0)
      return r->gen;
  }
}

result<retention_result> event_store::delete_before(int64_t ns) {
  return impl_->retention(ns, nullptr, nullptr);
}

result<retention_result> event_store::delete_matching(const record_predicate& pred, int64_t older_than_ns,
                                                      const summary_predicate& may_match) {
  return impl_->retention(older_than_ns, &pred, &may_match);
}

generation event_store::current_generation() const {
  std::lock_guard lock{impl_->gen_mutex};
  return impl_->published;
}

result<std::vector<block_info>> event_store::list_blocks(int64_t from_ns, int64_t to_ns) const {
  return list_blocks(from_ns, to_ns, block_predicate{});
}

result<std::vector<block_info>> event_store::list_blocks(int64_t from_ns, int64_t to_ns,
                                                         const block_predicate& keep) const {
  std::vector<block_info> out;
  if (from_ns >= to_ns)
    return out;
  lmdb_txn txn;
  if (auto st = txn.begin(impl_->env, true, "list_blocks"); !st)
    return std::move(st).error();
  meta_state m;
  bool empty;
  if (auto st = impl_->read_meta(txn.get(), m, empty); !st)
    return std::move(st).error();
  // Block keys are greatest events: start at the first block ending at or
  // after from_ns; stop once no block can start before to_ns.
  int64_t scan_end = sat_add(to_ns, m.max_block_span);
  lmdb_cursor cur;
  if (auto st = cur.open(txn.get(), impl_->summaries_db, "list_blocks"); !st)
    return std::move(st).error();
  block_summary whole; // with `keep`: reused, its filters' buffers keep their capacity
  encoded_key start{event_key::lowest_at(from_ns)};
  MDB_val k = start.val(), v;
  for (int rc = cur.get(k, v, MDB_SET_RANGE); rc == MDB_SUCCESS; rc = cur.get(k, v, MDB_NEXT)) {
    block_info bi;
    summary_head head;
    if (!decode_key(k, bi.key) || !head.decode(to_view(v)))
      return store_error{errc::corrupt, "list_blocks: summary"};
    if (bi.key.timestamp > scan_end)
      break;
    if (head.min_timestamp >= to_ns)
      continue;
    bi.raw_bytes = head.raw_bytes;
    bi.stored_bytes = head.stored_bytes;
    if (!deserialize_summary(to_view(v), keep ? whole : bi.summary))
      return store_error{errc::corrupt, key_context("list_blocks: summary", bi.key)};
    if (keep) {
      if (!keep(bi.key, whole))
        continue;
      // Everything but the filters.
      bi.summary.min_timestamp = whole.min_timestamp;
      bi.summary.max_timestamp = whole.max_timestamp;
      bi.summary.min_id = whole.min_id;
      bi.summary.max_id = whole.max_id;
      bi.summary.event_count = whole.event_count;
      bi.summary.level_bits = whole.level_bits;
    }
    out.push_back(std::move(bi));
  }
  return out;
}

namespace {

/// Runs `decode(value)` on block `key`'s value inside a short read transaction.
template <class Decode>
status with_block_value(MDB_env* env, MDB_dbi blocks_db, const block_key& key, Decode&& decode) {
  lmdb_txn txn;
  if (auto st = txn.begin(env, true, "read_block"); !st)
    return st;
  encoded_key ek{key};
  MDB_val k = ek.val(), v;
  if (int rc = mdb_get(txn.get(), blocks_db, &k, &v); rc != MDB_SUCCESS)
    return lmdb_error(rc, key_context("read_block", key));
  return decode(to_view(v));
}

} // namespace

status event_store::read_block(const block_key& key, record_batch& out) const {
  return with_block_value(impl_->env, impl_->blocks_db, key,
                          [&](std::string_view value) { return decode_block(value, out); });
}

status event_store::read_block(const block_key& key, const field_projection& projection, block_views& out) const {
  return with_block_value(impl_->env, impl_->blocks_db, key,
                          [&](std::string_view value) { return decode_block(value, out, projection); });
}

status event_store::read_block_columns(const block_key& key, const column_selection& what, block_columns& out) const {
  return with_block_value(impl_->env, impl_->blocks_db, key,
                          [&](std::string_view value) { return decode_block_columns(value, what, out); });
}

result<uint64_t> event_store::scan_buffer_after(
  uint64_t after_id, const std::function<bool(uint64_t, std::string_view)>& f) const {
  lmdb_txn txn;
  if (auto st = txn.begin(impl_->env, true, "scan_buffer_after"); !st)
    return std::move(st).error();
  uint64_t n = 0;
  auto st = impl_->for_each_buffered(
    txn.get(), "scan_buffer_after", [&](const buffer_batch_head& h) { return h.max_id > after_id; },
    [&](const event_key& key, std::string_view r) {
      if (key.id <= after_id)
        return true;
      ++n;
      return f(key.id, r);
    });
  if (!st)
    return std::move(st).error();
  return n;
}

result<uint64_t> event_store::scan_buffer(int64_t from_ns, int64_t to_ns, const record_callback& f) const {
  if (from_ns >= to_ns)
    return uint64_t{0};
  lmdb_txn txn;
  if (auto st = txn.begin(impl_->env, true, "scan_buffer"); !st)
    return std::move(st).error();
  // 1. Locate the records in range (values hold them in commit order)...
  std::vector<located_record> found;
  auto st = impl_->for_each_buffered(
    txn.get(), "scan_buffer",
    [&](const buffer_batch_head& h) { return h.max_timestamp >= from_ns && h.min_timestamp < to_ns; },
    [&](const event_key& key, std::string_view r) {
      if (key.timestamp >= from_ns && key.timestamp < to_ns)
        found.push_back({key, r.data(), static_cast<uint32_t>(r.size())});
      return true;
    });
  if (!st)
    return std::move(st).error();
  // 2. ...and deliver them in key order, zero-copy inside the transaction.
  std::sort(found.begin(), found.end());
  uint64_t n = 0;
  for (auto& lr : found) {
    record_view rv;
    if (!rv.parse(lr.data, lr.size))
      return store_error{errc::corrupt, key_context("scan_buffer: unparsable record", lr.key)};
    ++n;
    if (!f(rv))
      break;
  }
  return n;
}

result<std::string> event_store::get_by_id(uint64_t id) const {
  lmdb_txn txn;
  if (auto st = txn.begin(impl_->env, true, "get_by_id"); !st)
    return std::move(st).error();
  std::string out;
  if (auto st = impl_->find_by_id(txn.get(), id, [&](const event_key&, std::string_view r) { out.assign(r); });
      !st)
    return std::move(st).error();
  return out;
}

result<uint64_t> event_store::newest_first(size_t count, std::optional<uint64_t> after_id, int64_t from_ns,
                                           int64_t to_ns, const record_callback& f) const {
  if (count == 0 || from_ns >= to_ns)
    return uint64_t{0};
  lmdb_txn txn;
  if (auto st = txn.begin(impl_->env, true, "newest_first"); !st)
    return std::move(st).error();
  meta_state m;
  bool empty;
  if (auto st = impl_->read_meta(txn.get(), m, empty); !st)
    return std::move(st).error();
  // 1. Exclusive upper bound: (to_ns, 0), or the after_id event if older.
  event_key upper = event_key::lowest_at(to_ns);
  if (after_id) {
    event_key found;
    if (auto st = impl_->find_by_id(txn.get(), *after_id, [&](const event_key& k, std::string_view) { found = k; });
        !st)
      return std::move(st).error();
    upper = std::min(upper, found);
  }
  // The best `count` candidates, kept sorted newest first.
  struct hit {
    event_key key;
    std::string bytes;
  };
  std::vector<hit> hits;
  auto full = [&] { return hits.size() >= count; };
  auto offer = [&](const event_key& key, std::string_view bytes) {
    if (full() && key < hits.back().key)
      return;
    auto pos = std::lower_bound(hits.begin(), hits.end(), key, [](const hit& h, const event_key& k) { return h.key > k; });
    hits.insert(pos, hit{key, std::string{bytes}});
    if (hits.size() > count)
      hits.pop_back();
  };
  // 2. Buffer: every value whose time range reaches the window offers its
  //    records below the bound (values are in commit order, not key order).
  if (auto st = impl_->for_each_buffered(
        txn.get(), "newest_first",
        [&](const buffer_batch_head& h) { return h.max_timestamp >= from_ns && h.min_timestamp <= upper.timestamp; },
        [&](const event_key& key, std::string_view r) {
          if (key < upper && key.timestamp >= from_ns)
            offer(key, r);
          return true;
        });
      !st)
    return std::move(st).error();
  // 3. Blocks, by descending greatest key, from the last one that may hold
  //    an event below the bound; stop once a block's greatest event cannot
  //    beat the page's oldest.
  {
    lmdb_cursor cur;
    if (auto st = cur.open(txn.get(), impl_->summaries_db, "newest_first"); !st)
      return std::move(st).error();
    int64_t reach = sat_add(upper.timestamp, m.max_block_span);
    MDB_val k, v;
    int rc;
    if (reach == std::numeric_limits<int64_t>::max()) {
      rc = cur.get(k, v, MDB_LAST);
    } else {
      encoded_key ek{event_key::lowest_at(reach + 1)};
      k = ek.val();
      rc = cur.get(k, v, MDB_SET_RANGE);
      rc = rc == MDB_SUCCESS ? cur.get(k, v, MDB_PREV) : cur.get(k, v, MDB_LAST);
    }
    record_batch batch;
    for (; rc == MDB_SUCCESS; rc = cur.get(k, v, MDB_PREV)) {
      block_key bk;
      summary_head head;
      if (!decode_key(k, bk) || !head.decode(to_view(v)))
        return store_error{errc::corrupt, "newest_first: summary"};
      if (bk.timestamp < from_ns || (full() && bk < hits.back().key))
        break;
      if (head.min_timestamp > upper.timestamp || head.min_timestamp >= to_ns)
        continue;
      encoded_key bek{bk};
      MDB_val bkv = bek.val(), bv;
      if (int grc = mdb_get(txn.get(), impl_->blocks_db, &bkv, &bv); grc != MDB_SUCCESS)
        return lmdb_error(grc, key_context("newest_first: block", bk));
      if (auto st = decode_block(to_view(bv), batch); !st)
        return std::move(st).error();
      for (size_t i = batch.size(); i-- > 0;) {
        auto r = batch.record(i);
        event_key key;
        std::memcpy(&key.timestamp, r.data(), 8);
        std::memcpy(&key.id, r.data() + record_id_offset, 8);
        if (!(key < upper))
          continue;
        if (key.timestamp < from_ns || (full() && key < hits.back().key))
          break;
        offer(key, r);
      }
    }
  }
  // 4. Deliver newest first.
  uint64_t n = 0;
  for (auto& h : hits) {
    record_view rv;
    rv.parse(h.bytes.data(), h.bytes.size());
    ++n;
    if (!f(rv))
      break;
  }
  return n;
}

result<store_stats> event_store::stats() const {
  lmdb_txn txn;
  if (auto st = txn.begin(impl_->env, true, "stats"); !st)
    return std::move(st).error();
  meta_state m;
  bool empty;
  if (auto st = impl_->read_meta(txn.get(), m, empty); !st)
    return std::move(st).error();
  MDB_stat blocks;
  if (int rc = mdb_stat(txn.get(), impl_->blocks_db, &blocks); rc != MDB_SUCCESS)
    return lmdb_error(rc, "stats: blocks");
  MDB_envinfo info;
  mdb_env_info(impl_->env, &info);
  MDB_stat env_stat;
  mdb_env_stat(impl_->env, &env_stat);
  store_stats s;
  s.buffered_events = m.buffered_events;
  s.buffered_bytes = m.buffered_bytes;
  s.indexed_events = m.indexed_events;
  s.indexed_raw_bytes = m.indexed_raw_bytes;
  s.indexed_stored_bytes = m.indexed_stored_bytes;
  s.block_count = blocks.ms_entries;
  s.next_id = m.next_id;
  s.file_bytes = (info.me_last_pgno + 1) * uint64_t(env_stat.ms_psize);
  s.gen = m.gen();
  return s;
}

} // namespace cairn::storage
