/// `cairn query 'SQL'` and `cairn search 'filter'`: ask a running node and
/// print an aligned table (or the raw JSON with --json).
#include "tools/cli/commands.hpp"
#include "tools/cli/http_client.hpp"

#include <simdjson.h>

#include <algorithm>
#include <cstdio>
#include <iostream>
#include <vector>

namespace cairn::cli {

namespace {

using table = std::vector<std::vector<std::string>>;

std::string cell_text(simdjson::dom::element v) {
  if (v.is_string())
    return std::string{v.get_string().value()};
  if (v.is_null())
    return "null";
  return simdjson::minify(v);
}

void print_table(const table& t) {
  if (t.empty())
    return;
  std::vector<size_t> width(t[0].size(), 0);
  for (const auto& row : t)
    for (size_t i = 0; i < row.size() && i < width.size(); ++i)
      width[i] = std::min<size_t>(std::max(width[i], row[i].size()), 80);
  for (size_t r = 0; r < t.size(); ++r) {
    std::string line;
    for (size_t i = 0; i < t[r].size(); ++i) {
      auto text = t[r][i].size() > 80 ? t[r][i].substr(0, 77) + "..." : t[r][i];
      line += text;
      if (i + 1 < t[r].size())
        line += std::string(width[i] - text.size() + 2, ' ');
    }
    std::cout << line << "\n";
    if (r == 0) {
      size_t total = 0;
      for (auto w : width)
        total += w + 2;
      std::cout << std::string(total > 2 ? total - 2 : total, '-') << "\n";
    }
  }
}

void append_rows(table& t, simdjson::dom::array rows, const std::vector<std::string>& prefix) {
  for (auto row : rows) {
    std::vector<std::string> line = prefix;
    for (auto cell : row.get_array())
      line.push_back(cell_text(cell));
    t.push_back(std::move(line));
  }
}

/// Turns Seq's Rows / Slices / Series result into one table.
table result_table(simdjson::dom::element doc) {
  table t;
  std::vector<std::string> header;
  for (auto c : doc["Columns"].get_array())
    header.push_back(cell_text(c));
  simdjson::dom::array rows, slices, series;
  if (!doc["Rows"].get(rows)) {
    t.push_back(header);
    append_rows(t, rows, {});
  } else if (!doc["Slices"].get(slices)) {
    header.insert(header.begin(), "time");
    t.push_back(header);
    for (auto s : slices)
      append_rows(t, s["Rows"].get_array(), {cell_text(s["Time"])});
  } else if (!doc["Series"].get(series)) {
    header.insert(header.begin(), "time");
    t.push_back(header);
    for (auto s : series) {
      std::vector<std::string> key;
      for (auto k : s["Key"].get_array())
        key.push_back(cell_text(k));
      for (auto slice : s["Slices"].get_array()) {
        for (auto row : slice["Rows"].get_array()) {
          std::vector<std::string> line{cell_text(slice["Time"])};
          line.insert(line.end(), key.begin(), key.end());
          for (auto cell : row.get_array())
            line.push_back(cell_text(cell));
          t.push_back(std::move(line));
        }
      }
    }
  }
  return t;
}

int report_error(const http_reply& r) {
  std::cerr << "cairn: the node answered " << r.status << ": " << r.body << "\n";
  return r.status == 400 ? usage : failure;
}

} // namespace

int query_command(int argc, char** argv, bool is_search) {
  args a{argc, argv, 2, {"server", "api-key", "from", "to", "count"}, {"json"}};
  if (a.positional().size() != 1)
    throw usage_error{is_search ? "usage: cairn search 'FILTER' [--count N] [--json]"
                                : "usage: cairn query 'SQL' [--from ISO] [--to ISO] [--json]"};
  http_client client{a.get_or("server", "http://127.0.0.1:5341"), a.get_or("api-key", "")};
  std::string target;
  if (is_search) {
    target = "/api/events?count=" + a.get_or("count", "30") +
             "&filter=" + url_encode(a.positional()[0]);
    if (auto f = a.get("from"))
      target += "&fromDateUtc=" + url_encode(*f);
    if (auto t = a.get("to"))
      target += "&toDateUtc=" + url_encode(*t);
  } else {
    target = "/api/data?q=" + url_encode(a.positional()[0]);
    if (auto f = a.get("from"))
      target += "&rangeStartUtc=" + url_encode(*f);
    if (auto t = a.get("to"))
      target += "&rangeEndUtc=" + url_encode(*t);
  }
  http_reply reply;
  try {
    reply = client.send("GET", target, "");
  } catch (const std::exception& e) {
    std::cerr << "cairn: " << e.what() << "\n";
    return failure;
  }
  if (reply.status != 200)
    return report_error(reply);
  if (a.flag("json")) {
    std::cout << reply.body << "\n";
    return ok;
  }
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  if (parser.parse(reply.body).get(doc)) {
    std::cerr << "cairn: the node sent malformed JSON\n";
    return failure;
  }
  if (is_search) {
    table t{{"Timestamp", "Level", "Message"}};
    for (auto e : doc.get_array())
      t.push_back({cell_text(e["Timestamp"]), cell_text(e["Level"]),
                   cell_text(e["RenderedMessage"])});
    print_table(t);
  } else {
    print_table(result_table(doc));
  }
  return ok;
}

} // namespace cairn::cli
