#include "actors/cluster_gate_actor.hpp"

#include "actors/distributed_search.hpp"
#include "actors/peer_dialing.hpp"
#include "actors/replication.hpp"
#include "actors/retention_actor.hpp"

#include <caf/io/middleman.hpp>
#include <caf/openssl/remote_actor.hpp>
#include <sodium.h>
#include <spdlog/spdlog.h>

namespace cairn {

std::string cluster_proof(const std::string& key, std::string_view role, std::string_view nonce,
                          std::string_view peer_id, std::string_view gate_id) {
  crypto_auth_hmacsha256_state st;
  crypto_auth_hmacsha256_init(&st, reinterpret_cast<const unsigned char*>(key.data()), key.size());
  for (auto part : {role, nonce, peer_id, gate_id}) {
    // Length-prefix every part so no two different tuples hash alike.
    uint32_t n = static_cast<uint32_t>(part.size());
    crypto_auth_hmacsha256_update(&st, reinterpret_cast<const unsigned char*>(&n), sizeof n);
    crypto_auth_hmacsha256_update(&st, reinterpret_cast<const unsigned char*>(part.data()),
                                  part.size());
  }
  unsigned char mac[crypto_auth_hmacsha256_BYTES];
  crypto_auth_hmacsha256_final(&st, mac);
  char hex[2 * sizeof mac + 1];
  sodium_bin2hex(hex, sizeof hex, mac, sizeof mac);
  return hex;
}

namespace {

bool equal_proofs(const std::string& a, const std::string& b) {
  return a.size() == b.size() && sodium_memcmp(a.data(), b.data(), a.size()) == 0;
}

std::string random_nonce() {
  unsigned char raw[16];
  randombytes_buf(raw, sizeof raw);
  char hex[33];
  sodium_bin2hex(hex, sizeof hex, raw, sizeof raw);
  return hex;
}

} // namespace

namespace {

using gate_ptr = caf::stateful_actor<cluster_gate_state>*;

/// Checks a peer's proof against its outstanding challenge (one attempt per
/// challenge) and builds the reply: always the same shape, (welcome,
/// accepted, gate id or reason, gate proof, endpoint), so a blocking peer
/// matches exactly one signature.
caf::message check_proof(gate_ptr self, const std::string& peer_id, const std::string& mac,
                         bool& accepted) {
  auto& st = self->state;
  accepted = false;
  auto it = st.nonces.find(peer_id);
  if (it == st.nonces.end()) {
    spdlog::warn("cluster: refused peer {}: proof without a challenge", peer_id);
    return caf::make_message(welcome_atom::value, false, std::string{"no challenge outstanding"},
                             std::string{}, caf::actor{});
  }
  auto nonce = it->second;
  st.nonces.erase(it);
  if (!equal_proofs(mac, cluster_proof(st.key, "peer", nonce, peer_id, st.node_id))) {
    spdlog::warn("cluster: refused peer {}: wrong cluster key", peer_id);
    return caf::make_message(welcome_atom::value, false, std::string{"wrong cluster key"},
                             std::string{}, caf::actor{});
  }
  accepted = true;
  spdlog::info("cluster: peer {} authenticated", peer_id);
  return caf::make_message(welcome_atom::value, true, st.node_id,
                           cluster_proof(st.key, "gate", nonce, peer_id, st.node_id),
                           st.endpoint);
}

} // namespace

caf::behavior cluster_gate_actor(gate_ptr self, std::string node_id, std::string key,
                                 caf::actor endpoint) {
  auto& st = self->state;
  st.node_id = std::move(node_id);
  st.key = std::move(key);
  st.endpoint = std::move(endpoint);
  return {
    [=](hello_atom, const std::string& peer_id) {
      auto nonce = random_nonce();
      self->state.nonces[peer_id] = nonce;
      return caf::make_message(challenge_atom::value, nonce, self->state.node_id);
    },
    // A peer that hands over its own endpoint: after a good proof this node
    // uses it instead of dialing the peer back.
    [=](prove_atom, const std::string& peer_id, const std::string& mac,
        const std::string& peer_address, const caf::actor& peer_endpoint) -> caf::message {
      bool accepted = false;
      auto reply = check_proof(self, peer_id, mac, accepted);
      if (accepted && peer_endpoint && self->state.connector)
        self->send(self->state.connector, inbound_atom::value, peer_id, peer_address,
                   peer_endpoint);
      return reply;
    },
    // Peers that do not hand over their endpoint (older nodes) are welcomed
    // too; this node then dials them as well.
    [=](prove_atom, const std::string& peer_id, const std::string& mac) -> caf::message {
      bool accepted = false;
      return check_proof(self, peer_id, mac, accepted);
    },
    [=](attach_atom, const caf::actor& connector) {
      // Only an actor of this node may attach; the gate is published, so a
      // remote (or anonymous) sender is refused like any other stranger.
      auto& sender = self->current_sender();
      if (!sender || sender->node() != self->node()) {
        spdlog::warn("cluster: refused an attach not sent from this node");
        return;
      }
      self->state.connector = connector;
    },
    [=](caf::message& other) -> caf::message {
      spdlog::warn("cluster: refused a message from an unauthenticated peer: {}",
                   to_string(other));
      return caf::make_message(refused_atom::value, std::string{"authenticate first"});
    },
  };
}

namespace {

using connector_ptr = caf::stateful_actor<peer_connector_state>*;

/// How long one step of the handshake may take over an established
/// connection (a round trip; the TLS and BASP handshakes are done by then).
constexpr auto handshake_step_timeout = std::chrono::seconds(3);

/// Dials `address`, authenticates and records the peer's endpoint.
void connect_peer(connector_ptr self, const std::string& address) {
  auto& st = self->state;
  auto colon = address.rfind(':');
  if (colon == std::string::npos)
    return;
  auto host = address.substr(0, colon);
  auto port = static_cast<uint16_t>(std::stoi(address.substr(colon + 1)));
  // TLS when the node was configured with a cluster certificate (the
  // OpenSSL manager is loaded only then).
  auto gate = self->system().has_openssl_manager()
                ? caf::openssl::remote_actor(self->system(), host, port)
                : self->system().middleman().remote_actor(host, port);
  if (!gate) {
    spdlog::debug("cluster: peer {} not reachable: {}", address, to_string(gate.error()));
    return;
  }
  caf::scoped_actor io{self->system()};
  std::string nonce, gate_id, failure;
  io->request(*gate, handshake_step_timeout, hello_atom::value, st.cfg.node_id)
    .receive(
      [&](challenge_atom, const std::string& n, const std::string& g) {
        nonce = n;
        gate_id = g;
      },
      [&](caf::error& e) { failure = to_string(e); });
  if (nonce.empty()) {
    spdlog::warn("cluster: peer {} gave no challenge: {}", address, failure);
    return;
  }
  auto mac = cluster_proof(st.cfg.key, "peer", nonce, st.cfg.node_id, gate_id);
  io->request(*gate, handshake_step_timeout, prove_atom::value, st.cfg.node_id, mac,
              st.cfg.self_address, st.cfg.endpoint)
    .receive(
      [&](welcome_atom, bool accepted, const std::string& text, const std::string& gate_mac,
          const caf::actor& endpoint) {
        if (!accepted) {
          failure = "refused: " + text;
          return;
        }
        if (text != gate_id || !equal_proofs(gate_mac, cluster_proof(st.cfg.key, "gate", nonce,
                                                                     st.cfg.node_id, gate_id))) {
          failure = "the peer does not hold the cluster key";
          return;
        }
        st.endpoints[address] = endpoint;
        st.endpoint_ids[address] = gate_id;
        st.refused.erase(address);
        self->monitor(endpoint);
        spdlog::info("cluster: authenticated with peer {} ({})", gate_id, address);
      },
      [&](caf::error& e) { failure = to_string(e); });
  if (!failure.empty() && st.refused[address] != failure) {
    st.refused[address] = failure;
    spdlog::warn("cluster: peer {} at {}: {}", gate_id, address, failure);
  }
}

/// Whether this tick should dial `address`: always when this node is the
/// dialer of the pair; otherwise only as the fallback for a peer that never
/// dialed in, once it has been waited for `inbound_grace`.
bool should_dial(connector_ptr self, const std::string& address,
                 std::chrono::steady_clock::time_point now) {
  auto& st = self->state;
  if (dials_first(st.cfg.self_address, address))
    return true;
  if (st.dialed_in.count(address))
    return false;
  auto [it, fresh] = st.waiting_since.emplace(address, now);
  if (fresh || now - it->second < st.cfg.inbound_grace)
    return false;
  // Wait another grace period before the next fallback attempt, so a peer
  // that comes up now finds this node not dialing at the same instant.
  it->second = now;
  spdlog::info("cluster: peer {} has not dialed this node within {} ms; dialing it", address,
               st.cfg.inbound_grace.count());
  return true;
}

void announce_peers(connector_ptr self) {
  std::vector<caf::actor> endpoints;
  std::vector<std::string> ids; // node id of each endpoint (lag is reported per node)
  for (auto& [address, endpoint] : self->state.endpoints) {
    endpoints.push_back(endpoint);
    ids.push_back(self->state.endpoint_ids[address]);
  }
  if (self->state.cfg.on_peers)
    self->state.cfg.on_peers(endpoints, ids);
  self->send(self->state.cfg.committer, peers_atom::value, std::move(endpoints), std::move(ids));
}

/// A peer dialed this node and proved the key: use the endpoint it handed
/// over instead of dialing it back.
void accept_inbound(connector_ptr self, const std::string& peer_id,
                    const std::string& advertised, const caf::actor& endpoint) {
  auto& st = self->state;
  auto address = match_peer_address(st.cfg.peers, advertised);
  if (address.empty()) {
    // Not one of our peers as we spell them: keep dialing our own list.
    spdlog::debug("cluster: peer {} dialed in from {}, which matches no configured peer",
                  peer_id, advertised);
    return;
  }
  st.dialed_in.insert(address);
  st.waiting_since.erase(address);
  auto it = st.endpoints.find(address);
  if (it != st.endpoints.end() && it->second == endpoint)
    return; // already connected to exactly this endpoint
  if (it != st.endpoints.end())
    self->demonitor(it->second); // the peer restarted; its old endpoint is gone
  st.endpoints[address] = endpoint;
  st.endpoint_ids[address] = peer_id;
  st.refused.erase(address);
  self->monitor(endpoint);
  spdlog::info("cluster: peer {} ({}) dialed in", peer_id, address);
  announce_peers(self);
}

} // namespace

caf::behavior peer_connector_actor(connector_ptr self, peer_connector_config cfg) {
  self->state.cfg = std::move(cfg);
  self->set_down_handler([=](caf::down_msg& down) {
    auto& eps = self->state.endpoints;
    for (auto i = eps.begin(); i != eps.end(); ++i)
      if (i->second.address() == down.source) {
        spdlog::warn("cluster: lost peer at {}", i->first);
        // Wait for a peer that dials this node again from now on.
        self->state.waiting_since.erase(i->first);
        eps.erase(i);
        announce_peers(self);
        return;
      }
  });
  return {
    [=](tick_atom) {
      auto before = self->state.endpoints;
      auto now = std::chrono::steady_clock::now();
      for (const auto& p : self->state.cfg.peers)
        if (!self->state.endpoints.count(p) && should_dial(self, p, now))
          connect_peer(self, p);
      if (self->state.endpoints != before)
        announce_peers(self);
    },
    [=](inbound_atom, const std::string& peer_id, const std::string& address,
        const caf::actor& endpoint) { accept_inbound(self, peer_id, address, endpoint); },
  };
}

} // namespace cairn

