#pragma once
/// Shared helpers for the storage tests: a temporary store directory removed
/// afterwards, and a builder of realistic records.
#include "storage/event_record.hpp"
#include "storage/event_store.hpp"

#include <doctest/doctest.h>

#include <cstdlib>
#include <filesystem>
#include <string>
#include <unistd.h>

namespace cairn::storage::test {

/// A fresh directory under /tmp, deleted with everything in it.
struct temp_dir {
  std::filesystem::path path;
  temp_dir() {
    char tmpl[] = "/tmp/cairn-storage-test.XXXXXX";
    char* p = ::mkdtemp(tmpl);
    REQUIRE(p != nullptr);
    path = p;
  }
  ~temp_dir() {
    std::error_code ec;
    std::filesystem::remove_all(path, ec);
  }
};

/// Fields of one test event; unset strings stay empty.
struct event_spec {
  int64_t ts = 0;
  std::string level = "Information";
  std::string mt = "User {User} logged in from {Ip}";
  std::string message = "User alice logged in from 10.0.0.1";
  std::string exception;
  std::string trace_id;
  std::string span_id;
  std::string properties = R"({"User":"alice","Ip":"10.0.0.1","Http":{"Method":"GET","Status":200}})";
  std::string resource;
  int64_t start = no_start;
  uint32_t event_type = 0x1234abcd;
};

/// Appends one record built from `e` to `batch`.
inline void add_event(record_batch& batch, const event_spec& e) {
  batch.offsets.push_back(static_cast<uint32_t>(batch.bytes.size()));
  record_builder b{batch.bytes};
  b.timestamp(e.ts);
  b.start(e.start);
  b.event_type(e.event_type);
  b.add(e.level);
  b.add(e.mt);
  b.add(e.message);
  b.add(e.exception);
  b.add(e.trace_id);
  b.add(e.span_id);
  b.add({});
  b.add({});
  b.add(e.properties);
  b.add(e.resource);
  b.add({});
}

/// A batch of `n` plain events at ts0, ts0 + step, ...
inline record_batch make_batch(size_t n, int64_t ts0, int64_t step = 1'000'000) {
  record_batch batch;
  for (size_t i = 0; i < n; ++i) {
    event_spec e;
    e.ts = ts0 + static_cast<int64_t>(i) * step;
    e.message = "Request " + std::to_string(i) + " handled";
    add_event(batch, e);
  }
  return batch;
}

/// Opens a store or fails the test.
inline std::unique_ptr<event_store> open_store(const std::filesystem::path& root, const store_options& o = {}) {
  auto s = event_store::open(root, o);
  REQUIRE_MESSAGE(s.has_value(), (s ? std::string{} : s.error().to_string()));
  return std::move(s).value();
}

} // namespace cairn::storage::test
