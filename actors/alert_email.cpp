#include "actors/alert_email.hpp"

#include <simdjson.h>

#include <algorithm>
#include <ctime>

namespace cairn {

namespace {

using simdjson::dom::element;
using simdjson::dom::element_type;

std::string_view string_or(element e, const char* key, std::string_view fallback = {}) {
  std::string_view v;
  return e[key].get(v) ? fallback : v;
}

/// A cell as text: strings unquoted, everything else as JSON.
std::string cell_text(element e) {
  std::string_view s;
  if (!e.get(s))
    return std::string{s};
  return simdjson::to_string(e);
}

/// Header values must stay on one line.
std::string one_line(std::string_view s) {
  std::string out{s};
  std::replace(out.begin(), out.end(), '\r', ' ');
  std::replace(out.begin(), out.end(), '\n', ' ');
  return out;
}

bool is_ascii(std::string_view s) {
  return std::all_of(s.begin(), s.end(), [](char c) { return static_cast<unsigned char>(c) < 0x80; });
}

std::string base64(std::string_view in) {
  static constexpr char digits[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  size_t i = 0;
  for (; i + 2 < in.size(); i += 3) {
    uint32_t n = (uint8_t(in[i]) << 16) | (uint8_t(in[i + 1]) << 8) | uint8_t(in[i + 2]);
    for (int shift : {18, 12, 6, 0})
      out += digits[(n >> shift) & 63];
  }
  if (i < in.size()) {
    uint32_t n = uint8_t(in[i]) << 16;
    if (i + 1 < in.size())
      n |= uint8_t(in[i + 1]) << 8;
    out += digits[(n >> 18) & 63];
    out += digits[(n >> 12) & 63];
    out += i + 1 < in.size() ? digits[(n >> 6) & 63] : '=';
    out += '=';
  }
  return out;
}

/// RFC 2047 encoded word for non-ASCII header text.
std::string header_text(std::string_view s) {
  return is_ascii(s) ? std::string{s} : "=?UTF-8?B?" + base64(s) + "?=";
}

std::string rfc5322_date(int64_t ms) {
  std::time_t secs = static_cast<std::time_t>(ms / 1000);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[64];
  std::strftime(buf, sizeof buf, "%a, %d %b %Y %H:%M:%S +0000", &tm);
  return buf;
}

/// Appends rows (arrays of cells) under `columns` as an aligned table.
void append_table(std::string& out, const std::vector<std::string>& columns,
                  simdjson::dom::array rows) {
  std::vector<std::vector<std::string>> cells;
  std::vector<size_t> width(columns.size());
  for (size_t c = 0; c < columns.size(); ++c)
    width[c] = columns[c].size();
  for (element row : rows) {
    simdjson::dom::array values;
    if (row.get(values))
      continue;
    auto& line = cells.emplace_back();
    for (element v : values) {
      line.push_back(cell_text(v));
      if (line.size() > width.size())
        width.push_back(0);
      width[line.size() - 1] = std::max(width[line.size() - 1], line.back().size());
    }
  }
  auto put_row = [&](const std::vector<std::string>& row) {
    out += "  ";
    for (size_t c = 0; c < row.size(); ++c) {
      if (c)
        out += " | ";
      out += row[c];
      if (c + 1 < row.size())
        out.append(width[c] - std::min(width[c], row[c].size()), ' ');
    }
    out += "\r\n";
  };
  put_row(columns);
  std::vector<std::string> rule;
  for (size_t c = 0; c < columns.size(); ++c)
    rule.emplace_back(width[c], '-');
  put_row(rule);
  for (auto& row : cells)
    put_row(row);
}

} // namespace

std::optional<std::string> parse_email_output(std::string_view notify_json,
                                              std::optional<email_output>& out) {
  out.reset();
  simdjson::dom::parser parser;
  simdjson::padded_string padded{notify_json};
  element root;
  if (parser.parse(padded).get(root))
    return "Notify must be a JSON object";
  element mail;
  if (root["email"].get(mail))
    return std::nullopt;
  if (!mail.is_object())
    return "Notify.email must be an object";
  email_output o;
  o.host = string_or(mail, "host");
  o.from = string_or(mail, "from");
  o.subject = string_or(mail, "subject", o.subject);
  o.ca_file = string_or(mail, "caFile");
  o.username = string_or(mail, "username");
  o.password_secret = string_or(mail, "passwordSecret");
  auto tls = string_or(mail, "tls", "none");
  if (tls == "none")
    o.tls = smtp_tls::none;
  else if (tls == "starttls")
    o.tls = smtp_tls::starttls;
  else if (tls == "implicit")
    o.tls = smtp_tls::implicit;
  else
    return "Notify.email.tls must be none, starttls or implicit";
  int64_t port = o.tls == smtp_tls::implicit ? 465 : 25;
  if (auto p = mail["port"]; !p.error() && p.get(port))
    return "Notify.email.port must be an integer";
  if (port <= 0 || port > 65535)
    return "Notify.email.port must be 1..65535";
  o.port = static_cast<int>(port);
  std::string_view one;
  simdjson::dom::array many;
  if (!mail["to"].get(one)) {
    o.to.emplace_back(one);
  } else if (!mail["to"].get(many)) {
    for (element e : many)
      if (!e.get(one))
        o.to.emplace_back(one);
  }
  if (!mail["password"].error())
    return "Notify.email.password is not stored: put the password in a secret (cairn secret "
           "set -k NAME -v PASSWORD) and name it in passwordSecret";
  if (o.host.empty())
    return "Notify.email.host is required";
  if (o.from.empty())
    return "Notify.email.from is required";
  if (o.to.empty())
    return "Notify.email.to needs at least one address";
  for (const auto& a : o.to)
    if (a.find_first_of("\r\n<>") != std::string::npos || a.find('@') == std::string::npos)
      return "Notify.email.to: not an address: " + a;
  if (o.from.find_first_of("\r\n<>") != std::string::npos || o.from.find('@') == std::string::npos)
    return "Notify.email.from: not an address: " + o.from;
  if (!o.password_secret.empty() && o.username.empty())
    return "Notify.email.passwordSecret needs a username";
  out = std::move(o);
  return std::nullopt;
}

std::string render_subject(std::string_view tmpl, std::string_view notification_json) {
  simdjson::dom::parser parser;
  simdjson::padded_string padded{notification_json};
  element root;
  bool have = !parser.parse(padded).get(root);
  std::string out;
  for (size_t i = 0; i < tmpl.size(); ++i) {
    auto close = tmpl[i] == '{' ? tmpl.find('}', i) : std::string_view::npos;
    if (close == std::string_view::npos) {
      out += tmpl[i];
      continue;
    }
    auto name = std::string{tmpl.substr(i + 1, close - i - 1)};
    std::string_view value;
    if (have && (name == "Title" || name == "AlertId" || name == "WindowStart" ||
                 name == "WindowEnd" || name == "Query") &&
        !root[name].get(value)) {
      out += value;
      i = close;
    } else {
      out += tmpl[i];
    }
  }
  return one_line(out);
}

std::string render_mail_body(std::string_view notification_json) {
  simdjson::dom::parser parser;
  simdjson::padded_string padded{notification_json};
  element root;
  if (parser.parse(padded).get(root))
    return std::string{notification_json} + "\r\n";
  std::string out = "Alert \"";
  out += string_or(root, "Title");
  out += "\" fired for the window ";
  out += string_or(root, "WindowStart");
  out += " .. ";
  out += string_or(root, "WindowEnd");
  out += ".\r\n\r\nQuery: ";
  out += one_line(string_or(root, "Query"));
  out += "\r\n\r\n";
  element result;
  if (!root["Result"].get(result)) {
    std::vector<std::string> columns;
    simdjson::dom::array cols;
    if (!result["Columns"].get(cols))
      for (element c : cols)
        columns.push_back(cell_text(c));
    simdjson::dom::array rows, slices;
    if (!result["Rows"].get(rows)) {
      append_table(out, columns, rows);
    } else if (!result["Slices"].get(slices)) {
      for (element slice : slices) {
        out += "Time ";
        out += string_or(slice, "Time");
        out += ":\r\n";
        if (!slice["Rows"].get(rows))
          append_table(out, columns, rows);
      }
    }
  }
  out += "\r\nAlert id: ";
  out += string_or(root, "AlertId");
  out += "\r\n";
  return out;
}

std::string compose_alert_mail(const email_output& o, std::string_view notification_json,
                               int64_t date_ms) {
  std::string id{"unknown"}, end{"0"};
  {
    simdjson::dom::parser parser;
    simdjson::padded_string padded{notification_json};
    element root;
    if (!parser.parse(padded).get(root)) {
      id = string_or(root, "AlertId", id);
      int64_t end_ms = 0;
      if (!root["WindowEndMs"].get(end_ms))
        end = std::to_string(end_ms);
    }
  }
  std::string msg = "Date: " + rfc5322_date(date_ms) + "\r\n";
  msg += "From: <" + o.from + ">\r\n";
  msg += "To: ";
  for (size_t i = 0; i < o.to.size(); ++i)
    msg += (i ? ", <" : "<") + o.to[i] + ">";
  msg += "\r\n";
  msg += "Message-ID: <" + id + "." + end + "@cairn>\r\n";
  msg += "Subject: " + header_text(render_subject(o.subject, notification_json)) + "\r\n";
  msg += "MIME-Version: 1.0\r\n";
  msg += "Content-Type: text/plain; charset=utf-8\r\n";
  msg += "Content-Transfer-Encoding: 8bit\r\n";
  msg += "X-Cairn-Alert-Id: " + one_line(id) + "\r\n";
  msg += "\r\n";
  msg += render_mail_body(notification_json);
  return msg;
}

} // namespace cairn
