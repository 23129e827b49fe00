# Runs Nodepool 11's own static provider code against a test ZooKeeper, as the reference for
# drivers/static: `start` is StaticNodeProvider._start (launcher start / config change),
# `cleanup` its periodic cleanupLeakedResources, `delete <id>` the deleted-node worker's
# NodeDeleter.delete (which re-registers the slot). Run with Nodepool 11's venv python:
#   np11_static.py <host:port> <nodepool.yaml> start|cleanup|delete [node id]
import logging
import sys

from nodepool import config as npconfig
from nodepool.driver.static.provider import StaticNodeProvider
from nodepool.driver.utils import NodeDeleter
from nodepool.zk import ZooKeeperClient
from nodepool.zk.zookeeper import ZooKeeper


def main():
    hosts, config_path, op = sys.argv[1:4]
    logging.basicConfig(level=logging.DEBUG, stream=sys.stderr)
    logging.getLogger('kazoo').setLevel(logging.WARNING)
    # Nodepool 11 insists on TLS settings; the test ZooKeeper is plain, so hand it readable
    # dummy paths and drop them before connecting.
    client = ZooKeeperClient(hosts, tls_cert=__file__, tls_key=__file__, tls_ca=__file__)
    client.tls_key = client.tls_cert = client.tls_ca = None
    client.connect()
    zk = ZooKeeper(client, enable_cache=False)
    try:
        config = npconfig.loadConfig(config_path)
        (provider,) = [p for p in config.providers.values() if p.driver.name == 'static']
        manager = StaticNodeProvider(provider)
        if op == 'start':
            manager._start(zk)
        elif op == 'cleanup':
            manager.zk = zk
            manager.cleanupLeakedResources()
        elif op == 'delete':
            manager.zk = zk
            node = zk.getNode(sys.argv[4], cached=False)
            zk.lockNode(node, blocking=True, timeout=5)
            NodeDeleter.delete(zk, manager, node)
        else:
            raise SystemExit('unknown op ' + op)
        print('ok')
    finally:
        client.disconnect()


if __name__ == '__main__':
    main()
