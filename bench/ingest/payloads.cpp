#include "bench/ingest/payloads.hpp"

#include <cinttypes>
#include <cstdio>
#include <ctime>
#include <string_view>

namespace cairn::bench {

namespace {

/// xorshift64*: deterministic values per seed, no global state.
struct rng {
  uint64_t s;
  explicit rng(uint64_t seed) : s(seed * 0x9E3779B97F4A7C15ULL + 1) {}
  uint64_t next() {
    s ^= s >> 12;
    s ^= s << 25;
    s ^= s >> 27;
    return s * 0x2545F4914F6CDD1DULL;
  }
  uint64_t below(uint64_t n) { return next() % n; }
};

constexpr std::string_view methods[] = {"GET", "POST", "PUT", "DELETE"};
constexpr std::string_view paths[] = {"/api/orders", "/api/customers", "/api/cart", "/health", "/api/search"};
constexpr int statuses[] = {200, 200, 200, 201, 204, 304, 400, 404, 500};
constexpr std::string_view operations[] = {"charge-card", "send-email", "reserve-stock", "publish-event"};
constexpr std::string_view names[] = {"alice", "bob", "carol", "dave", "erin", "frank"};
constexpr std::string_view stack =
  "System.TimeoutException: The operation has timed out.\n"
  "   at Shop.Payments.Gateway.ChargeAsync(Card card, Decimal amount) in /src/Payments/Gateway.cs:line 88\n"
  "   at Shop.Orders.Checkout.CompleteAsync(Order order) in /src/Orders/Checkout.cs:line 142\n"
  "   at Shop.Web.Controllers.OrdersController.Post(OrderDto dto) in /src/Web/OrdersController.cs:line 57";

void iso_ms(std::string& out, int64_t ns) {
  time_t secs = time_t(ns / 1'000'000'000);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[96]; // large enough for any int fields, so no truncation warning
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900, tm.tm_mon + 1,
                tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, int(ns / 1'000'000 % 1000));
  out += buf;
}

void hex(std::string& out, uint64_t v, int digits) {
  static constexpr char d[] = "0123456789abcdef";
  for (int i = digits - 1; i >= 0; --i)
    out.push_back(d[(v >> (4 * (i % 16))) & 15]);
}

// --- minimal protobuf writer ---------------------------------------------------

struct pb {
  std::string s;
  pb& varint(uint64_t x) {
    do {
      uint8_t b = x & 0x7f;
      x >>= 7;
      s.push_back(char(x ? b | 0x80 : b));
    } while (x);
    return *this;
  }
  pb& tag(uint32_t field, int wire) { return varint(uint64_t(field) << 3 | uint64_t(wire)); }
  pb& u64(uint32_t field, uint64_t x) { return tag(field, 0).varint(x); }
  pb& fixed64(uint32_t field, uint64_t x) {
    tag(field, 1);
    for (int i = 0; i < 8; ++i)
      s.push_back(char(x >> (8 * i)));
    return *this;
  }
  pb& bytes(uint32_t field, std::string_view b) {
    tag(field, 2).varint(b.size());
    s.append(b);
    return *this;
  }
};

std::string any_string(std::string_view v) { return pb{}.bytes(1, v).s; }
std::string any_bool(bool v) { return pb{}.u64(2, v).s; }
std::string any_int(int64_t v) { return pb{}.u64(3, uint64_t(v)).s; }
std::string any_double(double v) {
  uint64_t bits;
  static_assert(sizeof bits == sizeof v);
  __builtin_memcpy(&bits, &v, sizeof v);
  return pb{}.fixed64(4, bits).s;
}
std::string key_value(std::string_view key, const std::string& any) { return pb{}.bytes(1, key).bytes(2, any).s; }
std::string raw_id(uint64_t a, uint64_t b, int len) {
  std::string id;
  for (int i = 0; i < len; ++i)
    id.push_back(char((i < 8 ? a : b) >> (8 * (i % 8))));
  return id;
}

} // namespace

std::string clef_batch(int events, uint64_t seed, int64_t base_ns) {
  rng r{seed};
  std::string out;
  out.reserve(size_t(events) * 420);
  char num[64];
  for (int i = 0; i < events; ++i) {
    out += "{\"@t\":\"";
    iso_ms(out, base_ns + int64_t(i) * 1'000'000);
    out += "\",";
    switch (i % 4) {
      case 0: {
        int status = statuses[r.below(std::size(statuses))];
        std::snprintf(num, sizeof num, "%d,\"Elapsed\":%.4f", status, double(r.below(500000)) / 1000.0);
        out += "\"@mt\":\"HTTP {RequestMethod} {RequestPath} responded {StatusCode} in {Elapsed:0.0000} ms\"";
        if (status >= 500)
          out += ",\"@l\":\"Error\"";
        out += ",\"RequestMethod\":\"";
        out += methods[r.below(std::size(methods))];
        out += "\",\"RequestPath\":\"";
        out += paths[r.below(std::size(paths))];
        out += "/" + std::to_string(r.below(100000));
        out += "\",\"StatusCode\":";
        out += num;
        out += ",\"RequestId\":\"0HN";
        hex(out, r.next(), 12);
        out += "\",\"SourceContext\":\"Microsoft.AspNetCore.Hosting.Diagnostics\",\"Application\":\"shop-web\"";
        out += ",\"@tr\":\"";
        hex(out, r.next(), 16);
        hex(out, r.next(), 16);
        out += "\",\"@sp\":\"";
        hex(out, r.next(), 16);
        out += "\"";
        break;
      }
      case 1:
        out += "\"@mt\":\"Executed DbCommand ({Elapsed} ms) returning {Rows} rows\",\"@l\":\"Debug\",\"Elapsed\":";
        out += std::to_string(r.below(250));
        out += ",\"Rows\":" + std::to_string(r.below(1000));
        out += ",\"CommandText\":\"SELECT o.id, o.total, o.created FROM orders o WHERE o.customer_id = @p0 "
               "ORDER BY o.created DESC LIMIT 50\",\"Database\":\"shop\",\"Application\":\"shop-web\"";
        break;
      case 2:
        out += "\"@mt\":\"Retrying {Operation} after {Attempt} failures\",\"@l\":\"Warning\",\"@x\":\"";
        for (char c : stack) {
          if (c == '\n')
            out += "\\n";
          else
            out.push_back(c);
        }
        out += "\",\"Operation\":\"";
        out += operations[r.below(std::size(operations))];
        out += "\",\"Attempt\":" + std::to_string(1 + r.below(5));
        out += ",\"Tags\":[\"retry\",\"payments\"],\"Application\":\"shop-worker\"";
        break;
      default: {
        std::snprintf(num, sizeof num, "%.2f", double(r.below(100000)) / 100.0);
        out += "\"@mt\":\"Cart {CartId} updated for {@User}\",\"CartId\":" + std::to_string(r.below(1u << 30));
        out += ",\"User\":{\"Id\":" + std::to_string(r.below(100000)) + ",\"Name\":\"";
        out += names[r.below(std::size(names))];
        out += "\",\"Roles\":[\"customer\"]},\"Total\":";
        out += num;
        out += ",\"Items\":" + std::to_string(1 + r.below(20));
        out += r.below(2) ? ",\"IsPremium\":true" : ",\"IsPremium\":false";
        out += ",\"Application\":\"shop-web\"";
        break;
      }
    }
    out += "}\n";
  }
  return out;
}

std::string otlp_logs_batch(int events, uint64_t seed, int64_t base_ns) {
  rng r{seed};
  std::string records;
  records.reserve(size_t(events) * 380);
  for (int i = 0; i < events; ++i) {
    pb rec;
    const uint64_t t = uint64_t(base_ns + int64_t(i) * 1'000'000);
    rec.fixed64(1, t);
    switch (i % 4) {
      case 0: {
        int status = statuses[r.below(std::size(statuses))];
        rec.u64(2, status >= 500 ? 17 : 9).bytes(3, status >= 500 ? "ERROR" : "INFO");
        rec.bytes(5, any_string("HTTP request handled"));
        rec.bytes(6, key_value("http.request.method", any_string(methods[r.below(std::size(methods))])));
        rec.bytes(6, key_value("url.path", any_string(std::string{paths[r.below(std::size(paths))]} + "/" +
                                                      std::to_string(r.below(100000)))));
        rec.bytes(6, key_value("http.response.status_code", any_int(status)));
        rec.bytes(6, key_value("elapsed_ms", any_double(double(r.below(500000)) / 1000.0)));
        rec.bytes(9, raw_id(r.next(), r.next(), 16)).bytes(10, raw_id(r.next(), 0, 8));
        break;
      }
      case 1:
        rec.u64(2, 5).bytes(3, "DEBUG").bytes(5, any_string("Executed DbCommand"));
        rec.bytes(6, key_value("db.statement", any_string("SELECT o.id, o.total, o.created FROM orders o WHERE "
                                                          "o.customer_id = $1 ORDER BY o.created DESC LIMIT 50")));
        rec.bytes(6, key_value("db.rows", any_int(int64_t(r.below(1000)))));
        rec.bytes(6, key_value("elapsed_ms", any_int(int64_t(r.below(250)))));
        break;
      case 2:
        rec.u64(2, 13).bytes(3, "WARN").bytes(5, any_string("Retrying operation after failures"));
        rec.bytes(6, key_value("operation", any_string(operations[r.below(std::size(operations))])));
        rec.bytes(6, key_value("attempt", any_int(int64_t(1 + r.below(5)))));
        rec.bytes(6, key_value("exception.type", any_string("System.TimeoutException")));
        rec.bytes(6, key_value("exception.stacktrace", any_string(stack)));
        break;
      default:
        rec.u64(2, 9).bytes(5, any_string("Cart updated"));
        rec.bytes(6, key_value("cart.id", any_int(int64_t(r.below(1u << 30)))));
        rec.bytes(6, key_value("user.name", any_string(names[r.below(std::size(names))])));
        rec.bytes(6, key_value("cart.total", any_double(double(r.below(100000)) / 100.0)));
        rec.bytes(6, key_value("user.premium", any_bool(r.below(2))));
        break;
    }
    rec.fixed64(11, t);
    pb{}.bytes(2, rec.s).s.swap(rec.s); // LogRecord as field 2 of ScopeLogs
    records += rec.s;
  }
  pb scope;
  scope.bytes(1, "Shop.Web").bytes(2, "1.4.0");
  std::string scope_logs = pb{}.bytes(1, scope.s).s + records;
  pb resource;
  resource.bytes(1, key_value("service.name", any_string("shop-web")));
  resource.bytes(1, key_value("host.name", any_string("web-" + std::to_string(seed % 8))));
  pb resource_logs;
  resource_logs.bytes(1, resource.s).bytes(2, scope_logs);
  return pb{}.bytes(1, resource_logs.s).s;
}

} // namespace cairn::bench
