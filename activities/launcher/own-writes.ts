// Node states this launcher's own node-workflow steps wrote (deleting, failed, aborted). The
// watcher sees each change come back from ZooKeeper; telling the node workflow that wrote it
// would only cost it a signal and a workflow task. In-process and best effort: with two
// launchers the other one's watcher may still signal, which is harmless.
export class OwnWrites {
  private readonly byNode = new Map<string, Set<string>>();

  note(nodeId: string, state: string): void {
    const states = this.byNode.get(nodeId) ?? new Set<string>();
    states.add(state);
    this.byNode.set(nodeId, states);
  }

  /** True (once) when this state of this node was ours to write. */
  take(nodeId: string, state: string): boolean {
    const states = this.byNode.get(nodeId);
    if (!states?.delete(state)) return false;
    if (states.size === 0) this.byNode.delete(nodeId);
    return true;
  }

  /** The znode is gone: whatever the watcher did not see is forgotten. */
  forget(nodeId: string): void {
    this.byNode.delete(nodeId);
  }

  get size(): number {
    return this.byNode.size;
  }
}