namespace cairn {

caf::behavior cluster_endpoint_actor(caf::event_based_actor* self, std::string node_id,
                                     caf::actor committer,
                                     std::shared_ptr<storage::event_store> store,
                                     std::shared_ptr<const share_executor> exec) {
  return {
    [=](ping_atom) { return node_id; },
    [=](replicate_atom, int64_t epoch, uint64_t prev_next, uint64_t first_id,
        std::string& bytes) {
      exec->admit_epoch(epoch); // the committer fences replication itself
      return self->delegate(committer, apply_atom::value, epoch, prev_next, first_id,
                            std::move(bytes));
    },
    [=](sparse_atom, int64_t epoch, uint64_t prev_next, uint64_t end_id, std::string& bytes) {
      exec->admit_epoch(epoch); // the committer fences replication itself
      return self->delegate(committer, sparse_atom::value, epoch, prev_next, end_id,
                            std::move(bytes));
    },
    [=](shardcopy_atom, int64_t epoch, std::string& bytes) {
      exec->admit_epoch(epoch);
      return self->delegate(committer, shardcopy_atom::value, epoch, std::move(bytes));
    },
    [=](query_atom, int64_t epoch, std::string& text, int64_t now_ns, int64_t from_ns,
        int64_t to_ns, uint64_t id_lo, uint64_t id_hi, uint64_t shard_mask,
        uint32_t shard_count) {
      auto worker = self->spawn<caf::detached>(share_worker_actor, exec);
      return self->delegate(worker, query_atom::value, epoch, std::move(text), now_ns, from_ns,
                            to_ns, id_lo, id_hi, shard_mask, shard_count);
    },
    // Searches and id look-ups for a leader lacking these shards
    // (actors/distributed_search.hpp), each on its own detached worker.
    [=](search_atom, int64_t epoch, std::string& filter, int64_t now_ns, int64_t from_ns,
        int64_t to_ns, uint64_t count, bool has_before, int64_t before_ts, uint64_t before_id,
        uint64_t id_hi, uint64_t shard_mask, uint32_t shard_count) {
      auto worker = self->spawn<caf::detached>(search_worker_actor, exec);
      return self->delegate(worker, search_atom::value, epoch, std::move(filter), now_ns, from_ns,
                            to_ns, count, has_before, before_ts, before_id, id_hi, shard_mask,
                            shard_count);
    },
    [=](fetch_event_atom, int64_t epoch, uint64_t id) {
      auto worker = self->spawn<caf::detached>(search_worker_actor, exec);
      return self->delegate(worker, fetch_event_atom::value, epoch, id);
    },
    [=](pull_atom, int64_t, uint64_t after_id, uint32_t max_events) {
      storage::record_batch out;
      bool more = collect_after(*store, after_id, max_events, out);
      return caf::make_message(std::move(out.bytes), more);
    },
    [=](query_atom, int64_t epoch, std::string& text, int64_t now_ns, int64_t from_ns,
        int64_t to_ns, uint64_t id_lo, uint64_t id_hi) {
      auto worker = self->spawn<caf::detached>(share_worker_actor, exec);
      return self->delegate(worker, query_atom::value, epoch, std::move(text), now_ns, from_ns,
                            to_ns, id_lo, id_hi);
    },
    [=](retention_atom, int64_t epoch, int64_t cutoff_ns, std::string& filter) -> caf::result<caf::message> {
      if (!exec->admit_epoch(epoch))
        return caf::make_error(caf::sec::runtime_error,
                               "stale epoch " + std::to_string(epoch));
      return self->delegate(committer, retention_atom::value, epoch, cutoff_ns, std::move(filter));
    },
  };
}

} // namespace cairn
