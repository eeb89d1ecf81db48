// libFuzzer target: arbitrary bytes through the OTLP protobuf decoder (logs
// and traces). Every stored properties/resource/scope text must be valid JSON.
#include <cstdlib>
#include <string>

#include <simdjson.h>

#include "net/decode/otlp_proto_decoder.hpp"

namespace {
void check_json(std::string_view s) {
  if (s.empty())
    return;
  static simdjson::dom::parser parser;
  simdjson::padded_string copy(s);
  if (parser.parse(copy).error())
    std::abort();
}
} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static cairn::decode::otlp_proto_decoder decoder;
  std::string_view body(reinterpret_cast<const char*>(data), size);
  for (int traces = 0; traces < 2; ++traces) {
    cairn::storage::record_batch batch;
    auto err = traces ? decoder.decode_traces(body, batch) : decoder.decode_logs(body, batch);
    if (err && !batch.empty())
      std::abort();
    for (size_t i = 0; i < batch.size(); ++i) {
      cairn::storage::record_view v;
      if (!v.parse(batch.record(i).data(), batch.record(i).size()))
        std::abort();
      check_json(v.get(cairn::storage::field::properties));
      check_json(v.get(cairn::storage::field::resource));
      check_json(v.get(cairn::storage::field::scope));
    }
  }
  return 0;
}
