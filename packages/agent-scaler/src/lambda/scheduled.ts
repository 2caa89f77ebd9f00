import { createRuntimeFromEnvironment } from '../runtime';
import { createScheduledHandler } from '../scheduled-handler';

// Parsed once per container, at init: a bad environment fails the cold start with one message naming every variable.
export const handler = createScheduledHandler(createRuntimeFromEnvironment(process.env));
