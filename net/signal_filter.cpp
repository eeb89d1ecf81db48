#include "net/signal_filter.hpp"

#include "query/lexer.hpp"
#include "storage/meta/metastore.hpp"

#include <stdexcept>
#include <vector>

namespace cairn::net {

namespace {

std::vector<std::string_view> split(std::string_view s, char sep) {
  std::vector<std::string_view> out;
  size_t start = 0;
  for (size_t i = 0; i <= s.size(); ++i)
    if (i == s.size() || s[i] == sep) {
      auto part = s.substr(start, i - start);
      while (!part.empty() && part.front() == ' ')
        part.remove_prefix(1);
      while (!part.empty() && part.back() == ' ')
        part.remove_suffix(1);
      out.push_back(part);
      start = i + 1;
    }
  return out;
}

bool is_keyword(const query::token& t, std::string_view kw) {
  if (t.kind != query::token_kind::identifier || t.text.size() != kw.size())
    return false;
  for (size_t i = 0; i < kw.size(); ++i)
    if (std::tolower(static_cast<unsigned char>(t.text[i])) != kw[i])
      return false;
  return true;
}

} // namespace

std::string and_filters(const std::string& a, const std::string& b) {
  if (a.empty())
    return b;
  if (b.empty())
    return a;
  return "(" + a + ") and (" + b + ")";
}

std::string signal_expression_filter(std::string_view expr, const signal_lookup& lookup) {
  std::string all;
  for (auto group : split(expr, ',')) {
    std::string any;
    bool every = false; // one alternative without a filter matches everything
    for (auto id : split(group, '~')) {
      if (id.empty())
        throw std::invalid_argument("signal: empty signal id in '" + std::string{expr} + "'");
      auto f = lookup(id);
      if (!f)
        throw std::invalid_argument("signal: no signal " + std::string{id});
      if (f->empty())
        every = true;
      else
        any += (any.empty() ? "(" : " or (") + *f + ")";
    }
    if (!every)
      all = and_filters(all, any);
  }
  return all;
}

std::string add_filter_to_sql(std::string_view sql, const std::string& filter) {
  if (filter.empty())
    return std::string{sql};
  auto tokens = query::tokenize(sql);
  int depth = 0;
  size_t from_end = std::string_view::npos, where_at = std::string_view::npos,
         clause_end = sql.size();
  for (size_t i = 0; i < tokens.size(); ++i) {
    const auto& t = tokens[i];
    if (t.kind == query::token_kind::punct && t.text == "(")
      ++depth;
    else if (t.kind == query::token_kind::punct && t.text == ")")
      --depth;
    if (depth != 0 || t.kind == query::token_kind::end)
      continue;
    if (is_keyword(t, "from") && i + 1 < tokens.size())
      from_end = tokens[i + 1].end;
    else if (is_keyword(t, "where"))
      where_at = t.end;
    else if (is_keyword(t, "group") || is_keyword(t, "having") || is_keyword(t, "order") ||
             is_keyword(t, "limit") || is_keyword(t, "for")) {
      if (clause_end == sql.size())
        clause_end = t.begin;
    }
  }
  std::string out;
  if (where_at != std::string_view::npos) {
    out.append(sql.substr(0, where_at));
    out += " (" + filter + ") and (";
    out.append(sql.substr(where_at, clause_end - where_at));
    out += ") ";
    out.append(sql.substr(clause_end));
  } else if (from_end != std::string_view::npos) {
    out.append(sql.substr(0, from_end));
    out += " where " + filter + " ";
    out.append(sql.substr(from_end));
  } else {
    throw std::invalid_argument("signal: the query has no from clause");
  }
  return out;
}

std::string resolve_signal_filter(const std::string& uri, std::string_view expr) {
  auto store = meta::metastore::open(uri);
  if (!store)
    throw std::runtime_error("cannot open the metastore: " + store.error().message);
  auto list = store->list_signals();
  if (!list)
    throw std::runtime_error(list.error().message);
  return signal_expression_filter(expr, [&](std::string_view id) -> std::optional<std::string> {
    for (const auto& s : *list)
      if (s.id == id)
        return s.filter;
    return std::nullopt;
  });
}

} // namespace cairn::net
