#!/usr/bin/env python3
"""Reads the tree with Nodepool's own code (NP24 ZooKeeper + status modules), the way
`nodepool list`, `request-list`, `dib-image-list` and `image-list` do, and prints the results
as JSON. Proves the Python CLI can read what our TypeScript layer writes.

Needs a Nodepool source tree: NODEPOOL_SRC=/path/to/nodepool (the directory that contains the
`nodepool` package). NP24 insists on TLS, so pass the zookeeper-tls files.

  NODEPOOL_SRC=... nodepool_cli.py --hosts H --tls-cert C --tls-key K --tls-ca A
      [--try-lock-node ID]
"""
import argparse
import json
import os
import sys
import time
import types

sys.path.insert(0, os.environ["NODEPOOL_SRC"])
# nodeutils imports paramiko for ssh-keyscan only; the readers never use it
sys.modules.setdefault("paramiko", types.ModuleType("paramiko"))

from nodepool import exceptions as npe  # noqa: E402
from nodepool import status  # noqa: E402
from nodepool.zk import ZooKeeperClient  # noqa: E402
from nodepool.zk.zookeeper import ZooKeeper  # noqa: E402


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--hosts", required=True)
    p.add_argument("--tls-cert", required=True)
    p.add_argument("--tls-key", required=True)
    p.add_argument("--tls-ca", required=True)
    p.add_argument("--try-lock-node")
    a = p.parse_args()
    client = ZooKeeperClient(a.hosts, tls_cert=a.tls_cert, tls_key=a.tls_key, tls_ca=a.tls_ca)
    client.connect()
    zk = ZooKeeper(client, enable_cache=False)
    out = {
        "nodes": json.loads(status.output(status.node_list(zk), "json")),
        "requests": json.loads(status.output(status.request_list(zk), "json")),
        "dib_images": json.loads(status.output(status.dib_image_list(zk), "json")),
        "images": json.loads(status.output(status.image_list(zk), "json")),
        "node_table": status.output(status.node_list(zk), "pretty"),
    }
    # NP24's component registry (watch-fed): pools as its launchers see them for the FAILED rule
    deadline = time.time() + 10
    while time.time() < deadline and not zk.getRegisteredPools():
        time.sleep(0.1)
    out["pools"] = sorted((p.content for p in zk.getRegisteredPools()), key=lambda c: c["id"])
    if a.try_lock_node:
        node = zk.getNode(a.try_lock_node)
        try:
            zk.lockNode(node, blocking=False)
            out["lock_node"] = "acquired"
            zk.unlockNode(node)
        except npe.ZKLockException:
            out["lock_node"] = "locked by someone else"
    client.disconnect()
    print(json.dumps(out))


if __name__ == "__main__":
    main()
