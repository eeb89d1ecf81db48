#include "net/decode/template_cache.hpp"

#include <cstring>

#include "net/decode/murmur3.hpp"

namespace cairn::decode {

/// Records walk_template()'s pieces into a parsed_template.
class piece_collector final : public template_visitor {
public:
  explicit piece_collector(parsed_template& t) : t_(t) {}

  void text(std::string_view s) override {
    // Literal runs between holes merge into the next piece's literal.
    if (t_.pieces_.empty() || t_.pieces_.back().is_hole)
      t_.pieces_.push_back(parsed_template::piece{uint32_t(t_.literals_.size()), 0});
    t_.literals_.append(s);
    t_.pieces_.back().literal_len += uint32_t(s.size());
  }

  void hole(std::string_view raw, const template_hole& h) override {
    if (t_.pieces_.empty() || t_.pieces_.back().is_hole)
      t_.pieces_.push_back(parsed_template::piece{uint32_t(t_.literals_.size()), 0});
    auto& p = t_.pieces_.back();
    p.is_hole = true;
    p.raw_off = offset(raw);
    p.raw_len = uint32_t(raw.size());
    p.name_off = offset(h.name);
    p.name_len = uint32_t(h.name.size());
    // An empty format may be a default view: give it an offset in range.
    p.format_off = h.format.empty() ? 0 : offset(h.format);
    p.format_len = uint32_t(h.format.size());
    p.alignment = h.alignment;
  }

private:
  /// Offset of a view into the template text.
  uint32_t offset(std::string_view s) const noexcept { return uint32_t(s.data() - t_.text_.data()); }

  parsed_template& t_;
};

void parsed_template::parse(std::string_view tmpl) {
  text_.assign(tmpl);
  literals_.clear();
  pieces_.clear();
  piece_collector collect{*this};
  walk_template(text_, collect);
  event_type_ = murmur3_32(text_);
}

namespace {

/// Cheap slot hash from the length and three 8-byte samples (start, middle,
/// end); the slot is confirmed by comparing the whole text.
size_t set_of(std::string_view s, size_t sets) noexcept {
  size_t n = s.size();
  if (n == 0)
    return 0;
  uint64_t a = 0, b = 0, c = 0;
  size_t k = n < 8 ? n : 8;
  std::memcpy(&a, s.data(), k);
  std::memcpy(&b, s.data() + (n - k) / 2, k);
  std::memcpy(&c, s.data() + n - k, k);
  uint64_t h = (a * 0x9E3779B97F4A7C15ULL) ^ (b * 0xC2B2AE3D27D4EB4FULL) ^ (c * 0x165667B19E3779F9ULL) ^ n;
  h ^= h >> 29;
  h *= 0xBF58476D1CE4E5B9ULL;
  return size_t(h >> 32) % sets;
}

} // namespace

const parsed_template& template_cache::find(std::string_view tmpl) {
  if (tmpl.size() > max_cached_bytes) {
    uncached_.parse(tmpl);
    return uncached_;
  }
  set& s = sets_[set_of(tmpl, sets)];
  for (uint8_t w = 0; w < 2; ++w)
    if (s.used[w] && s.ways[w].text() == tmpl) {
      s.last = w;
      return s.ways[w];
    }
  // Miss: replace the way not used last.
  uint8_t w = !s.used[0] ? 0 : !s.used[1] ? 1 : uint8_t(1 - s.last);
  s.used[w] = true;
  s.ways[w].parse(tmpl);
  s.last = w;
  return s.ways[w];
}

} // namespace cairn::decode
