#!/usr/bin/env node
// Entry point: starts the bundled CLI (s3secrets-main.cjs next to this file) through a V8 code cache. Built as
// CommonJS: an ES module entry costs every job the ESM loader's start-up (~5 ms) for nothing.
import { basename, join } from 'node:path';
import { compileCacheDirectory, runCachedCommonJs } from './compile-cache';

const { persistCache } = runCachedCommonJs(join(__dirname, 's3secrets-main.cjs'), compileCacheDirectory(process.env));
// Only the per-job command writes the cache, so it holds the code that path compiles (an operator's `put` or
// `doctor` run would otherwise leave a cache without it).
const command = process.argv[2] ?? (basename(process.argv[1] ?? '').startsWith('s3secrets-helper') ? 'env' : '');
if (command === 'env') process.once('exit', persistCache);
