// Runs the query semantics data files (tests/query/*.test).
//
// File format, one directive per line ('#' starts a comment line):
//   dataset                 starts a new dataset; following lines until a blank
//                           line are CLEF JSON events (ids 1, 2, ... in order);
//                           a line `block` starts a new storage block.
//   now <iso8601>           fixes Now() (default 2024-01-01T12:00:00Z)
//   range <iso|*> <iso|*>   request range for following queries (default *)
//   event <n>               the event `eval` uses (default 1)
//   memory <bytes>          query.maxMemoryBytes for following queries
//   eval <expr> => <json>   value of expr for the current event; `undefined`
//   filter <expr> => <ids>  ids of matching events, ascending, or `none`
//   query <sql> => <rows>   rows as a JSON array of arrays (datetimes ISO)
//   json <sql> => <json>    exact Seq JSON (Statistics removed)
//   blocks <filter> => <n>  blocks read (skipping) for a filter; also checks
//                           skipping never changes the matching events
//   error <text> => <regex> the query/filter fails; message matches regex
//   error_at <text> => <pos> <regex>   and the error is at position pos
#include "query/executor.hpp"
#include "query/parse_error.hpp"
#include "query/parser.hpp"
#include "query/query_plan.hpp"
#include "query/result_json.hpp"
#include "tests/query/test_events.hpp"

#include <doctest/doctest.h>
#include <simdjson.h>

#include <fstream>
#include <regex>
#include <sstream>

namespace cairn::query::testing {

namespace {

struct runner {
  std::string file;
  memory_source source;
  std::vector<std::string> events; // record bytes per id-1
  int64_t now = 0;
  query_options opts;
  size_t current_event = 1;
  size_t line_no = 0;

  runner() { parse_iso8601("2024-01-01T12:00:00Z", now); }

  std::string where() const { return file + ":" + std::to_string(line_no); }

  static std::string render(const value& v) {
    std::string out;
    if (v.is_undefined())
      return "undefined";
    append_json(out, v);
    return out;
  }

  static std::string normalize_json(const std::string& text) {
    simdjson::dom::parser p;
    simdjson::padded_string ps(text);
    simdjson::dom::element e;
    if (p.parse(ps).get(e))
      return "<invalid json: " + text + ">";
    return simdjson::minify(e);
  }

  std::string render_rows(const query_result& r) {
    std::string out = "[";
    for (size_t i = 0; i < r.rows.size(); ++i) {
      if (i)
        out += ",";
      out += "[";
      size_t c = 0;
      if (r.time_grouped) {
        append_json(out, value::datetime(r.row_times[i]));
        ++c;
      }
      for (size_t j = 0; j < r.rows[i].size(); ++j, ++c) {
        if (c)
          out += ",";
        append_json(out, r.rows[i][j]);
      }
      out += "]";
    }
    return out + "]";
  }

  std::string matching_ids(const std::string& text) {
    auto plan = query_plan::compile_filter(text, now);
    search_options so;
    so.count = 100000;
    auto hits = search(*plan, source, opts, so);
    std::vector<uint64_t> ids;
    for (auto& h : hits)
      ids.push_back(h.id);
    std::sort(ids.begin(), ids.end());
    std::string out;
    for (auto id : ids)
      out += (out.empty() ? "" : " ") + std::to_string(id);
    return out.empty() ? "none" : out;
  }

  // All ids matching without any block skipping (reference for `blocks`).
  std::string matching_ids_unskipped(const std::string& text) {
    auto plan = query_plan::compile_filter(text, now);
    filter_matcher m(plan);
    std::vector<uint64_t> ids;
    for (auto& e : events) {
      storage::record_view rv;
      rv.parse(e.data(), e.size());
      if (rv.timestamp() >= opts.from_ns && rv.timestamp() < opts.to_ns && m.matches(rv))
        ids.push_back(rv.id());
    }
    std::string out;
    for (auto id : ids)
      out += (out.empty() ? "" : " ") + std::to_string(id);
    return out.empty() ? "none" : out;
  }

