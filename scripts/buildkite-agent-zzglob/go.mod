// Stands in for drjosh.dev/zzglob when the Go module proxy refuses it (403 here), so the pinned buildkite-agent still
// builds. Every glob call fails with ErrUnavailable: see scripts/install-buildkite-agent.sh.
module drjosh.dev/zzglob

go 1.22
