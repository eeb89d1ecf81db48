#pragma once
/// /api/alerts: alert definitions (storage/meta/alert.hpp).
#include "net/node_services.hpp"

namespace cairn::net {

/// GET /api/alerts (Read); POST /api/alerts, DELETE /api/alerts/{id} (Write).
void add_alert_routes(router& r, const node_services& s);

} // namespace cairn::net
