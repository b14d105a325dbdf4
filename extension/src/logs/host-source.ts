/** A {@link FollowSource} through a folder's SDK host: the connection is asked for anew on each read, so a restarted host is used as soon as it runs. */
import { Methods } from '../../../sdk/src/host/protocol';
import type { FolderState } from '../store';
import type { FollowSource } from './follow';

/** Reads deployments of `flowName` in `env` (the host's query, so a long history of other flows is not sent each poll). */
export function hostSource(state: FolderState, flowName: string, env: string): FollowSource {
  return {
    async deployment(id) {
      const connection = await state.client.connect();
      const found = await connection.sendRequest(Methods.deployments, {
        flows: [flowName],
        envs: [env],
        history: true,
      });
      return found.find((d) => d.id === id);
    },
    async log(id, from) {
      const connection = await state.client.connect();
      return connection.sendRequest(Methods.deploymentLog, { deploymentId: id, from });
    },
  };
}
