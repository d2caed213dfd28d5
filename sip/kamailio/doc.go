// Package kamailio reads Kamailio's location table, so that a cluster of
// nodes whose agents' phones register with Kamailio (deploy/kamailio) knows
// which agents have a phone that can be rung.
//
// Kamailio is asked over its own JSON-RPC (the jsonrpcs module over xhttp,
// method ul.dump); nothing is registered anywhere else. Watch polls it and
// reports each agent's availability to the same hook the node's own
// registrar feeds (routing.DeviceGate.Changed).
//
// Invariants:
//   - an agent is available while at least one of its contacts is unexpired
//     (Kamailio's lookup() rings only those), whatever Kamailio's own timer
//     has not yet swept away;
//   - while Kamailio cannot be asked (down, refusing, answering garbage),
//     nothing is reported: the last known state stands, and the outage is
//     logged once when it starts and once when it ends;
//   - every poll reports every roster agent (level, not edge), so an agent
//     made ready without a phone is parked again within one poll, and nodes
//     that each poll the same Kamailio agree within one poll.
package kamailio
