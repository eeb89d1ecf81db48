#include "storage/property_columns.hpp"

#include "storage/json_scan.hpp"

#include <algorithm>
#include <charconv>
#include <cstring>

namespace cairn::storage::blockfmt {

namespace {

enum value_tag : uint8_t {
  tag_raw = 0,
  tag_string = 1,
  tag_integer = 2,
  tag_true = 3,
  tag_false = 4,
  tag_null = 5,
  tag_string_ref = 6, ///< a string this key had before in the block
  tag_decimal = 8, ///< + 2 * fraction digits + sign
};

constexpr size_t max_decimal_digits = 19; // 10^19 - 1 < 2^64
constexpr const double* decimal_powers = property_key_reader::decimal_powers;

// property_key_reader's inline fast path reads these tags itself.
static_assert(property_key_reader::tag_integer_ == tag_integer && property_key_reader::tag_string_ref_ == tag_string_ref &&
              property_key_reader::tag_decimal_ == tag_decimal && property_key_reader::max_frac_ == max_decimal_digits);

bool is_digit(char c) noexcept { return c >= '0' && c <= '9'; }

/// Appends one value to a key's stream, in the most compact exact form.
/// `seen` numbers the key's distinct strings in order of first appearance.
/// Returns false for a string the key already had in this block.
bool encode_value(std::string_view v, std::string& out, value_numbering<2>& seen) {
  if (v.size() >= 2 && v.front() == '"') {
    auto body = v.substr(1, v.size() - 2);
    auto [number, added] = seen.number(body);
    if (added) {
      out.push_back(char(tag_string));
      put_string(out, body);
    } else {
      out.push_back(char(tag_string_ref));
      put_varint(out, number);
    }
    return added;
  }
  if (v == "true" || v == "false" || v == "null") {
    out.push_back(char(v[0] == 't' ? tag_true : v[0] == 'f' ? tag_false : tag_null));
    return true;
  }
  // Numbers in the canonical shapes that binary forms restore exactly.
  size_t i = !v.empty() && v[0] == '-' ? 1 : 0;
  size_t int_begin = i;
  while (i < v.size() && is_digit(v[i]))
    ++i;
  size_t int_digits = i - int_begin;
  bool int_ok = int_digits > 0 && (int_digits == 1 || v[int_begin] != '0');
  if (int_ok && i == v.size() && v != "-0") {
    int64_t n;
    auto [p, ec] = std::from_chars(v.data(), v.data() + v.size(), n);
    if (ec == std::errc{} && p == v.data() + v.size()) {
      out.push_back(char(tag_integer));
      put_varint(out, zigzag(n));
      return true;
    }
  }
  if (int_ok && i < v.size() && v[i] == '.') {
    size_t frac_begin = ++i;
    while (i < v.size() && is_digit(v[i]))
      ++i;
    size_t frac = i - frac_begin;
    if (i == v.size() && frac > 0 && int_digits + frac <= max_decimal_digits) {
      uint64_t m = 0;
      for (size_t k = int_begin; k < v.size(); ++k)
        if (k != frac_begin - 1)
          m = m * 10 + uint64_t(v[k] - '0');
      out.push_back(char(tag_decimal + 2 * frac + (int_begin == 1 ? 1 : 0)));
      put_varint(out, m);
      return true;
    }
  }
  out.push_back(char(tag_raw));
  put_string(out, v);
  return true;
}

/// Reads the next value of a key's stream; false if corrupt.
bool read_stored(column_reader& r, stored_value& v) {
  if (!r.fixed(v.tag))
    return false;
  switch (v.tag) {
    case tag_raw:
    case tag_string: return r.string(v.text);
    case tag_integer:
    case tag_string_ref: return r.varint(v.number);
    case tag_true:
    case tag_false:
    case tag_null: return true;
    default: break;
  }
  if (v.tag < tag_decimal)
    return false;
  size_t frac = (v.tag - tag_decimal) / 2;
  v.negative = (v.tag - tag_decimal) & 1;
  v.frac = static_cast<uint8_t>(frac);
  v.tag = tag_decimal;
  return frac != 0 && frac <= max_decimal_digits && r.varint(v.number);
}

/// Room render_decimal needs: sign, 20 digits (zero-padded to at most 20), point.
constexpr size_t decimal_text_max = 24;

/// Writes the decimal's text as it was ingested: zero-padded so at least
/// one digit precedes the point ("0.05"). Returns its length.
size_t render_decimal(const stored_value& v, char* out) {
  char digits[24];
  size_t n = size_t(std::to_chars(digits, digits + sizeof digits, v.number).ptr - digits);
  size_t frac = v.frac;
  char* p = out;
  if (v.negative)
    *p++ = '-';
  if (n < frac + 1) {
    size_t pad = frac + 1 - n;
    std::memset(p, '0', pad);
    std::memcpy(p + pad, digits, n);
    n = frac + 1;
  } else {
    std::memcpy(p, digits, n);
  }
  std::memmove(p + n - frac + 1, p + n - frac, frac);
  p[n - frac] = '.';
  return size_t(p - out) + n + 1;
}

} // namespace

void property_encoder::clear() {
  key_index_.clear();
  keys_.clear();
  next_keys_.clear();
  next_keys_.push_back(successors{}); // "first member", until keys are added
  recent_layout_count_ = 0;
  for (auto& s : streams_)
    s.clear();
  for (auto& m : strings_)
    m.clear();
  layout_index_.clear();
  layouts_.clear();
  layout_col_.clear();
}

bool property_encoder::add(std::string_view obj) {
  // 1. Split first, so a non-compact object leaves no partial trace.
  members_.clear();
  if (!for_each_member(obj, [&](std::string_view k, std::string_view v) {
        members_.emplace_back(k, v);
        return true;
      }))
    return false;
  // 2. Key indexes make the layout; each value goes to its key's stream.
  scratch_.clear();
  news_.clear();
  put_varint(scratch_, members_.size());
  uint32_t prev = no_key;
  for (auto [k, v] : members_) {
    auto [key, added] = key_number(k, prev);
    prev = key;
    uint8_t news = added ? new_key : 0;
    put_varint(scratch_, key);
    if (encode_value(v, streams_[key], strings_[key]))
      news |= new_value;
    news_.push_back(news);
  }
  // 3. The layout's number: one of the last few, or from the map.
  for (size_t i = 0; i < recent_layout_count_; ++i)
    if (*layouts_[recent_layouts_[i]] == scratch_) {
      put_varint(layout_col_, recent_layouts_[i]);
      return true;
    }
  auto [it, added] = layout_index_.try_emplace(scratch_, static_cast<uint32_t>(layouts_.size()));
  if (added)
    layouts_.push_back(&it->first); // node-based map: the key's address is stable
  if (recent_layout_count_ < recent_layouts_.size())
    ++recent_layout_count_;
  std::copy_backward(recent_layouts_.begin(), recent_layouts_.begin() + recent_layout_count_ - 1,
                     recent_layouts_.begin() + recent_layout_count_);
  recent_layouts_[0] = it->second;
  put_varint(layout_col_, it->second);
  return true;
}

std::pair<uint32_t, bool> property_encoder::key_number(std::string_view k, uint32_t after) {
  // next_keys_ holds one entry per key plus, last, the "first member" one.
  const size_t from = after == no_key ? next_keys_.size() - 1 : after;
  successors& s = next_keys_[from];
  for (uint8_t i = 0; i < s.count; ++i) {
    uint32_t cand = s.keys[i];
    if (keys_[cand] == k) {
      // Most recent first, so the usual successor is found at once.
      std::copy_backward(s.keys.begin(), s.keys.begin() + i, s.keys.begin() + i + 1);
      s.keys[0] = cand;
      return {cand, false};
    }
  }
  auto [it, added] = key_index_.try_emplace(k, static_cast<uint32_t>(keys_.size()));
  const uint32_t key = it->second;
  if (added) {
    keys_.push_back(k);
    if (streams_.size() < keys_.size()) {
      streams_.emplace_back();
      strings_.emplace_back();
    }
    // The new key's entry goes before the trailing "first member" one.
    next_keys_.insert(next_keys_.end() - 1, successors{});
  }
  // Record it as the newest successor (next_keys_ may have grown: re-index).
  successors& t = next_keys_[after == no_key ? next_keys_.size() - 1 : after];
  uint8_t n = t.count < successor_ways ? uint8_t(t.count + 1) : uint8_t(successor_ways);
  std::copy_backward(t.keys.begin(), t.keys.begin() + n - 1, t.keys.begin() + n);
  t.keys[0] = key;
  t.count = n;
  return {key, added};
}

void property_encoder::finish(std::string& layout, std::string& dict, std::string& values) const {
  layout.append(layout_col_);
  put_varint(dict, keys_.size());
  for (size_t k = 0; k < keys_.size(); ++k) {
    put_string(dict, keys_[k]);
    put_varint(dict, streams_[k].size());
    values.append(streams_[k]);
  }
  put_varint(dict, layouts_.size());
  for (auto* l : layouts_)
    dict.append(*l);
}

namespace {

/// Walks the dict column (see the header) against the values column:
/// on_key(index, key, stream) per key, then on_layout() at the start of each
/// layout and on_layout_key(key index) for each of its members. False if
/// either column is malformed.
template <class OnKey, class OnLayout, class OnLayoutKey>
bool walk_dict(std::string_view dict, std::string_view values, OnKey&& on_key, OnLayout&& on_layout,
               OnLayoutKey&& on_layout_key) {
  column_reader d{dict};
  uint64_t key_count;
  if (!d.varint(key_count) || key_count > dict.size())
    return false;
  const char* v = values.data();
  const char* v_end = values.data() + values.size();
  for (uint64_t k = 0; k < key_count; ++k) {
    std::string_view key;
    uint64_t size;
    if (!d.string(key) || !d.varint(size) || size > size_t(v_end - v))
      return false;
    on_key(static_cast<uint32_t>(k), key, column_reader{v, v + size});
    v += size;
  }
  uint64_t layout_count;
  if (!d.varint(layout_count) || layout_count > dict.size())
    return false;
  for (uint64_t l = 0; l < layout_count; ++l) {
    on_layout();
    uint64_t n;
    if (!d.varint(n) || n > dict.size())
      return false;
    for (uint64_t i = 0; i < n; ++i) {
      uint64_t k;
      if (!d.varint(k) || k >= key_count)
        return false;
      on_layout_key(static_cast<uint32_t>(k));
    }
  }
  return d.at_end() && v == v_end;
}

} // namespace

bool property_decoder::open(std::string_view layout, std::string_view dict, std::string_view values) {
  layout_ = column_reader{layout};
  keys_.clear();
  streams_.clear();
  layout_keys_.clear();
  layout_begin_.clear();
  bool ok = walk_dict(
    dict, values,
    [&](uint32_t k, std::string_view key, column_reader stream) {
      keys_.push_back(key);
      streams_.push_back(stream);
      if (strings_.size() < keys_.size())
        strings_.emplace_back();
      strings_[k].clear();
    },
    [&] { layout_begin_.push_back(static_cast<uint32_t>(layout_keys_.size())); },
    [&](uint32_t k) { layout_keys_.push_back(k); });
  layout_begin_.push_back(static_cast<uint32_t>(layout_keys_.size()));
  wanted_.assign(keys_.size(), 1);
  return ok;
}

/// Appends to a std::string through a raw pointer: std::string::push_back
/// is not inlined and dominated decoding. Grows geometrically; finish()
/// trims the string to what was written.
struct text_writer {
  std::string& s;
  size_t n;