  void directive(const std::string& line) {
    auto split = [&](const std::string& rest, std::string& lhs, std::string& rhs) {
      auto p = rest.rfind(" => ");
      REQUIRE_MESSAGE(p != std::string::npos, where() << ": missing ` => `");
      lhs = rest.substr(0, p);
      rhs = rest.substr(p + 4);
    };
    auto cmd = line.substr(0, line.find(' '));
    std::string rest = line.size() > cmd.size() ? line.substr(cmd.size() + 1) : "";
    std::string lhs, rhs;
    INFO(where() << ": " << line);
    if (cmd == "now") {
      REQUIRE(parse_iso8601(rest, now));
    } else if (cmd == "range") {
      auto sp = rest.find(' ');
      auto a = rest.substr(0, sp), b = rest.substr(sp + 1);
      opts.from_ns = INT64_MIN;
      opts.to_ns = INT64_MAX;
      if (a != "*")
        REQUIRE(parse_iso8601(a, opts.from_ns));
      if (b != "*")
        REQUIRE(parse_iso8601(b, opts.to_ns));
    } else if (cmd == "memory") {
      opts.max_memory_bytes = std::stoull(rest);
    } else if (cmd == "event") {
      current_event = std::stoul(rest);
    } else if (cmd == "eval") {
      split(rest, lhs, rhs);
      std::string got;
      try {
        auto plan = query_plan::compile_filter("true", now);
        property_names props;
        compile_scope scope;
        scope.props = &props;
        scope.now_ns = now;
        auto ast = parse_filter(lhs);
        auto e = compile_expr(*ast, scope);
        eval_context ctx(props, now);
        REQUIRE(current_event <= events.size());
        storage::record_view rv;
        rv.parse(events[current_event - 1].data(), events[current_event - 1].size());
        ctx.begin_event(rv);
        got = render(e->eval(ctx));
      } catch (const query_error& e) {
        got = std::string("error: ") + e.what();
      }
      std::string want = rhs == "undefined" ? rhs : normalize_json(rhs);
      CHECK_MESSAGE(got == want, where() << ": eval " << lhs << "\n  got:  " << got << "\n  want: " << want);
    } else if (cmd == "filter") {
      split(rest, lhs, rhs);
      std::string got;
      try {
        got = matching_ids(lhs);
      } catch (const query_error& e) {
        got = std::string("error: ") + e.what();
      }
      CHECK_MESSAGE(got == rhs, where() << ": filter " << lhs << "\n  got:  " << got << "\n  want: " << rhs);
    } else if (cmd == "query" || cmd == "json") {
      split(rest, lhs, rhs);
      std::string want = normalize_json(rhs);
      // Once over record views, once with blocks as value codes where the
      // plan allows (query/column_scan.hpp): both must give the answer.
      for (bool columns : {false, true}) {
        source.use_columns = columns;
        const size_t column_blocks = source.column_blocks;
        std::string got;
        try {
          auto r = run_query(lhs, source, opts, now);
          if (cmd == "query") {
            got = render_rows(r);
          } else {
            r.stats.elapsed_ms = 0;
            got = to_seq_json(r);
            auto p = got.find(",\"Statistics\"");
            got = got.substr(0, p) + "}";
          }
        } catch (const query_error& e) {
          got = std::string("error: ") + e.what();
        }
        got = got.starts_with("error") ? got : normalize_json(got);
        const char* path = !columns ? "views" : source.column_blocks > column_blocks ? "value codes" : "views (no column plan)";
        CHECK_MESSAGE(got == want, where() << ": " << cmd << " " << lhs << " [" << std::string(path) << "]\n  got:  " << got
                                           << "\n  want: " << want);
      }
      source.use_columns = false;
    } else if (cmd == "blocks") {
      split(rest, lhs, rhs);
      std::string ids = matching_ids(lhs);
      size_t read = source.blocks_read;
      CHECK_MESSAGE(std::to_string(read) == rhs, where() << ": blocks read for " << lhs << ": " << read
                                                         << ", want " << rhs);
      CHECK_MESSAGE(ids == matching_ids_unskipped(lhs), where() << ": skipping changed the result of " << lhs);
    } else if (cmd == "error" || cmd == "error_at") {
      split(rest, lhs, rhs);
      long pos = -1;
      if (cmd == "error_at") {
        auto sp = rhs.find(' ');
        pos = std::stol(rhs.substr(0, sp));
        rhs = rhs.substr(sp + 1);
      }
      bool failed = false;
      try {
        auto plan = query_plan::compile(lhs, now);
        if (plan->is_select)
          run_query(lhs, source, opts, now);
      } catch (const query_error& e) {
        failed = true;
        std::string msg = e.what();
        CHECK_MESSAGE(std::regex_search(msg, std::regex(rhs)), where() << ": error message `" << msg
                                                                       << "` does not match /" << rhs << "/");
        if (pos >= 0)
          CHECK_MESSAGE(long(e.position()) == pos, where() << ": error position " << e.position() << ", want "
                                                           << pos << " (" << msg << ")");
      }
      CHECK_MESSAGE(failed, where() << ": expected an error for " << lhs);
    } else {
      FAIL(where() << ": unknown directive " << cmd);
    }
  }

  void run(const std::string& name) {
    file = name;
    std::ifstream in(std::string(CAIRN_SOURCE_DIR) + "/tests/query/" + name);
    REQUIRE_MESSAGE(in.good(), "cannot open " << name);
    std::string line;
    bool in_dataset = false;
    while (std::getline(in, line)) {
      ++line_no;
      if (!line.empty() && line.back() == '\r')
        line.pop_back();
      if (in_dataset) {
        if (line.empty()) {
          in_dataset = false;
          continue;
        }
        if (line == "block") {
          source.new_block();
          continue;
        }
        std::string err;
        uint64_t id = events.size() + 1;
        auto& b = source.current();
        size_t before = b.size();
        REQUIRE_MESSAGE(append_clef(b, line, id, err), where() << ": " << err);
        events.emplace_back(b.record(before));
        continue;
      }
      if (line.empty() || line[0] == '#')
        continue;
      if (line == "dataset") {
        source = memory_source{};
        events.clear();
        in_dataset = true;
        current_event = 1;
        continue;
      }
      directive(line);
    }
  }
};

void run_file(const char* name) {
  runner r;
  r.run(name);
}

} // namespace

TEST_SUITE("query.data") {
TEST_CASE("operators and null/undefined semantics") { run_file("operators.test"); }
TEST_CASE("scalar functions") { run_file("functions.test"); }
TEST_CASE("property access and built-ins") { run_file("properties.test"); }
TEST_CASE("aggregates, grouping, having, order, limit") { run_file("aggregates.test"); }
TEST_CASE("syntax and semantic errors report positions") { run_file("errors.test"); }
TEST_CASE("block skipping by time, level, names and tokens") { run_file("planner.test"); }
TEST_CASE("Seq result JSON shapes") { run_file("result_json.test"); }
TEST_CASE("@Message in aggregate where clauses, over views and over rebuilt messages") { run_file("messages.test"); }
}

} // namespace cairn::query::testing
