#include "actors/cluster_gate_actor.hpp"

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

caf::behavior cluster_gate_actor(caf::stateful_actor<cluster_gate_state>* self,
                                 std::string node_id, std::string key, caf::actor endpoint) {
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
    // Always the same reply shape: (welcome, accepted, gate id or reason,
    // gate proof, endpoint); a blocking peer matches exactly one signature.
    [=](prove_atom, const std::string& peer_id, const std::string& mac) -> caf::message {
      auto& st = self->state;
      auto it = st.nonces.find(peer_id);
      if (it == st.nonces.end()) {
        spdlog::warn("cluster: refused peer {}: proof without a challenge", peer_id);
        return caf::make_message(welcome_atom::value, false,
                                 std::string{"no challenge outstanding"}, std::string{},
                                 caf::actor{});
      }
      auto nonce = it->second;
      st.nonces.erase(it); // one attempt per challenge
      if (!equal_proofs(mac, cluster_proof(st.key, "peer", nonce, peer_id, st.node_id))) {
        spdlog::warn("cluster: refused peer {}: wrong cluster key", peer_id);
        return caf::make_message(welcome_atom::value, false, std::string{"wrong cluster key"},
                                 std::string{}, caf::actor{});
      }
      spdlog::info("cluster: peer {} authenticated", peer_id);
      return caf::make_message(welcome_atom::value, true, st.node_id,
                               cluster_proof(st.key, "gate", nonce, peer_id, st.node_id),
                               st.endpoint);
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
  io->request(*gate, std::chrono::seconds(5), hello_atom::value, st.node_id)
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
  auto mac = cluster_proof(st.key, "peer", nonce, st.node_id, gate_id);
  io->request(*gate, std::chrono::seconds(5), prove_atom::value, st.node_id, mac)
    .receive(
      [&](welcome_atom, bool accepted, const std::string& text, const std::string& gate_mac,
          const caf::actor& endpoint) {
        if (!accepted) {
          failure = "refused: " + text;
          return;
        }
        if (text != gate_id ||
            !equal_proofs(gate_mac, cluster_proof(st.key, "gate", nonce, st.node_id, gate_id))) {
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

} // namespace

static void announce_peers(connector_ptr self) {
  std::vector<caf::actor> endpoints;
  std::vector<std::string> ids; // node id of each endpoint (lag is reported per node)
  for (auto& [address, endpoint] : self->state.endpoints) {
    endpoints.push_back(endpoint);
    ids.push_back(self->state.endpoint_ids[address]);
  }
  if (self->state.on_peers)
    self->state.on_peers(endpoints, ids);
  self->send(self->state.committer, peers_atom::value, std::move(endpoints), std::move(ids));
}

caf::behavior peer_connector_actor(connector_ptr self, std::string node_id, std::string key,
                                   std::vector<std::string> peers, caf::actor committer,
                                   std::function<void(const std::vector<caf::actor>&,
                                                      const std::vector<std::string>&)>
                                     on_peers) {
  auto& st = self->state;
  st.on_peers = std::move(on_peers);
  st.node_id = std::move(node_id);
  st.key = std::move(key);
  st.peers = std::move(peers);
  st.committer = std::move(committer);
  self->set_down_handler([=](caf::down_msg& down) {
    auto& eps = self->state.endpoints;
    for (auto i = eps.begin(); i != eps.end(); ++i)
      if (i->second.address() == down.source) {
        spdlog::warn("cluster: lost peer at {}", i->first);
        eps.erase(i);
        announce_peers(self);
        return;
      }
  });
  return {
    [=](tick_atom) {
      auto before = self->state.endpoints.size();
      for (const auto& p : self->state.peers)
        if (!self->state.endpoints.count(p))
          connect_peer(self, p);
      if (self->state.endpoints.size() != before)
        announce_peers(self);
    },
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
