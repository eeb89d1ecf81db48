#pragma once
/// Answers a request from another thread (the query pool) after the session
/// handed it over: remembers only what the response needs (HTTP version,
/// keep-alive) and the responder.
#include "net/http_types.hpp"

#include <string>
#include <string_view>

namespace cairn::net {

struct reply_to {
  unsigned version;
  bool keep_alive;
  responder respond;

  void json(http::status status, std::string body) const {
    respond(json_response(stub(), status, std::move(body)));
  }
  void error(http::status status, std::string_view message) const {
    respond(error_response(stub(), status, message));
  }

private:
  request stub() const {
    request r;
    r.version(version);
    r.keep_alive(keep_alive);
    return r;
  }
};

} // namespace cairn::net
