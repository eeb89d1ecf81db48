#include "query/memo.hpp"

#include <cctype>
#include <iterator>

namespace cairn::query {

std::shared_ptr<const std::pmr::string> memo_cache::get(const std::string& key) {
  std::lock_guard lock{mutex_};
  auto it = index_.find(std::string_view{key});
  if (it == index_.end()) {
    ++counters_.misses;
    return nullptr;
  }
  ++counters_.hits;
  auto node = it->second;
  if (node->in_protected) {
    protected_.splice(protected_.begin(), protected_, node);
  } else {
    protected_.splice(protected_.begin(), probation_, node);
    node->in_protected = true;
    protected_bytes_ += node->charge;
    demote_protected();
  }
  return node->value;
}

void memo_cache::put(const std::string& key, std::string_view value) {
  // Keys and values are copied into the pool at their exact sizes.
  const size_t charge = key.size() + value.size() + entry_overhead;
  std::lock_guard lock{mutex_};
  if (capacity_ == 0 || charge > capacity_ / 8) {
    ++counters_.rejected;
    return;
  }
  // 1. Replace an existing entry (a concurrent query memoized it first).
  if (auto it = index_.find(std::string_view{key}); it != index_.end())
    remove(it->second);
  // 2. Make room, then insert at probation's front.
  evict_to(capacity_ - charge);
  std::pmr::polymorphic_allocator<std::pmr::string> alloc{&pool_};
  probation_.push_front(entry{std::pmr::string{key, &pool_},
                              std::allocate_shared<std::pmr::string>(alloc, value.data(), value.size()),
                              charge});
  index_.emplace(std::string_view{probation_.front().key}, probation_.begin());
  counters_.bytes += charge;
  ++counters_.entries;
  ++counters_.insertions;
}

void memo_cache::remove(lru_list::iterator node) {
  counters_.bytes -= node->charge;
  --counters_.entries;
  // Erase the index entry before the node whose key it views.
  index_.erase(std::string_view{node->key});
  if (node->in_protected) {
    protected_bytes_ -= node->charge;
    protected_.erase(node);
  } else {
    probation_.erase(node);
  }
}

void memo_cache::demote_protected() {
  const auto bound = static_cast<size_t>(static_cast<double>(capacity_) * protected_share);
  while (protected_bytes_ > bound && !protected_.empty()) {
    auto last = std::prev(protected_.end());
    last->in_protected = false;
    protected_bytes_ -= last->charge;
    probation_.splice(probation_.begin(), protected_, last);
  }
}

void memo_cache::evict_to(size_t target) {
  while (counters_.bytes > target && !(probation_.empty() && protected_.empty())) {
    remove(std::prev(probation_.empty() ? protected_.end() : probation_.end()));
    ++counters_.evictions;
  }
}

memo_cache::counters memo_cache::snapshot() const {
  std::lock_guard lock{mutex_};
  return counters_;
}

std::string normalize_query_text(std::string_view text, bool& uses_now) {
  uses_now = false;
  const bool collapse = text.find('/') == std::string_view::npos;
  std::string out;
  out.reserve(text.size());
  char quote = 0;      // the open literal's delimiter, 0 outside literals
  bool pending = false; // whitespace seen outside literals, not yet emitted
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (quote) {
      out.push_back(c);
      if (c == quote) // a doubled quote re-opens on the next character
        quote = 0;
      continue;
    }
    if (std::isspace(static_cast<unsigned char>(c))) {
      if (collapse)
        pending = true;
      else
        out.push_back(c);
      continue;
    }
    if (pending && !out.empty())
      out.push_back(' ');
    pending = false;
    if (c == '\'' || c == '"' || c == '`')
      quote = c;
    // Now( as a call: an identifier "now" not preceded by an identifier char.
    if ((c == 'n' || c == 'N') && i + 3 <= text.size() &&
        (i == 0 || !(std::isalnum(static_cast<unsigned char>(text[i - 1])) || text[i - 1] == '_' ||
                     text[i - 1] == '@'))) {
      auto word = text.substr(i, 3);
      size_t j = i + 3;
      while (j < text.size() && std::isspace(static_cast<unsigned char>(text[j])))
        ++j;
      if ((word[1] == 'o' || word[1] == 'O') && (word[2] == 'w' || word[2] == 'W') &&
          j < text.size() && text[j] == '(')
        uses_now = true;
    }
    out.push_back(c);
  }
  // Trim trailing whitespace kept verbatim by the non-collapsing mode.
  while (!out.empty() && std::isspace(static_cast<unsigned char>(out.back())))
    out.pop_back();
  if (!collapse) {
    size_t lead = 0;
    while (lead < out.size() && std::isspace(static_cast<unsigned char>(out[lead])))
      ++lead;
    out.erase(0, lead);
  }
  return out;
}

std::string memo_fingerprint(const query_plan& plan, const block_filter& filter) {
  bool uses_now = false;
  std::string fp = "v1|";
  fp += normalize_query_text(plan.text, uses_now);
  if (uses_now)
    fp += "|now=" + std::to_string(plan.now_ns);
  if (plan.bucket_ns && *plan.bucket_ns > 0) {
    // Same arithmetic as the executor's bucket origin.
    int64_t origin = filter.from_ns == INT64_MIN ? 0 : filter.from_ns;
    int64_t w = *plan.bucket_ns;
    int64_t phase = ((origin % w) + w) % w;
    fp += "|phase=" + std::to_string(phase);
  }
  return fp;
}

} // namespace cairn::query
