import { defineFlow } from 'flowport';

export const ingestEvents = defineFlow(
  { name: 'ingest-events', description: 'Loads the event stream into the warehouse' },
  async (batchSize = 500) => ({ loaded: batchSize }),
);

export const compactEvents = defineFlow(
  { name: 'compact-events', description: 'Merges small event files into daily partitions' },
  async () => ({ partitions: 7 }),
);
