// Package eventstest generates realistic event streams for benchmarks and
// load tests: calls through a menu into two queues, answered, abandoned or
// timed out to self-service, with agents logging in, taking breaks and
// wrapping up.
package eventstest
