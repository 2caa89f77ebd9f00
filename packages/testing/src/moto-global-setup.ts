import type { TestProject } from 'vitest/node';
import { startMotoServer } from './moto-server';
import './provided-context';

/** Vitest global setup: one moto server per test run, handed to tests through `inject('moto')`. */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const server = await startMotoServer();
  const { stop, ...endpoint } = server;
  project.provide('moto', endpoint);
  return stop;
}
