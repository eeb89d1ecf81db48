// libFuzzer target: arbitrary bytes through the OTLP JSON decoder (logs and
// traces).
#include <cstdlib>
#include <string>

#include "net/decode/otlp_json_decoder.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static cairn::decode::otlp_json_decoder decoder;
  cairn::storage::record_batch batch;
  std::string body(reinterpret_cast<const char*>(data), size);
  if (decoder.decode_logs(body, batch) && !batch.empty())
    std::abort();
  batch.clear();
  if (decoder.decode_traces(body, batch) && !batch.empty())
    std::abort();
  return 0;
}
