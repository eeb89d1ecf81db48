// Cluster membership (nodes) and shard placement.

#include "storage/meta/metastore.hpp"

#include "storage/meta/detail.hpp"

namespace cairn::meta {

namespace {

/// Host variables for one nodes row (soci needs long long for BIGINT).
struct node_row {
  node_info n;
  long long epoch = 0, generation = 0, heartbeat = 0, data_age = 0;

  node_info to_info() const {
    node_info out = n;
    out.epoch = epoch;
    out.generation = generation;
    out.last_heartbeat_ms = heartbeat;
    out.data_age_ms = data_age;
    return out;
  }
};

} // namespace

expected<void> metastore::upsert_node(const node_info& node) {
  if (node.id.empty())
    return make_error(errc::invalid_argument, "upsert_node: empty node id");
  return detail::guarded("upsert_node(" + node.id + ")", [&] {
    node_row r{node, node.epoch, node.generation, node.last_heartbeat_ms, node.data_age_ms};
    *sql_ << "INSERT INTO nodes (id, name, cluster_uri, internal_uri, api_uri, role, epoch,"
             " generation, last_heartbeat_ms, shard_id, data_age_ms, health)"
             " VALUES (:id, :name, :cu, :iu, :au, :role, :epoch, :gen, :hb, :shard, :age,"
             " :health)"
             " ON CONFLICT (id) DO UPDATE SET name = excluded.name,"
             " cluster_uri = excluded.cluster_uri, internal_uri = excluded.internal_uri,"
             " api_uri = excluded.api_uri, role = excluded.role, epoch = excluded.epoch,"
             " generation = excluded.generation,"
             " last_heartbeat_ms = excluded.last_heartbeat_ms,"
             " shard_id = excluded.shard_id, data_age_ms = excluded.data_age_ms,"
             " health = excluded.health",
      soci::use(r.n.id), soci::use(r.n.name), soci::use(r.n.cluster_uri),
      soci::use(r.n.internal_uri), soci::use(r.n.api_uri), soci::use(r.n.role),
      soci::use(r.epoch), soci::use(r.generation), soci::use(r.heartbeat),
      soci::use(r.n.shard_id), soci::use(r.data_age), soci::use(r.n.health);
  });
}

expected<bool> metastore::heartbeat(std::string_view node_id, int64_t now_ms,
                                    int64_t generation, std::string_view role,
                                    int64_t epoch) {
  return detail::guarded("heartbeat(" + std::string{node_id} + ")", [&] {
    std::string id{node_id};
    std::string r{role};
    long long now = now_ms;
    long long gen = generation;
    long long ep = epoch;
    soci::statement st
      = (sql_->prepare << "UPDATE nodes SET last_heartbeat_ms = :now, generation = :gen,"
                          " role = :role, epoch = :epoch WHERE id = :id",
         soci::use(now), soci::use(gen), soci::use(r), soci::use(ep), soci::use(id));
    st.execute(true);
    return st.get_affected_rows() == 1;
  });
}

expected<std::vector<node_info>> metastore::list_nodes() {
  return detail::guarded("list_nodes", [&] {
    node_row r;
    soci::statement st
      = (sql_->prepare << "SELECT id, name, cluster_uri, internal_uri, api_uri, role, epoch,"
                          " generation, last_heartbeat_ms, shard_id, data_age_ms, health"
                          " FROM nodes ORDER BY id",
         soci::into(r.n.id), soci::into(r.n.name), soci::into(r.n.cluster_uri),
         soci::into(r.n.internal_uri), soci::into(r.n.api_uri), soci::into(r.n.role),
         soci::into(r.epoch), soci::into(r.generation), soci::into(r.heartbeat),
         soci::into(r.n.shard_id), soci::into(r.data_age), soci::into(r.n.health));
    std::vector<node_info> out;
    st.execute();
    while (st.fetch())
      out.push_back(r.to_info());
    return out;
  });
}

expected<bool> metastore::remove_node(std::string_view node_id) {
  return detail::guarded("remove_node(" + std::string{node_id} + ")", [&] {
    std::string id{node_id};
    soci::statement st = (sql_->prepare << "DELETE FROM nodes WHERE id = :id", soci::use(id));
    st.execute(true);
    return st.get_affected_rows() == 1;
  });
}

expected<void> metastore::place_replica(int shard, std::string_view holder, int64_t placed_ms) {
  return detail::guarded("place_replica(" + std::to_string(shard) + ")", [&] {
    std::string h{holder};
    long long at = placed_ms;
    *sql_ << "INSERT INTO shard_replicas (shard, holder, placed_ms) VALUES (:s, :h, :t)"
             " ON CONFLICT (shard, holder) DO NOTHING",
      soci::use(shard), soci::use(h), soci::use(at);
  });
}

expected<size_t> metastore::remove_holder(std::string_view holder) {
  return detail::guarded("remove_holder(" + std::string{holder} + ")", [&] {
    std::string h{holder};
    soci::statement st
      = (sql_->prepare << "DELETE FROM shard_replicas WHERE holder = :h", soci::use(h));
    st.execute(true);
    return static_cast<size_t>(st.get_affected_rows());
  });
}

expected<std::vector<shard_replica>> metastore::list_replicas() {
  return detail::guarded("list_replicas", [&] {
    std::vector<shard_replica> out;
    int shard = 0;
    std::string holder;
    long long placed = 0;
    soci::statement st = (sql_->prepare << "SELECT shard, holder, placed_ms FROM shard_replicas"
                                           " ORDER BY shard, holder",
                          soci::into(shard), soci::into(holder), soci::into(placed));
    st.execute();
    while (st.fetch())
      out.push_back(shard_replica{shard, holder, placed});
    return out;
  });
}

} // namespace cairn::meta
