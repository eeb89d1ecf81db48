// One dialer per pair of cluster nodes (actors/peer_dialing.hpp) and the
// gate handing a dialing peer's endpoint to the local connector
// (actors/cluster_gate_actor.hpp), which is what lets the other side wait
// instead of dialing back.
#include "actors/peer_dialing.hpp"

#include "actors/cluster_gate_actor.hpp"

#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/scoped_actor.hpp>
#include <doctest/doctest.h>

using namespace cairn;

TEST_SUITE("actors.peer_dialing") {

TEST_CASE("exactly one node of each pair dials the other") {
  std::vector<std::string> nodes{"127.0.0.1:7001", "127.0.0.1:7002", "10.0.0.3:7000"};
  for (const auto& a : nodes)
    for (const auto& b : nodes)
      if (a != b)
        CHECK(dials_first(a, b) != dials_first(b, a));
}

TEST_CASE("a node that does not know its own address dials every peer") {
  CHECK(dials_first("", "127.0.0.1:7001"));
}

TEST_CASE("an inbound peer is matched to its configured address, else by a unique port") {
  std::vector<std::string> peers{"127.0.0.1:7001", "localhost:7002", "10.0.0.3:7003"};
  CHECK(match_peer_address(peers, "127.0.0.1:7001") == "127.0.0.1:7001");
  CHECK(match_peer_address(peers, "127.0.0.1:7002") == "localhost:7002");
  CHECK(match_peer_address(peers, "0.0.0.0:7003") == "10.0.0.3:7003");
  CHECK(match_peer_address(peers, "127.0.0.1:9999").empty());
  CHECK(match_peer_address(peers, "no-port").empty());
  std::vector<std::string> same_port{"10.0.0.1:7000", "10.0.0.2:7000"};
  CHECK(match_peer_address(same_port, "0.0.0.0:7000").empty());
  CHECK(match_peer_address(same_port, "10.0.0.2:7000") == "10.0.0.2:7000");
}

} // TEST_SUITE

namespace {

const std::string key = "gate-test-key-0123456789";

/// What the stand-in connector was told by the gate.
struct inbound_seen {
  std::string peer_id;
  std::string address;
  caf::actor endpoint;
};

struct gate_fixture {
  caf::actor_system_config cfg;
  caf::actor_system sys{cfg};
  caf::scoped_actor self{sys};
  caf::actor own_endpoint = sys.spawn([]() -> caf::behavior { return {[](ping_atom) {}}; });
  caf::actor gate_endpoint = sys.spawn([]() -> caf::behavior { return {[](ping_atom) {}}; });
  caf::actor gate = sys.spawn(cluster_gate_actor, std::string{"gate-node"}, key, gate_endpoint);

  ~gate_fixture() {
    for (auto& a : {own_endpoint, gate_endpoint, gate})
      caf::anon_send_exit(a, caf::exit_reason::user_shutdown);
  }

  /// hello + prove as `peer_id` holding `peer_key`; true when welcomed.
  bool authenticate(const std::string& peer_id, const std::string& peer_key) {
    std::string nonce, gate_id;
    self->request(gate, std::chrono::seconds(5), hello_atom::value, peer_id)
      .receive(
        [&](challenge_atom, const std::string& n, const std::string& g) {
          nonce = n;
          gate_id = g;
        },
        [](caf::error&) {});
    REQUIRE_FALSE(nonce.empty());
    bool welcomed = false;
    auto mac = cluster_proof(peer_key, "peer", nonce, peer_id, gate_id);
    self
      ->request(gate, std::chrono::seconds(5), prove_atom::value, peer_id, mac,
                std::string{"127.0.0.1:7001"}, own_endpoint)
      .receive(
        [&](welcome_atom, bool accepted, const std::string& text, const std::string& gate_mac,
            const caf::actor& endpoint) {
          welcomed = accepted && text == gate_id && endpoint == gate_endpoint &&
                     gate_mac == cluster_proof(key, "gate", nonce, peer_id, gate_id);
        },
        [](caf::error&) {});
    return welcomed;
  }

  /// The next `inbound` the gate sent to `self` (attached as connector).
  std::optional<inbound_seen> next_inbound(std::chrono::milliseconds wait) {
    std::optional<inbound_seen> got;
    self->receive(
      [&](inbound_atom, const std::string& id, const std::string& address,
          const caf::actor& endpoint) { got = inbound_seen{id, address, endpoint}; },
      caf::after(wait) >> [] {});
    return got;
  }
};

} // namespace

TEST_SUITE("actors.cluster_gate") {

TEST_CASE_FIXTURE(gate_fixture, "a proven peer's endpoint is handed to the attached connector") {
  self->send(gate, attach_atom::value, caf::actor_cast<caf::actor>(self));
  CHECK(authenticate("peer-node", key));
  auto got = next_inbound(std::chrono::seconds(5));
  REQUIRE(got);
  CHECK(got->peer_id == "peer-node");
  CHECK(got->address == "127.0.0.1:7001");
  CHECK(got->endpoint == own_endpoint);
}

TEST_CASE_FIXTURE(gate_fixture, "a peer with the wrong key is refused and handed to nobody") {
  self->send(gate, attach_atom::value, caf::actor_cast<caf::actor>(self));
  CHECK_FALSE(authenticate("intruder", "not-the-cluster-key-000000"));
  CHECK_FALSE(next_inbound(std::chrono::milliseconds(200)));
}

TEST_CASE_FIXTURE(gate_fixture, "an anonymous attach is refused") {
  caf::anon_send(gate, attach_atom::value, caf::actor_cast<caf::actor>(self));
  CHECK(authenticate("peer-node", key));
  CHECK_FALSE(next_inbound(std::chrono::milliseconds(300)));
}

} // TEST_SUITE
