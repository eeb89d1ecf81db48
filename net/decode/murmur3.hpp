#pragma once
/// 32-bit MurmurHash3 (x86_32, seed 0): the event type of an event without
/// an explicit `@i` is the hash of its message template (seq-compat.md §5).
#include <cstdint>
#include <string_view>

namespace cairn::decode {

/// MurmurHash3_x86_32 of the UTF-8 bytes of `data`.
uint32_t murmur3_32(std::string_view data, uint32_t seed = 0) noexcept;

} // namespace cairn::decode
