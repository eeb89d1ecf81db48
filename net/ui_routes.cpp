/// The web UI: GET / serves index.html and GET /ui/<file> every other
/// embedded file (ui/ui_assets.hpp). The files hold no data, so they need no
/// API key; every page fetches its data from the /api endpoints, which do.
/// Responses carry a strong ETag and `Cache-Control: no-cache`, so browsers
/// revalidate (304) and never run a stale UI against a newer node.
#include "net/node_services.hpp"
#include "ui/ui_assets.hpp"

#include <algorithm>

namespace cairn::net {

namespace {

const ui::asset* find_asset(std::string_view path) {
  auto all = ui::assets();
  auto it = std::lower_bound(all.begin(), all.end(), path,
                             [](const ui::asset& a, std::string_view p) { return a.path < p; });
  return it != all.end() && it->path == path ? &*it : nullptr;
}

response asset_response(const request& req, const ui::asset& a) {
  response res{http::status::ok, req.version()};
  res.keep_alive(req.keep_alive());
  res.set(http::field::etag, a.etag);
  res.set(http::field::cache_control, "no-cache");
  res.set("X-Content-Type-Options", "nosniff");
  if (a.path.ends_with(".html")) {
    // Everything the UI loads comes from this node: no inline script, no CDN.
    res.set("Content-Security-Policy",
            "default-src 'self'; img-src 'self' data:; style-src 'self'; "
            "frame-ancestors 'none'");
    res.set("Referrer-Policy", "no-referrer");
  }
  if (req[http::field::if_none_match] == a.etag) {
    res.result(http::status::not_modified);
    return res;
  }
  res.set(http::field::content_type, a.content_type);
  res.body() = std::string{a.data};
  res.prepare_payload();
  return res;
}

void serve(request& req, std::string_view path, const responder& respond) {
  if (auto* a = find_asset(path))
    return respond(asset_response(req, *a));
  respond(error_response(req, http::status::not_found, "no such UI file: " + std::string{path}));
}

} // namespace

void add_ui_routes(router& r, const node_services&) {
  r.add(http::verb::get, "/", "ui", [](request& req, const request_info&, responder respond) {
    serve(req, "/index.html", respond);
  });
  r.add(http::verb::get, "/ui/*", "ui",
        [](request& req, const request_info& info, responder respond) {
          serve(req, std::string_view{info.path}.substr(3), respond);
        });
}

} // namespace cairn::net