  explicit text_writer(std::string& str) : s(str), n(str.size()) {}
  /// Makes room for `k` more bytes and returns where they go.
  char* room(size_t k) {
    if (s.size() < n + k)
      s.resize(std::max(2 * s.size(), n + k + 256));
    return s.data() + n;
  }
  void put(char c) {
    *room(1) = c;
    ++n;
  }
  void put(std::string_view v) {
    std::memcpy(room(v.size()), v.data(), v.size());
    n += v.size();
  }
  void quoted(std::string_view v) {
    char* p = room(v.size() + 2);
    *p = '"';
    std::memcpy(p + 1, v.data(), v.size());
    p[v.size() + 1] = '"';
    n += v.size() + 2;
  }
  void finish() { s.resize(n); }
};

bool property_decoder::append_value(uint32_t key, text_writer& out) {
  stored_value v;
  if (!read_stored(streams_[key], v))
    return false;
  switch (v.tag) {
    case tag_raw: out.put(v.text); return true;
    case tag_string:
      strings_[key].push_back(v.text);
      out.quoted(v.text);
      return true;
    case tag_string_ref:
      if (v.number >= strings_[key].size())
        return false;
      out.quoted(strings_[key][v.number]);
      return true;
    case tag_integer: {
      char* p = out.room(24);
      out.n += size_t(std::to_chars(p, p + 24, unzigzag(v.number)).ptr - p);
      return true;
    }
    case tag_true: out.put("true"); return true;
    case tag_false: out.put("false"); return true;
    case tag_null: out.put("null"); return true;
    default: break;
  }
  out.n += render_decimal(v, out.room(decimal_text_max));
  return true;
}

void property_decoder::select(const std::vector<std::string>* names) {
  wanted_.assign(keys_.size(), names ? 0 : 1);
  if (!names)
    return;
  for (size_t k = 0; k < keys_.size(); ++k) {
    auto key = keys_[k];
    if (key.find('\\') != std::string_view::npos) {
      wanted_[k] = 1;
      continue;
    }
    for (const auto& n : *names)
      if (n == key) {
        wanted_[k] = 1;
        break;
      }
  }
}

bool property_decoder::next(std::string& out) {
  uint64_t l;
  if (!layout_.varint(l) || l + 1 >= layout_begin_.size())
    return false;
  spans_.clear();
  out.clear();
  text_writer w{out};
  w.put('{');
  bool first = true;
  for (uint32_t i = layout_begin_[l]; i < layout_begin_[l + 1]; ++i) {
    uint32_t k = layout_keys_[i];
    if (!wanted_[k]) {
      spans_.emplace_back(0, 0);
      continue;
    }
    auto key = keys_[k];
    char* p = w.room(key.size() + 4);
    if (!first)
      *p++ = ',';
    first = false;
    *p++ = '"';
    std::memcpy(p, key.data(), key.size());
    p += key.size();
    *p++ = '"';
    *p++ = ':';
    w.n = size_t(p - out.data());
    size_t begin = w.n;
    if (!append_value(k, w))
      return false;
    spans_.emplace_back(begin, w.n);
  }
  w.put('}');
  w.finish();
  // Views only now: `out` may have moved while growing.
  members_.clear();
  std::string_view text{out};
  for (uint32_t i = layout_begin_[l], j = 0; i < layout_begin_[l + 1]; ++i, ++j)
    if (wanted_[layout_keys_[i]])
      members_.emplace_back(keys_[layout_keys_[i]], text.substr(spans_[j].first, spans_[j].second - spans_[j].first));
  return true;
}

bool property_key_reader::open(std::string_view layout, std::string_view dict, std::string_view values,
                               std::string_view name) {
  layout_ = column_reader{layout};
  stream_ = {};
  key_ = -1;
  strings_ = 0;
  escaped_keys_ = false;
  layout_hits_.clear();
  return walk_dict(
    dict, values,
    [&](uint32_t k, std::string_view key, column_reader stream) {
      if (key.find('\\') != std::string_view::npos)
        escaped_keys_ = true;
      if (key_ < 0 && key == name) {
        key_ = k;
        stream_ = stream;
      }
    },
    [&] { layout_hits_.push_back(0); },
    [&](uint32_t k) { layout_hits_.back() += int64_t(k) == key_; });
}

bool property_key_reader::read_value(bool keep, bool render_numbers, key_value& out) {
  stored_value v;
  if (!read_stored(stream_, v))
    return false;
  if (v.tag == tag_string_ref && v.number >= strings_)
    return false;
  if (v.tag == tag_string)
    ++strings_;
  if (!keep)
    return true;
  switch (v.tag) {
    case tag_raw: out = {key_value::other, 0, v.text}; return true;
    case tag_string: out = {key_value::string, strings_ - 1, v.text}; return true;
    case tag_string_ref: out = {key_value::string, static_cast<uint32_t>(v.number), {}}; return true;
    case tag_integer: {
      // An int64 converts to the nearest double, as parsing its digits does.
      int64_t n = unzigzag(v.number);
      out = {key_value::other, 0, {}, static_cast<double>(n)};
      if (render_numbers)
        out.text = {number_, size_t(std::to_chars(number_, number_ + 24, n).ptr - number_)};
      return true;
    }
    case tag_true: out = {key_value::other, 0, "true"}; return true;
    case tag_false: out = {key_value::other, 0, "false"}; return true;
    case tag_null: out = {key_value::other, 0, "null"}; return true;
    default: break;
  }
  // m / 10^frac is correctly rounded when both are exact doubles (m < 2^53,
  // frac <= 22), so it equals parsing the decimal text.
  double number = std::numeric_limits<double>::quiet_NaN();
  if (v.number < (uint64_t(1) << 53)) {
    number = static_cast<double>(v.number) / decimal_powers[v.frac];
    if (v.negative)
      number = -number;
  }
  out = {key_value::other, 0, {}, number};
  if (render_numbers || number != number)
    out.text = {number_, render_decimal(v, number_)};
  return true;
}

bool property_key_reader::next_general(uint64_t l, key_value& out, bool render_numbers) {
  out = {};
  for (uint32_t h = 0; h < layout_hits_[l]; ++h)
    if (!read_value(h == 0, render_numbers, out))
      return false;
  return true;
}

bool plain_values_reader::open(std::string_view layout, std::string_view dict, std::string_view values,
                               std::span<const std::string_view> names) {
  layout_ = column_reader{layout};
  streams_.clear();
  slot_of_key_.clear();
  layout_keys_.clear();
  layout_begin_.clear();
  values_.assign(names.size(), stored_value{});
  escaped_.assign(names.size(), 0);
  present_.assign(names.size(), 0);
  bool ok = walk_dict(
    dict, values,
    [&](uint32_t k, std::string_view key, column_reader stream) {
      streams_.push_back(stream);
      int32_t slot = -1;
      for (size_t s = 0; s < names.size() && slot < 0; ++s)
        if (names[s] == key)
          slot = static_cast<int32_t>(s);
      slot_of_key_.push_back(slot);
      if (strings_.size() <= k)
        strings_.emplace_back();
      strings_[k].clear();
    },
    [&] { layout_begin_.push_back(static_cast<uint32_t>(layout_keys_.size())); },
    [&](uint32_t k) { layout_keys_.push_back(k); });
  layout_begin_.push_back(static_cast<uint32_t>(layout_keys_.size()));
  return ok;
}

bool plain_values_reader::next() {
  uint64_t l;
  if (!layout_.varint(l) || l + 1 >= layout_begin_.size())
    return false;
  std::fill(present_.begin(), present_.end(), 0);
  for (uint32_t i = layout_begin_[l]; i < layout_begin_[l + 1]; ++i) {
    const uint32_t k = layout_keys_[i];
    const int32_t slot = slot_of_key_[k];
    if (slot < 0)
      continue;
    stored_value v;
    if (!read_stored(streams_[k], v))
      return false;
    // Strings are numbered per key as they first appear; a reference
    // reuses one (and whether it needs unescaping, found once).
    auto& strings = strings_[k];
    bool escaped = false;
    if (v.tag == tag_string) {
      escaped = v.text.find('\\') != std::string_view::npos;
      strings.push_back({v.text, escaped});
    } else if (v.tag == tag_string_ref) {
      if (v.number >= strings.size())
        return false;
      v.tag = tag_string;
      v.text = strings[v.number].body;
      escaped = strings[v.number].escaped;
    }
    if (present_[size_t(slot)])
      continue; // a later duplicate: holes render the first member so named
    values_[size_t(slot)] = v;
    escaped_[size_t(slot)] = escaped;
    present_[size_t(slot)] = 1;
  }
  return true;
}

bool plain_values_reader::append(size_t s, std::string& out) const {
  if (!present_[s])
    return false;
  const stored_value& v = values_[s];
  switch (v.tag) {
    case tag_raw: return append_plain_rendering(v.text, out);
    case tag_string:
      if (escaped_[s])
        return append_unescaped(v.text, out);
      out.append(v.text);
      return true;
    case tag_integer: {
      char digits[24];
      out.append(digits, size_t(std::to_chars(digits, digits + sizeof digits, unzigzag(v.number)).ptr - digits));
      return true;
    }
    case tag_true: out.append("true"); return true;
    case tag_false: out.append("false"); return true;
    case tag_null: out.append("null"); return true;
    default: {
      char digits[decimal_text_max];
      out.append(digits, render_decimal(v, digits));
      return true;
    }
  }
}

} // namespace cairn::storage::blockfmt
