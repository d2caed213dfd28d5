// Package eventstest generates realistic event streams for benchmarks and
// load tests: calls through a menu into two queues, answered, abandoned or
// timed out to self-service, with agents logging in, taking breaks and
// wrapping up. It also holds what every event store's tests share: the
// contract (TestStore), the kill -9 test (KillMidStream, CrashChild,
// CheckAcknowledged) and the benchmark set-up (Load, BenchmarkScan).
package eventstest
