/**
 * The parser in a worker thread (see parse-thread.ts): loads it at once, then scans each text the
 * main thread sends, in the order sent. Same code, same answers as parsing in process.
 */
import { parentPort, workerData } from 'node:worker_threads';
import type { FinderMarker } from './markers.js';
import { loadParser, scanSource } from './parse.js';
import type { ParseReply, ParseRequest, ParseWorkerData } from './parse-thread.js';

const port = parentPort!;
const { markers, workflowsModuleMarkers } = workerData as ParseWorkerData;
const ready = loadParser();

port.on('message', (request: ParseRequest) => {
  void ready.then(() => {
    const which: readonly FinderMarker[] = request.workflowsModule ? workflowsModuleMarkers! : markers;
    let reply: ParseReply;
    try {
      reply = { id: request.id, scan: scanSource(request.text, request.ext, which) };
    } catch (err) {
      // scanSource turns bad source into problems; anything else is a bug, answered in process.
      reply = { id: request.id, error: String(err) };
    }
    port.postMessage(reply);
  });
});
