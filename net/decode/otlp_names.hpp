#pragma once
/// OTLP enum values as Cairn stores them, shared by the protobuf and JSON
/// decoders (seq-compat.md §2).
#include <cstdint>
#include <string_view>

namespace cairn::decode {

/// Level name for an OTLP severity number: 1-4 Trace, 5-8 Debug,
/// 9-12 Information, 13-16 Warning, 17-20 Error, 21-24 Fatal, else "".
std::string_view severity_level_name(uint64_t severity_number) noexcept;

/// Seq's @SpanKind for an OTLP SpanKind: 1 Internal, 2 Server, 3 Client,
/// 4 Producer, 5 Consumer, else "".
std::string_view span_kind_name(uint64_t kind) noexcept;

/// OTLP Status.code value meaning ERROR.
inline constexpr uint64_t status_code_error = 2;

/// Severity number from an enum name ("SEVERITY_NUMBER_WARN2"); 0 if unknown.
uint64_t severity_number_from_name(std::string_view name) noexcept;

/// SpanKind number from an enum name ("SPAN_KIND_SERVER"); 0 if unknown.
uint64_t span_kind_from_name(std::string_view name) noexcept;

/// Status code number from an enum name ("STATUS_CODE_ERROR"); 0 if unknown.
uint64_t status_code_from_name(std::string_view name) noexcept;

} // namespace cairn::decode
