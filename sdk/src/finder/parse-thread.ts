/**
 * Parsing on a second core during a cold scan. Loading the parser (TypeScript and
 * typescript-estree, ~0.25 s) and parsing the candidates (~0.45 s for 160 files, the JIT still
 * cold) used to follow the reading of every file (~0.2 s for 4,000) on one thread. A worker
 * started as the scan begins loads the parser while the main thread reads, and parses each
 * candidate as soon as it is found; the main thread never loads the parser at all.
 *
 * Only worth it for a scan with many files to read: a worker costs ~30 ms to start, and with few
 * files there is no reading to overlap. Wherever the worker cannot start (a bundle without its
 * file, sources run through tsx) or fails, the same files are parsed in process: never fewer flows.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { FileScan } from './extract.js';
import type { FinderMarker } from './markers.js';
import { loadParser, scanSource } from './parse.js';

/** A scan reading at least this many files parses in a worker. */
export const WORKER_MIN_FILES = 1000;

export interface ParseWorkerData {
  markers: readonly FinderMarker[];
  workflowsModuleMarkers: readonly FinderMarker[] | undefined;
}

export interface ParseRequest {
  id: number;
  text: string;
  ext: string;
  workflowsModule: boolean;
}

export type ParseReply = { id: number; scan: FileScan } | { id: number; error: string };

interface Pending {
  request: ParseRequest;
  resolve: (scan: FileScan) => void;
}

/**
 * The main thread's stack for the parser: V8 stops at 984 KB there, and in a worker at its
 * `stackSizeMb` less the 192 KB Node keeps in reserve (a worker's default, 4 MB, parses three
 * times deeper). With the same limit a file nesting too deep for the parser reads the same in the
 * worker as in process: the same flows, the same "too deep" problems (flatten.ts).
 */
const STACK_SIZE_MB = (984 + 192) / 1024;

export class ParseThread {
  private nextId = 0;
  private readonly pending = new Map<number, Pending>();
  private failed = false;

  private constructor(
    private readonly worker: Worker,
    private readonly data: ParseWorkerData,
  ) {
    worker.on('message', (reply: ParseReply) => {
      const p = this.pending.get(reply.id);
      if (!p) return;
      this.pending.delete(reply.id);
      if ('scan' in reply) p.resolve(reply.scan);
      else this.inProcess(p);
    });
    worker.on('error', () => this.fail());
    worker.on('exit', () => this.fail());
  }

  /** A worker loading the parser now, or undefined where none can start. */
  static start(data: ParseWorkerData): ParseThread | undefined {
    try {
      // Beside the chunk that runs this: .js in the SDK's dist, .mjs in the VSIX's host bundle. In
      // a CommonJS bundle import.meta.url is undefined and this throws.
      const url = ['./parse-worker.js', './parse-worker.mjs']
        .map((name) => new URL(name, import.meta.url))
        .find((u) => u.protocol === 'file:' && existsSync(fileURLToPath(u)));
      if (!url) return undefined;
      const worker = new Worker(url, { workerData: data, resourceLimits: { stackSizeMb: STACK_SIZE_MB } });
      return new ParseThread(worker, data);
    } catch {
      return undefined;
    }
  }

  /** What {@link scanSource} answers for `text`, from the worker (in process should it fail). */
  scan(text: string, ext: string, workflowsModule: boolean): Promise<FileScan> {
    const request: ParseRequest = { id: this.nextId++, text, ext, workflowsModule };
    return new Promise<FileScan>((resolve) => {
      const p = { request, resolve };
      if (this.failed) return this.inProcess(p);
      this.pending.set(request.id, p);
      this.worker.postMessage(request);
    });
  }

  /** Stops the worker; call once every scan asked for has been answered. */
  async close(): Promise<void> {
    this.failed = true; // its exit is no failure: nothing is pending
    await this.worker.terminate();
  }

  private fail(): void {
    if (this.failed) return;
    this.failed = true;
    const left = [...this.pending.values()];
    this.pending.clear();
    for (const p of left) this.inProcess(p);
  }

  private inProcess(p: Pending): void {
    const { text, ext, workflowsModule } = p.request;
    void loadParser().then(() =>
      p.resolve(scanSource(text, ext, workflowsModule ? this.data.workflowsModuleMarkers! : this.data.markers)),
    );
  }
}
