// Package zzglob replaces drjosh.dev/zzglob in the sandbox build of buildkite-agent when the Go module proxy does not
// serve it. buildkite-agent v3.138.3 uses zzglob only for `artifact upload` globs, `if_changed` in `pipeline upload`
// and cache keys; none of them is part of running a job through hooks. Rather than guess zzglob's semantics, every
// entry point fails loudly, so a feature that needs globbing reports why instead of silently matching nothing.
package zzglob

import (
	"context"
	"errors"
	"io/fs"
)

// ErrUnavailable is what every glob operation returns in this build.
var ErrUnavailable = errors.New("glob patterns are unavailable in this buildkite-agent build: drjosh.dev/zzglob was not served by the Go module proxy (see elastic-ci scripts/install-buildkite-agent.sh)")

// Pattern is a parsed glob pattern (never produced in this build).
type Pattern struct{}

// ParseOption configures Parse.
type ParseOption func()

// GlobOption configures Glob and MultiGlob.
type GlobOption func()

// ExpandTilde is accepted and ignored.
func ExpandTilde(bool) ParseOption { return func() {} }

// TraverseSymlinks is accepted and ignored.
func TraverseSymlinks(bool) GlobOption { return func() {} }

// WalkIntermediateDirs is accepted and ignored.
func WalkIntermediateDirs(bool) GlobOption { return func() {} }

// Parse always fails with ErrUnavailable.
func Parse(string, ...ParseOption) (*Pattern, error) { return nil, ErrUnavailable }

// Match never matches.
func (*Pattern) Match(string) bool { return false }

// Glob always fails with ErrUnavailable.
func (*Pattern) Glob(fs.WalkDirFunc, ...GlobOption) error { return ErrUnavailable }

// MultiGlob always fails with ErrUnavailable.
func MultiGlob(context.Context, []*Pattern, fs.WalkDirFunc, ...GlobOption) error {
	return ErrUnavailable
}
