#include "query/like.hpp"

#include <cstring>

namespace cairn::query {

namespace {
inline char lower(char c) noexcept { return c >= 'A' && c <= 'Z' ? char(c + 32) : c; }

size_t utf8_step(std::string_view s, size_t i) {
  ++i;
  while (i < s.size() && (static_cast<unsigned char>(s[i]) & 0xC0) == 0x80)
    ++i;
  return i;
}
} // namespace

like_pattern::like_pattern(std::string_view p, bool ci) : ci_(ci) {
  std::string lit;
  auto flush = [&](bool wild_after) {
    if (!lit.empty()) {
      bool wild_before = !parts_.empty() && parts_.back().kind != part::literal;
      parts_.push_back({part::literal, lit});
      runs_.push_back({lit, wild_before, wild_after});
      lit.clear();
    }
  };
  for (size_t i = 0; i < p.size(); ++i) {
    char c = p[i];
    if ((c == '%' || c == '?') && i + 1 < p.size() && p[i + 1] == c) {
      lit.push_back(c);
      ++i;
      continue;
    }
    if (c == '%' || c == '?') {
      flush(true);
      auto k = c == '%' ? part::any : part::optional;
      if (k == part::any && !parts_.empty() && parts_.back().kind == part::any)
        continue;
      parts_.push_back({k, {}});
      continue;
    }
    lit.push_back(c);
  }
  flush(false);
  if (ci_)
    for (auto& pt : parts_)
      for (auto& ch : pt.text)
        ch = lower(ch);

  // Recognise the common shapes so they skip the backtracking matcher.
  auto is = [&](size_t i, part::kind_t k) { return i < parts_.size() && parts_[i].kind == k; };
  if (parts_.size() == 1 && is(0, part::literal))
    shape_ = shape::exact, needle_ = parts_[0].text;
  else if (parts_.size() == 2 && is(0, part::literal) && is(1, part::any))
    shape_ = shape::prefix, needle_ = parts_[0].text;
  else if (parts_.size() == 2 && is(0, part::any) && is(1, part::literal))
    shape_ = shape::suffix, needle_ = parts_[1].text;
  else if (parts_.size() == 3 && is(0, part::any) && is(1, part::literal) && is(2, part::any))
    shape_ = shape::contains, needle_ = parts_[1].text;
}

bool like_pattern::literal_at(std::string_view text, std::string_view lit) const noexcept {
  if (lit.size() > text.size())
    return false;
  if (!ci_)
    return text.substr(0, lit.size()) == lit;
  for (size_t i = 0; i < lit.size(); ++i)
    if (lower(text[i]) != lit[i])
      return false;
  return true;
}

bool like_pattern::matches(std::string_view text) const noexcept {
  switch (shape_) {
    case shape::exact: return text.size() == needle_.size() && literal_at(text, needle_);
    case shape::prefix: return literal_at(text, needle_);
    case shape::suffix:
      return text.size() >= needle_.size() && literal_at(text.substr(text.size() - needle_.size()), needle_);
    case shape::contains: {
      if (!ci_)
        return text.find(needle_) != std::string_view::npos;
      if (needle_.empty())
        return true;
      if (needle_.size() > text.size())
        return false;
      // Candidates are found with memchr (vectorised in libc) for both
      // cases of the first character, then verified.
      const char lo = needle_[0];
      const char up = lo >= 'a' && lo <= 'z' ? char(lo - 32) : lo;
      const char* p = text.data();
      const char* end = p + (text.size() - needle_.size()) + 1;
      while (p < end) {
        auto* a = static_cast<const char*>(std::memchr(p, lo, size_t(end - p)));
        const char* bound = a ? a : end;
        auto* b = up != lo ? static_cast<const char*>(std::memchr(p, up, size_t(bound - p))) : nullptr;
        const char* c = b ? b : a;
        if (!c)
          return false;
        if (literal_at(text.substr(size_t(c - text.data())), needle_))
          return true;
        p = c + 1;
      }
      return false;
    }
    case shape::general: return match_from(0, text);
  }
  return false;
}

bool like_pattern::match_from(size_t pi, std::string_view text) const noexcept {
  while (pi < parts_.size()) {
    const part& p = parts_[pi];
    switch (p.kind) {
      case part::literal:
        if (!literal_at(text, p.text))
          return false;
        text.remove_prefix(p.text.size());
        ++pi;
        break;
      case part::optional:
        if (!text.empty() && match_from(pi + 1, text.substr(utf8_step(text, 0))))
          return true;
        ++pi;
        break;
      case part::any: {
        if (pi + 1 == parts_.size())
          return true;
        for (size_t i = 0; i <= text.size(); i = i < text.size() ? utf8_step(text, i) : i + 1)
          if (match_from(pi + 1, text.substr(i)))
            return true;
        return false;
      }
    }
  }
  return text.empty();
}

} // namespace cairn::query
