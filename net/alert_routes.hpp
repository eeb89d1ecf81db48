#pragma once
/// /api/alerts: alert definitions (storage/meta/alert.hpp) and the leader's
/// delivery state (actors/alert_board.hpp).
#include "actors/alert_board.hpp"
#include "net/node_services.hpp"

#include <memory>

namespace cairn::net {

/// GET /api/alerts, /api/alerts/notifications (Read); POST /api/alerts,
/// PUT and DELETE /api/alerts/{id} (Write). `board` is the alert actor's
/// (null: no delivery state shown).
void add_alert_routes(router& r, const node_services& s, std::shared_ptr<alert_board> board);

} // namespace cairn::net
