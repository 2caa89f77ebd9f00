import { createRuntimeFromEnvironment } from '../runtime';
import { createWebhookHandler } from '../webhook-handler';

// Parsed once per container, at init: a bad environment fails the cold start with one message naming every variable.
export const handler = createWebhookHandler(createRuntimeFromEnvironment(process.env, { requireWebhook: true }));
