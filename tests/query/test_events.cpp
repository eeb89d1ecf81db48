#include "tests/query/test_events.hpp"

#include "net/decode/template_renderer.hpp"

#include "query/builtins.hpp"
#include "query/json_text.hpp"
#include "query/value.hpp"
#include "storage/bloom.hpp"
#include "storage/levels.hpp"

#include <simdjson.h>

namespace cairn::query::testing {

namespace {

std::string minified(simdjson::dom::element e) { return simdjson::minify(e); }

void add_names_and_tokens(std::string_view obj, const std::string& prefix, storage::block_summary& s,
                          std::vector<std::string>& names, std::vector<std::string>& tokens) {
  arena a;
  std::string scratch;
  json::for_each_member(obj, [&](std::string_view k, std::string_view raw) {
    std::string name = prefix.empty() ? std::string(k) : prefix + "." + std::string(k);
    names.push_back(name);
    value v = json::to_value(raw, a);
    if (v.kind == value_kind::object)
      add_names_and_tokens(raw, name, s, names, tokens);
    auto tokenize_value = [&](const value& x) {
      if (x.is_string())
        storage::for_each_token(x.str(), scratch, [&](std::string_view t) { tokens.emplace_back(t); });
    };
    tokenize_value(v);
    if (v.kind == value_kind::array)
      json::for_each_element(raw, [&](std::string_view e) {
        value ev = json::to_value(e, a);
        tokenize_value(ev);
        if (ev.kind == value_kind::object)
          add_names_and_tokens(e, name, s, names, tokens);
        return true;
      });
    return true;
  });
}

} // namespace

bool append_clef(storage::record_batch& batch, std::string_view line, uint64_t id, std::string& error) {
  simdjson::dom::parser parser;
  simdjson::padded_string padded(line);
  simdjson::dom::element doc;
  if (parser.parse(padded).get(doc) || !doc.is_object()) {
    error = "not a JSON object";
    return false;
  }
  std::string level, mt, m, x, tr, sp, ps, sk, props = "{", ra, sa;
  int64_t ts = 0, start = storage::no_start;
  uint32_t event_type = 0;
  bool has_t = false, explicit_type = false;
  for (auto [key, val] : doc.get_object()) {
    std::string_view k = key;
    auto str = [&](std::string& out) {
      std::string_view s;
      if (val.get_string().get(s))
        return false;
      out = std::string(s);
      return true;
    };
    if (k == "@t" || k == "@st") {
      std::string s;
      int64_t ns;
      if (!str(s) || !parse_iso8601(s, ns)) {
        error = "bad timestamp";
        return false;
      }
      (k == "@t" ? ts : start) = ns;
      has_t = has_t || k == "@t";
    } else if (k == "@l") str(level);
    else if (k == "@mt") str(mt);
    else if (k == "@m") str(m);
    else if (k == "@x") str(x);
    else if (k == "@tr") str(tr);
    else if (k == "@sp") str(sp);
    else if (k == "@ps") str(ps);
    else if (k == "@sk") str(sk);
    else if (k == "@ra") ra = minified(val);
    else if (k == "@sa") sa = minified(val);
    else if (k == "@i") {
      uint64_t n;
      std::string s;
      if (!val.get_uint64().get(n))
        event_type = uint32_t(n);
      else if (str(s))
        event_type = uint32_t(std::stoul(s, nullptr, 16));
      explicit_type = true;
    } else {
      if (props.size() > 1)
        props += ",";
      std::string name(k.starts_with("@@") ? k.substr(1) : k);
      append_json_string(props, name);
      props += ":" + minified(val);
    }
  }
  if (!has_t) {
    error = "missing @t";
    return false;
  }
  props += "}";
  // As the CLEF decoder stores it: a template without @m is rendered.
  if (m.empty() && !mt.empty())
    decode::render_template_json(mt, props, m);
  if (props == "{}")
    props.clear();
  batch.offsets.push_back(uint32_t(batch.bytes.size()));
  storage::record_builder b(batch.bytes);
  b.timestamp(ts);
  b.start(start);
  b.event_type(event_type);
  b.flags(explicit_type ? uint32_t(storage::explicit_event_type) : 0u);
  std::memcpy(batch.bytes.data() + b.begin_offset() + storage::record_id_offset, &id, 8);
  for (auto* f : {&level, &mt, &m, &x, &tr, &sp, &ps, &sk, &props, &ra, &sa})
    b.add(*f);
  return true;
}

storage::block_summary summarize(const storage::record_batch& batch) {
  storage::block_summary s;
  std::vector<std::string> names, tokens;
  std::string scratch;
  bool first = true;
  for (size_t i = 0; i < batch.size(); ++i) {
    auto bytes = batch.record(i);
    storage::record_view r;
    r.parse(bytes.data(), bytes.size());
    int64_t ts = r.timestamp();
    if (first || ts < s.min_timestamp)
      s.min_timestamp = ts;
    if (first || ts > s.max_timestamp)
      s.max_timestamp = ts;
    first = false;
    ++s.event_count;
    s.level_bits |= storage::level_bit(storage::classify_level(r.get(storage::field::level)));
    for (auto f : {storage::field::message, storage::field::message_template, storage::field::exception})
      storage::for_each_token(r.get(f), scratch, [&](std::string_view t) { tokens.emplace_back(t); });
    // The planner's contract: @Message is tokenized as queries see it (rendered).
    if (r.get(storage::field::message).empty() && !r.get(storage::field::message_template).empty())
      storage::for_each_token(render_template(r.get(storage::field::message_template), r.get(storage::field::properties)),
                              scratch, [&](std::string_view t) { tokens.emplace_back(t); });
    if (!r.get(storage::field::exception).empty())
      names.push_back("@Exception");
    add_names_and_tokens(r.get(storage::field::properties), "", s, names, tokens);
  }
  s.names = storage::bloom_filter(names.size() + 1);
  s.tokens = storage::bloom_filter(tokens.size() + 1);
  for (auto& n : names)
    s.names.add(n);
  for (auto& t : tokens)
    s.tokens.add(t);
  return s;
}

} // namespace cairn::query::testing
