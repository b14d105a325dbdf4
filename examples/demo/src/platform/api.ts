import { defineFlow } from 'flowport';

/**
 * The HTTP api. Its release (flowport.config.ts) takes db's connection string as DATABASE_URL and
 * deploys in two steps: migrate on the environment's db targets, then roll out on its web targets.
 */
export const api = defineFlow(
  { name: 'api', description: 'Serves the public HTTP api; migrates the database, then rolls out to the web hosts' },
  async () => ({ routes: 12 }),
);
