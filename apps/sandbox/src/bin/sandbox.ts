#!/usr/bin/env node
// `make demo` entry point; the CLI lands with the demo runner.
process.stderr.write('elastic-ci-sandbox: not built yet\n');
process.exit(2);
