// libFuzzer target: arbitrary bytes through the raw {"Events":[...]} decoder.
#include <cstdlib>
#include <string>

#include "net/decode/raw_json_decoder.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static cairn::decode::raw_json_decoder decoder;
  cairn::storage::record_batch batch;
  std::string body(reinterpret_cast<const char*>(data), size);
  if (decoder.decode(body, batch) && !batch.empty())
    std::abort();
  return 0;
}
