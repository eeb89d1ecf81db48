#pragma once
/// The cluster port's gatekeeper (SPEC.md §8). It is the only actor
/// published on the CAF middleman port. A peer must prove it holds the
/// shared cluster key by challenge-response before it gets anything else:
///
///   1. peer -> gate  (hello, peer_id)             gate -> peer (challenge, nonce)
///   2. peer -> gate  (prove, peer_id, mac, peer_address, peer_endpoint)
///                                                 mac = HMAC-SHA256(key, "peer" nonce peer_id gate_id)
///   3. gate -> peer  (welcome, gate_id, mac', h)  mac' = HMAC-SHA256(key, "gate" nonce peer_id gate_id)
///
/// The key never crosses the wire; both sides prove knowledge of it (the
/// peer checks mac' before trusting `h`, the handle of this node's cluster
/// endpoint that replication and distributed queries use). After a good
/// proof the gate hands the peer's own endpoint to this node's connector
/// (`inbound`), so only one of the two nodes has to dial: see
/// actors/peer_dialing.hpp for why that matters. Anything else arriving at
/// the gate, and every failed proof, is refused and logged.
#include "actors/distributed_query.hpp"
#include "actors/messages.hpp"
#include "storage/event_store.hpp"

#include <caf/stateful_actor.hpp>

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

namespace cairn {

using hello_atom = caf::atom_constant<caf::atom("hello")>;
using challenge_atom = caf::atom_constant<caf::atom("challenge")>;
using prove_atom = caf::atom_constant<caf::atom("prove")>;
using welcome_atom = caf::atom_constant<caf::atom("welcome")>;
using refused_atom = caf::atom_constant<caf::atom("refused")>;
using ping_atom = caf::atom_constant<caf::atom("ping")>;
/// gate -> connector: (inbound, peer_id, peer_address, peer_endpoint).
using inbound_atom = caf::atom_constant<caf::atom("inbound")>;
/// (attach, connector): tells the gate where to hand inbound peers.
using attach_atom = caf::atom_constant<caf::atom("attach")>;

/// HMAC-SHA256 of role|nonce|peer_id|gate_id under `key`, lowercase hex.
std::string cluster_proof(const std::string& key, std::string_view role, std::string_view nonce,
                          std::string_view peer_id, std::string_view gate_id);

struct cluster_gate_state {
  static inline const char* name = "cluster-gate";
  std::string node_id;
  std::string key;
  caf::actor endpoint;                                  ///< handed out after proof
  caf::actor connector; ///< told about authenticated inbound peers (may be unset)
  std::unordered_map<std::string, std::string> nonces;  ///< peer id -> outstanding nonce
};

caf::behavior cluster_gate_actor(caf::stateful_actor<cluster_gate_state>* self,
                                 std::string node_id, std::string key, caf::actor endpoint);

/// What the peer connector needs to know.
struct peer_connector_config {
  std::string node_id;
  std::string key;
  /// This node's cluster address as peers list it (host:port); orders the
  /// pair for the dial tie-break. Empty: dial every peer.
  std::string self_address;
  std::vector<std::string> peers; ///< host:port
  caf::actor endpoint;  ///< this node's endpoint, handed to peers it dials
  caf::actor committer; ///< told the set of authenticated endpoints on every change
  /// Also told on every change (distributed queries, retention), with each
  /// endpoint's node id; may be empty.
  std::function<void(const std::vector<caf::actor>&, const std::vector<std::string>&)> on_peers;
  /// How long to wait for a peer that should dial this node before dialing
  /// it anyway (it never did: its idea of the addresses differs from ours).
  std::chrono::milliseconds inbound_grace{5000};
};

/// Connects to peers' cluster ports and authenticates (detached: connecting
/// blocks). Each tick dials the peers it is the dialer for
/// (actors/peer_dialing.hpp) that are not connected; peers that dial this
/// node arrive as `inbound` from the gate.
struct peer_connector_state {
  static inline const char* name = "peer-connector";
  peer_connector_config cfg;
  std::unordered_map<std::string, caf::actor> endpoints; ///< peer address -> welcomed endpoint
  std::unordered_map<std::string, std::string> endpoint_ids; ///< peer address -> its node id
  std::unordered_map<std::string, std::string> refused;  ///< last refusal per peer (logged once)
  /// Peers that dialed this node at least once: they agree on the order, so
  /// this node never dials them (no fallback).
  std::unordered_set<std::string> dialed_in;
  /// When this node started waiting for a peer that should dial it.
  std::unordered_map<std::string, std::chrono::steady_clock::time_point> waiting_since;
};

caf::behavior peer_connector_actor(caf::stateful_actor<peer_connector_state>* self,
                                   peer_connector_config cfg);

/// What an authenticated peer talks to: `ping` (node id), `replicate`
/// (handed to the local committer, which answers the leader directly),
/// `pull` (events after an id, read from the local store), `query` (one
/// share of a distributed query, run by a one-shot detached worker:
/// actors/distributed_query.hpp) and `retention` (actors/retention_actor.hpp,
/// applied through the committer). Messages from an epoch older than the
/// newest seen here are refused.
caf::behavior cluster_endpoint_actor(caf::event_based_actor* self, std::string node_id,
                                     caf::actor committer,
                                     std::shared_ptr<storage::event_store> store,
                                     std::shared_ptr<const share_executor> exec);

} // namespace cairn
