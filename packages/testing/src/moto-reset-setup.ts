import { beforeAll, inject } from 'vitest';
import { resetMoto } from './moto-server';
import './provided-context';

// Integration files run one at a time (see vitest-config), so resetting here gives each file an empty account
// without pulling state out from under another file.
beforeAll(async () => {
  await resetMoto(inject('moto').endpoint);
});
