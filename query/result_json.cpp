#include "query/result_json.hpp"

#include <map>

namespace cairn::query {

namespace {

// Slices over an unbounded range would be endless: beyond this many
// intervals only non-empty slices are listed.
constexpr int64_t max_dense_slices = 100000;

void append_row(std::string& out, const std::vector<value>& row, size_t from) {
  out.push_back('[');
  for (size_t i = from; i < row.size(); ++i) {
    if (i > from)
      out.push_back(',');
    append_cell_json(out, row[i]);
  }
  out.push_back(']');
}

void append_columns(std::string& out, const std::vector<std::string>& cols, size_t from) {
  out += "\"Columns\":[";
  for (size_t i = from; i < cols.size(); ++i) {
    if (i > from)
      out.push_back(',');
    append_json_string(out, cols[i]);
  }
  out += "]";
}

// rows_by_time: bucket -> row indexes.
void append_slices(std::string& out, const query_result& r, const std::map<int64_t, std::vector<size_t>>& rows_by_time) {
  out += "\"Slices\":[";
  bool first = true;
  auto slice = [&](int64_t t, const std::vector<size_t>* idx) {
    if (!first)
      out.push_back(',');
    first = false;
    out += "{\"Time\":";
    append_json_string(out, format_iso8601(t));
    out += ",\"Rows\":[";
    if (idx)
      for (size_t i = 0; i < idx->size(); ++i) {
        if (i)
          out.push_back(',');
        append_row(out, r.rows[(*idx)[i]], r.key_count);
      }
    out += "]}";
  };
  bool dense = r.range_from_ns != INT64_MIN && r.range_to_ns != INT64_MAX && r.interval_ns > 0 &&
               (r.range_to_ns - r.range_from_ns) / r.interval_ns < max_dense_slices;
  if (dense) {
    for (int64_t t = r.range_from_ns; t < r.range_to_ns; t += r.interval_ns) {
      auto it = rows_by_time.find(t);
      slice(t, it == rows_by_time.end() ? nullptr : &it->second);
    }
  } else {
    for (auto& [t, idx] : rows_by_time)
      slice(t, &idx);
  }
  out += "]";
}

} // namespace

void append_cell_json(std::string& out, const value& v) {
  if (v.kind == value_kind::datetime || v.kind == value_kind::duration) {
    // Integer ticks, exactly (a double would round beyond 2^53).
    int64_t ticks = v.kind == value_kind::datetime ? unix_ns_to_ticks(v.ns) : v.ns / 100;
    out += std::to_string(ticks);
    return;
  }
  append_json(out, v);
}

std::string to_seq_json(const query_result& r) {
  std::string out = "{";
  if (!r.time_grouped) {
    append_columns(out, r.columns, 0);
    out += ",\"Rows\":[";
    for (size_t i = 0; i < r.rows.size(); ++i) {
      if (i)
        out.push_back(',');
      append_row(out, r.rows[i], 0);
    }
    out += "]";
  } else if (r.key_count == 0) {
    append_columns(out, r.columns, 0);
    out.push_back(',');
    std::map<int64_t, std::vector<size_t>> by_time;
    for (size_t i = 0; i < r.rows.size(); ++i)
      by_time[r.row_times[i]].push_back(i);
    append_slices(out, r, by_time);
  } else {
    append_columns(out, r.columns, 0);
    out += ",\"Series\":[";
    // Series in first-appearance order of their key tuple.
    std::vector<std::pair<std::string, std::map<int64_t, std::vector<size_t>>>> series;
    std::map<std::string, size_t> index;
    for (size_t i = 0; i < r.rows.size(); ++i) {
      std::string key;
      key.push_back('[');
      for (size_t k = 0; k < r.key_count; ++k) {
        if (k)
          key.push_back(',');
        append_cell_json(key, r.rows[i][k]);
      }
      key.push_back(']');
      auto [it, added] = index.emplace(key, series.size());
      if (added)
        series.emplace_back(key, std::map<int64_t, std::vector<size_t>>{});
      series[it->second].second[r.row_times[i]].push_back(i);
    }
    for (size_t s = 0; s < series.size(); ++s) {
      if (s)
        out.push_back(',');
      out += "{\"Key\":" + series[s].first + ",";
      append_slices(out, r, series[s].second);
      out += "}";
    }
    out += "]";
  }
  if (r.time_grouped) {
    out += ",\"TimeColumnMetadata\":{\"IntervalTicks\":";
    append_number(out, double(r.interval_ns / 100));
    out += "}";
  }
  out += ",\"Statistics\":{\"ElapsedMilliseconds\":";
  append_number(out, double(int64_t(r.stats.elapsed_ms)));
  out += "}}";
  return out;
}

} // namespace cairn::query
