import type { MotoEndpoint } from './moto-server';

// Types what the moto global setup hands to tests through `inject('moto')`.
declare module 'vitest' {
  export interface ProvidedContext {
    moto: MotoEndpoint;
  }
}
