#include "storage/buffer_batch.hpp"

#include "tests/storage/store_fixture.hpp"

#include <vector>

using namespace cairn::storage;
using namespace cairn::storage::test;

namespace {

struct batch_fixture {
  record_batch batch = make_batch(3, 1'700'000'000'000'000'000, 5);
  std::string value;

  batch_fixture() {
    std::vector<std::string_view> recs;
    for (size_t i = 0; i < batch.size(); ++i) {
      uint64_t id = 40 - i; // ids need not ascend
      std::memcpy(batch.bytes.data() + batch.offsets[i] + record_id_offset, &id, 8);
    }
    for (size_t i = 0; i < batch.size(); ++i)
      recs.push_back(batch.record(i));
    build_buffer_batch(recs, value);
  }
};

} // namespace

TEST_SUITE("storage.buffer_batch") {

TEST_CASE_FIXTURE(batch_fixture, "a built value reads back its records and head") {
  buffer_batch_view v;
  REQUIRE(v.parse(value));
  CHECK(v.size() == 3);
  CHECK(v.head().min_timestamp == 1'700'000'000'000'000'000);
  CHECK(v.head().max_timestamp == 1'700'000'000'000'000'010);
  CHECK(v.head().min_id == 38);
  CHECK(v.head().max_id == 40);
  for (uint32_t i = 0; i < 3; ++i)
    CHECK(v.record(i) == batch.record(i));
  CHECK(v.record_bytes() == batch.bytes.size());
  CHECK(value.size() == buffer_batch_size(3, batch.bytes.size()));
}

TEST_CASE_FIXTURE(batch_fixture, "write_buffer_batch and build_buffer_batch produce the same bytes") {
  buffer_batch_view v;
  REQUIRE(v.parse(value));
  std::string out(value.size(), '\0');
  write_buffer_batch(out.data(), v.head(), batch.offsets, batch.bytes);
  CHECK(out == value);
}

TEST_CASE_FIXTURE(batch_fixture, "damaged values are refused") {
  buffer_batch_view v;
  auto bad = value;
  bad[0] = 'X'; // magic
  CHECK_FALSE(v.parse(bad));
  CHECK_FALSE(v.parse(std::string_view{value}.substr(0, 20))); // short head
  CHECK_FALSE(v.parse(std::string_view{value}.substr(0, buffer_batch_header_size + 8))); // offsets cut
  bad = value;
  uint32_t zero = 0;
  std::memcpy(bad.data() + 4, &zero, 4); // count 0
  CHECK_FALSE(v.parse(bad));
  bad = value;
  uint32_t past = static_cast<uint32_t>(batch.bytes.size() + 1);
  std::memcpy(bad.data() + buffer_batch_header_size + 4, &past, 4); // offset past the area
  CHECK_FALSE(v.parse(bad));
  bad = value;
  uint32_t one = 1;
  std::memcpy(bad.data() + buffer_batch_header_size, &one, 4); // first offset not 0
  CHECK_FALSE(v.parse(bad));
}

}
