#!/usr/bin/env python3
"""kazoo's Lock driven over stdin/stdout, for the lock interop tests.

One JSON command per line in, one JSON answer per line out:
  {"op": "acquire", "path": P, "identifier": "x", "blocking": true, "timeout": 1.0}
      -> {"acquired": bool}
  {"op": "release", "path": P}                -> {"released": true}
  {"op": "contenders", "path": P}             -> {"contenders": [...]}   (kazoo Lock.contenders())
  {"op": "children", "path": P}               -> {"children": [...]}
  {"op": "quit"}
Usage: kazoo_lock.py HOSTS   (host:port[/chroot])
"""
import json
import sys

from kazoo.client import KazooClient
from kazoo.exceptions import LockTimeout


def main():
    zk = KazooClient(hosts=sys.argv[1], timeout=10)
    zk.start(timeout=20)
    locks = {}
    print(json.dumps({"ready": True}), flush=True)
    for line in sys.stdin:
        cmd = json.loads(line)
        op = cmd["op"]
        path = cmd.get("path")
        try:
            if op == "acquire":
                lock = zk.Lock(path, cmd.get("identifier"))
                locks[path] = lock
                try:
                    ok = lock.acquire(blocking=cmd.get("blocking", True), timeout=cmd.get("timeout"))
                except LockTimeout:
                    ok = False
                out = {"acquired": bool(ok), "node": lock.node}
            elif op == "release":
                locks.pop(path).release()
                out = {"released": True}
            elif op == "contenders":
                out = {"contenders": zk.Lock(path).contenders()}
            elif op == "children":
                out = {"children": sorted(zk.get_children(path))}
            elif op == "quit":
                break
            else:
                out = {"error": "unknown op " + op}
        except Exception as e:  # report, keep serving
            out = {"error": "%s: %s" % (type(e).__name__, e)}
        print(json.dumps(out), flush=True)
    zk.stop()
    zk.close()


if __name__ == "__main__":
    main()
