import { defineFlow } from 'flowport';

/** The database the api reads: its deploy hands the api its connection string (see releases in flowport.config.ts). */
export const db = defineFlow(
  { name: 'db', description: 'Provisions the application database and reports its connection string' },
  async () => ({ ready: true }),
);
