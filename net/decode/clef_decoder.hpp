#pragma once
/// Decoder for newline-delimited CLEF (compact log event format), the body
/// of `POST /ingest/clef` and `POST /api/events/raw?clef`.
///
/// Lifecycle: one instance per decoding thread/actor, reused for every
/// request; it holds the simdjson parser and scratch buffers so steady-state
/// decoding allocates nothing per event. Not thread-safe.
///
/// Rules (seq-compat.md §1): one JSON object per line, `\n` or `\r\n`, blank
/// lines skipped; `@t` required; `@m`, `@mt`, `@l`, `@x` must be strings;
/// `@i` a number or hex string; unknown `@` fields are kept as properties and
/// `@@x` is the property `@x`. Any bad line rejects the whole request with an
/// error naming the line (1-based), and the batch is left untouched.
#include <string>

#include <simdjson.h>

#include "net/decode/decode_status.hpp"
#include "net/decode/property_writer.hpp"
#include "net/decode/template_cache.hpp"
#include "storage/event_record.hpp"

namespace cairn::decode {

/// Decodes CLEF bodies into record batches.
class clef_decoder {
public:
  /// Appends one record per event line of `body` to `out`.
  /// May grow `body`'s capacity (padding); its contents are not changed.
  decode_status decode(std::string& body, storage::record_batch& out);

private:
  /// Decodes one line [p, p+len); `padded` bytes are readable from p.
  /// Returns the error text without the "line N: " prefix.
  decode_status decode_line(const char* p, size_t len, size_t padded,
                            storage::record_batch& out);

  simdjson::ondemand::parser parser_;
  property_writer props_;
  template_cache templates_;
  std::string rendered_;
  std::string trace_id_, span_id_, parent_id_;
  std::string resource_, scope_;
};

} // namespace cairn::decode
