#include "storage/block_summary_codec.hpp"

#include "storage/json_scan.hpp"
#include "storage/property_columns.hpp"

#include <algorithm>
#include <cstring>

namespace cairn::storage {

namespace {

constexpr uint32_t summary_version = 1;

template <class T>
void put(std::string& out, T v) {
  out.append(reinterpret_cast<const char*>(&v), sizeof(T));
}

template <class T>
T get(const char* p) noexcept {
  T v;
  std::memcpy(&v, p, sizeof(T));
  return v;
}

bloom_filter make_bloom(const unique_hashes& hashes) {
  bloom_filter f{hashes.values().size()};
  for (auto h : hashes.values())
    f.add_hash(h);
  return f;
}

} // namespace

bool summary_head::decode(std::string_view stored) noexcept {
  if (stored.size() < summary_head_size)
    return false;
  const char* p = stored.data();
  if (get<uint32_t>(p) != summary_version)
    return false;
  event_count = get<uint32_t>(p + 4);
  min_timestamp = get<int64_t>(p + 8);
  max_timestamp = get<int64_t>(p + 16);
  min_id = get<uint64_t>(p + 24);
  max_id = get<uint64_t>(p + 32);
  level_bits = get<uint32_t>(p + 40);
  raw_bytes = get<uint64_t>(p + 48);
  stored_bytes = get<uint64_t>(p + 56);
  return true;
}

void serialize_summary(const block_summary& s, uint64_t raw_bytes, uint64_t stored_bytes, std::string& out) {
  out.clear();
  put<uint32_t>(out, summary_version);
  put<uint32_t>(out, s.event_count);
  put<int64_t>(out, s.min_timestamp);
  put<int64_t>(out, s.max_timestamp);
  put<uint64_t>(out, s.min_id);
  put<uint64_t>(out, s.max_id);
  put<uint32_t>(out, s.level_bits);
  put<uint32_t>(out, 0);
  put<uint64_t>(out, raw_bytes);
  put<uint64_t>(out, stored_bytes);
  s.names.serialize(out);
  s.tokens.serialize(out);
}

bool deserialize_summary(std::string_view stored, block_summary& s) {
  summary_head h;
  if (!h.decode(stored))
    return false;
  s.event_count = h.event_count;
  s.min_timestamp = h.min_timestamp;
  s.max_timestamp = h.max_timestamp;
  s.min_id = h.min_id;
  s.max_id = h.max_id;
  s.level_bits = h.level_bits;
  stored.remove_prefix(summary_head_size);
  return s.names.deserialize(stored) && s.tokens.deserialize(stored) && stored.empty();
}

void summary_builder::reset() {
  s_ = block_summary{};
  empty_ = true;
  names_.clear();
  tokens_.clear();
  templates_.clear();
  exceptions_.clear();
  resources_.clear();
  scopes_.clear();
}

void summary_builder::add(const record_view& r, const property_split* props) {
  // 1. Ranges, count and level bitmap.
  int64_t ts = r.timestamp();
  uint64_t id = r.id();
  if (empty_) {
    s_.min_timestamp = s_.max_timestamp = ts;
    s_.min_id = s_.max_id = id;
    empty_ = false;
  } else {
    s_.min_timestamp = std::min(s_.min_timestamp, ts);
    s_.max_timestamp = std::max(s_.max_timestamp, ts);
    s_.min_id = std::min(s_.min_id, id);
    s_.max_id = std::max(s_.max_id, id);
  }
  ++s_.event_count;
  s_.level_bits |= level_bit(classify_level(r.get(field::level)));
  // 2. Free text.
  add_tokens(r.get(field::message));
  if (auto mt = r.get(field::message_template); !templates_.seen(mt))
    add_tokens(mt);
  auto exception = r.get(field::exception);
  if (!exception.empty() && !exceptions_.seen(exception)) {
    names_.insert(hash_bytes("@Exception"));
    add_tokens(exception);
  }
  for (auto f : {field::trace_id, field::span_id})
    if (auto v = r.get(f); !v.empty())
      tokens_.insert(hash_bytes(v));
  // 3. Structured data: names/paths and string values.
  if (!props || !add_members(*props))
    add_json(r.get(field::properties), {});
  if (auto res = r.get(field::resource); !resources_.seen(res))
    add_json(res, "@Resource");
  if (auto scope = r.get(field::scope); !scopes_.seen(scope))
    add_json(scope, "@Scope");
}

block_summary summary_builder::finish() {
  block_summary out = s_;
  out.names = make_bloom(names_);
  out.tokens = make_bloom(tokens_);
  return out;
}

void summary_builder::add_tokens(std::string_view text) {
  for_each_token_hash(text, [this](uint64_t h) { tokens_.insert(h); });
}

bool summary_builder::add_members(const property_split& props) {
  // The encoder already split the object and knows what the block has seen:
  // a name already folded in adds nothing, nor does a string the same name
  // already had (same text, same tokens). Nested values are walked.
  using news_bits = blockfmt::property_encoder::member_news;
  for (size_t i = 0; i < props.members.size(); ++i) {
    auto [key, value] = props.members[i]; // values are never empty
    uint8_t news = props.news[i];
    bool string = value.front() == '"';
    bool nested = value.front() == '{' || value.front() == '[';
    if (!(news & news_bits::new_key) && !nested && !(string && (news & news_bits::new_value)))
      continue;
    path_.clear();
    if (!append_key(key))
      return false;
    if (news & news_bits::new_key)
      names_.insert(hash_bytes(path_));
    // Anything not in compact form (whitespace inside a nested value, a bad
    // escape) sends the whole object to simdjson: what was added stays true.
    if (string ? (news & news_bits::new_value) && !add_string_tokens(value.substr(1, value.size() - 2))
               : nested && !walk_compact(value))
      return false;
  }
  return true;
}

bool summary_builder::append_key(std::string_view raw_key) {
  if (raw_key.find('\\') == std::string_view::npos) {
    path_.append(raw_key);
    return true;
  }
  return blockfmt::append_unescaped(raw_key, path_);
}

bool summary_builder::add_string_tokens(std::string_view body) {
  if (body.find('\\') == std::string_view::npos) {
    add_tokens(body);
    return true;
  }
  // Tokens are of the decoded text: "a\nb" is "a", "b", not "nb".
  unescaped_.clear();
  if (!blockfmt::append_unescaped(body, unescaped_))
    return false;
  add_tokens(unescaped_);
  return true;
}

void summary_builder::add_json(std::string_view json, std::string_view prefix) {
  if (json.empty())
    return;
  // The decoders write compact JSON: it can be walked in place, no copy and
  // no parse. Anything else goes through simdjson.
  path_.assign(prefix);
  if (walk_compact(json))
    return;
  // simdjson needs SIMDJSON_PADDING readable bytes past the end: copy into a
  // reused padded buffer rather than letting the parser allocate.
  padded_.assign(json);
  padded_.resize(json.size() + simdjson::SIMDJSON_PADDING);
  simdjson::dom::element root;
  if (parser_.parse(padded_.data(), json.size(), false).get(root) != simdjson::SUCCESS)
    return; // decoders only store valid JSON; a bad object just adds nothing
  path_.assign(prefix);
  walk(root);
}

bool summary_builder::walk_compact(std::string_view v) {
  if (v.empty())
    return false;
  switch (v.front()) {
    case '{': {
      bool failed = false;
      bool ok = blockfmt::for_each_member(v, [&](std::string_view key, std::string_view value) {
        size_t keep = path_.size();
        if (!path_.empty())
          path_.push_back('.');
        if (!append_key(key)) {
          failed = true;
          return false;
        }
        names_.insert(hash_bytes(path_));
        failed = !walk_compact(value);
        path_.resize(keep);
        return !failed;
      });
      return ok && !failed;
    }
    case '[': {
      size_t i = 1;
      if (v.size() < 2 || v.back() != ']')
        return false;
      if (v.size() == 2)
        return true;
      for (;;) {
        size_t n = blockfmt::json_value_extent(v.substr(i, v.size() - 1 - i));
        if (n == 0 || !walk_compact(v.substr(i, n)))
          return false;
        i += n;
        if (i == v.size() - 1)
          return true;
        if (v[i] != ',')
          return false;
        ++i;
      }
    }
    case '"':
      if (v.size() < 2 || v.back() != '"')
        return false;
      return add_string_tokens(v.substr(1, v.size() - 2));
    default: return true; // numbers and literals add nothing
  }
}

void summary_builder::walk(simdjson::dom::element e) {
  switch (e.type()) {
    case simdjson::dom::element_type::OBJECT:
      for (auto field : simdjson::dom::object(e)) {
        size_t keep = path_.size();
        if (!path_.empty())
          path_.push_back('.');
        path_.append(field.key);
        names_.insert(hash_bytes(path_));
        walk(field.value);
        path_.resize(keep);
      }
      break;
    case simdjson::dom::element_type::ARRAY:
      for (auto item : simdjson::dom::array(e))
        walk(item);
      break;
    case simdjson::dom::element_type::STRING:
      add_tokens(std::string_view(e));
      break;
    default: break;
  }
}

} // namespace cairn::storage
