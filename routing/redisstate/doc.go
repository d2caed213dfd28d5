// Package redisstate keeps the facts a cluster of Switchboard nodes must
// share in Redis (github.com/redis/go-redis/v9), so that several nodes
// serve one call center: agents' presence, agent reservations, the waiting
// calls of every group and the nodes' heartbeats.
//
// Each node keeps running the in-memory routing.ACD for its decisions;
// this package is the arbiter between nodes. Its hard rule is that an
// agent is held by at most one node's call at a time:
//
//   - Reserve is one Lua script: it reserves the agent for (node, call)
//     only if the agent's shared presence is ready, nobody holds the agent,
//     and the node is alive; the reservation is a key with a lease (PX). It
//     is held from the offer through the conversation and wrap-up, and
//     Release (also a script, which deletes only the caller's own
//     reservation) ends it and tells every node the agent is free.
//   - Heartbeat renews the node's liveness and the leases of exactly the
//     reservations the node still holds, and releases any the node no
//     longer holds (a Release lost to a network blip heals itself).
//   - Reap, run by every live node, declares a node dead once its
//     heartbeat is older than DeadAfter: its reservations are released at
//     once, its waiting callbacks are put up for adoption by a live node
//     (with their original place in line), and its callers still waiting
//     (whose SIP calls died with the node) are recorded as lost with the
//     node, so every call is accounted for. A node that dies is therefore
//     forgotten within DeadAfter plus one reap interval; should every node
//     die, the leases (Lease) bound it all the same.
//
// Waiting calls are kept per group in a sorted set scored by priority,
// then enqueue time, so any node can tell a caller's place across the
// cluster, and the claim keeps that order across nodes (ReserveInOrder):
// a free agent is deferred, for at most the yield window, to a
// better-placed call waiting on another live node, which is told to offer
// it the agent (order.go). The keys live on one Redis server (or a Sentinel-managed
// primary): the scripts touch keys of several agents and nodes, which
// Redis Cluster's slot rule does not allow.
package redisstate
