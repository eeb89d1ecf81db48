// libFuzzer target: arbitrary bytes through the CLEF decoder. Checks the
// all-or-nothing contract: a rejected body leaves the batch as it was.
#include <cstdlib>
#include <string>

#include "net/decode/clef_decoder.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static cairn::decode::clef_decoder decoder;
  cairn::storage::record_batch batch;
  batch.bytes = "seed";
  batch.offsets = {0};
  std::string body(reinterpret_cast<const char*>(data), size);
  if (decoder.decode(body, batch) && (batch.bytes != "seed" || batch.offsets.size() != 1))
    std::abort();
  return 0;
}
