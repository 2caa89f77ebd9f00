#!/usr/bin/env bash
# `make demo`: until the local sandbox lands, this says so instead of pretending.
set -euo pipefail
echo "make demo: not yet available — the scaling simulator and local sandbox land in later issues."
echo "Run 'make test' to build and test everything that exists today."
