#include "query/builtins.hpp"

#include "query/json_text.hpp"

#include <cstdio>

namespace cairn::query {

namespace {
struct entry {
  std::string_view name;
  builtin b;
};
constexpr entry entries[] = {
  {"Timestamp", builtin::timestamp}, {"Start", builtin::start},
  {"Elapsed", builtin::elapsed}, {"Level", builtin::level},
  {"Message", builtin::message}, {"MessageTemplate", builtin::message_template},
  {"Exception", builtin::exception}, {"EventType", builtin::event_type},
  {"Id", builtin::id}, {"TraceId", builtin::trace_id},
  {"SpanId", builtin::span_id}, {"ParentId", builtin::parent_id},
  {"SpanKind", builtin::span_kind}, {"Properties", builtin::properties},
  {"Resource", builtin::resource}, {"Scope", builtin::scope},
  {"Arrived", builtin::arrived}, {"Data", builtin::data}, {"Document", builtin::data},
};

value optional_text(std::string_view s) { return s.empty() ? value{} : value::string(s); }
value optional_object(std::string_view s) { return s.empty() ? value{} : value::object_json(s); }
} // namespace

std::optional<builtin> find_builtin(std::string_view name) noexcept {
  for (const auto& e : entries)
    if (e.name == name)
      return e.b;
  return std::nullopt;
}

std::string format_event_id(uint64_t id) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "event-%016llx", static_cast<unsigned long long>(id));
  return buf;
}

std::string render_template(std::string_view t, std::string_view props) {
  std::string out;
  arena scratch;
  for (size_t i = 0; i < t.size(); ++i) {
    char c = t[i];
    if (c == '{' && i + 1 < t.size() && t[i + 1] == '{') {
      out.push_back('{');
      ++i;
      continue;
    }
    if (c == '}' && i + 1 < t.size() && t[i + 1] == '}') {
      out.push_back('}');
      ++i;
      continue;
    }
    if (c != '{') {
      out.push_back(c);
      continue;
    }
    size_t close = t.find('}', i);
    if (close == std::string_view::npos) {
      out.append(t.substr(i));
      break;
    }
    auto hole = t.substr(i + 1, close - i - 1);
    auto name = hole;
    if (!name.empty() && (name[0] == '@' || name[0] == '$'))
      name.remove_prefix(1);
    name = name.substr(0, name.find_first_of(":,"));
    std::string_view raw;
    if (!props.empty() && json::find_member(props, name, raw)) {
      value v = json::to_value(raw, scratch);
      if (v.is_string())
        out.append(v.str());
      else
        out.append(raw);
    } else {
      out.append(t.substr(i, close - i + 1));
    }
    i = close;
  }
  return out;
}

value read_builtin(builtin b, eval_context& ctx) {
  const auto& r = ctx.record();
  using storage::field;
  switch (b) {
    case builtin::timestamp: return value::datetime(r.timestamp());
    case builtin::start: return r.is_span() ? value::datetime(r.start()) : value{};
    case builtin::elapsed: return r.is_span() ? value::duration(r.timestamp() - r.start()) : value{};
    case builtin::level: {
      auto l = r.get(field::level);
      return value::string(l.empty() ? std::string_view{"Information"} : l);
    }
    case builtin::message: {
      auto m = r.get(field::message);
      if (!m.empty())
        return value::string(m);
      auto t = r.get(field::message_template);
      if (t.empty())
        return {};
      if (t.find('{') == std::string_view::npos)
        return value::string(t);
      return value::string(ctx.scratch().copy(render_template(t, r.get(field::properties))));
    }
    case builtin::message_template: return optional_text(r.get(field::message_template));
    case builtin::exception: return optional_text(r.get(field::exception));
    case builtin::event_type: return value::of(double(r.event_type()));
    case builtin::id: return value::string(ctx.scratch().copy(format_event_id(r.id())));
    case builtin::trace_id: return optional_text(r.get(field::trace_id));
    case builtin::span_id: return optional_text(r.get(field::span_id));
    case builtin::parent_id: return optional_text(r.get(field::parent_id));
    case builtin::span_kind: return optional_text(r.get(field::span_kind));
    case builtin::properties: {
      auto p = r.get(field::properties);
      return value::object_json(p.empty() ? std::string_view{"{}"} : p);
    }
    case builtin::resource: return optional_object(r.get(field::resource));
    case builtin::scope: return optional_object(r.get(field::scope));
    case builtin::arrived: return {};
    case builtin::data: {
      // A JSON document of the event, as Seq's @Data exposes it.
      std::string out = "{\"Timestamp\":";
      append_json(out, value::datetime(r.timestamp()));
      out += ",\"Level\":";
      append_json(out, read_builtin(builtin::level, ctx));
      value m = read_builtin(builtin::message, ctx);
      if (!m.is_undefined()) {
        out += ",\"Message\":";
        append_json(out, m);
      }
      out += ",\"Properties\":";
      auto p = r.get(field::properties);
      out += p.empty() ? std::string_view{"{}"} : p;
      out += "}";
      return value::object_json(ctx.scratch().copy(out));
    }
  }
  return {};
}

} // namespace cairn::query
