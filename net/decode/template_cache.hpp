#pragma once
/// Message templates split once and reused: a CLEF body repeats a handful of
/// templates across its events, and splitting each event's template again
/// (find the braces, parse the holes) and hashing it for the event type cost
/// more than the rendering itself.
///
/// Lifecycle: one cache per decoder, so per decoding thread; not thread-safe.
/// Memory is bounded: a fixed number of slots, and a template longer than
/// template_cache::max_cached_bytes goes to one scratch slot, parsed again
/// on every call.
#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "net/decode/template_renderer.hpp"

namespace cairn::decode {

/// A template split into literal runs and holes, plus its event type.
class parsed_template {
public:
  /// Splits `tmpl` (copied), reusing this object's buffers.
  void parse(std::string_view tmpl);

  /// The template text.
  std::string_view text() const noexcept { return text_; }

  /// Murmur3 of the text: the event type of an event without @i.
  uint32_t event_type() const noexcept { return event_type_; }

  /// Appends the rendering, as render_template() would give it, looking
  /// each hole's property up with `std::optional<std::string_view> find(name)`.
  template <class Find>
  void render(Find&& find, std::string& out) const {
    std::string_view text = text_;
    for (const auto& p : pieces_) {
      out.append(literals_, p.literal_off, p.literal_len);
      if (!p.is_hole)
        continue;
      template_hole h{text.substr(p.name_off, p.name_len), text.substr(p.format_off, p.format_len),
                      p.alignment};
      if (std::optional<std::string_view> value = find(h.name))
        append_hole(*value, h, out);
      else
        out.append(text.substr(p.raw_off, p.raw_len));
    }
  }

private:
  friend class piece_collector;

  /// Literal text (a slice of literals_), then optionally a hole (slices of
  /// text_): offsets rather than views, so copies and reuse stay valid.
  struct piece {
    uint32_t literal_off = 0, literal_len = 0;
    bool is_hole = false;
    uint32_t raw_off = 0, raw_len = 0;
    uint32_t name_off = 0, name_len = 0;
    uint32_t format_off = 0, format_len = 0;
    int alignment = 0;
  };

  std::string text_;
  std::string literals_; ///< consecutive literal runs merged
  std::vector<piece> pieces_;
  uint32_t event_type_ = 0;
};

/// Recently seen templates, found by their text.
class template_cache {
public:
  /// Longest template kept (longer ones are rare and bound the memory).
  static constexpr size_t max_cached_bytes = 4096;

  /// The split of `tmpl`, parsing it on a miss. Valid until the next call.
  const parsed_template& find(std::string_view tmpl);

private:
  /// Two ways per set, so two templates whose hashes collide do not evict
  /// each other on every event; the way used last stays.
  static constexpr size_t sets = 64;
  struct set {
    std::array<parsed_template, 2> ways;
    std::array<bool, 2> used{};
    uint8_t last = 0;
  };
  std::array<set, sets> sets_;
  parsed_template uncached_; ///< the last template over max_cached_bytes
};

} // namespace cairn::decode
