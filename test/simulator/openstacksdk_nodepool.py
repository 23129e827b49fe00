# The openstacksdk calls Nodepool's OpenStack adapter makes (nodepool/driver/openstack/adapter.py),
# run against the simulator by openstacksdk.test.ts. Prints one JSON object with what it saw.
import hashlib
import json
import sys
import time

import openstack

conn = openstack.connect(cloud=sys.argv[1])
out = {}
img_path = sys.argv[2]
data = open(img_path, 'rb').read()
# builder upload, as nodepool's adapter does (openstacksdk create_image with md5/sha256 and meta)
md5 = hashlib.md5(data).hexdigest()
sha256 = hashlib.sha256(data).hexdigest()
image = conn.create_image(name='ubuntu-jammy-1700000000', filename=img_path, is_public=False, disk_format='qcow2', container_format='bare', md5=md5, sha256=sha256, wait=True, timeout=60, meta={'nodepool_build_id': '0000000001', 'nodepool_upload_id': '0000000001'})
out['image'] = {'id': image.id, 'status': image.status, 'checksum': image.checksum, 'props': image.properties}
# second upload with same name and hashes: openstacksdk skips it
again = conn.create_image(name='ubuntu-jammy-1700000000', filename=img_path, is_public=False, disk_format='qcow2', container_format='bare', md5=md5, sha256=sha256, wait=True, timeout=60)
out['reupload_same_id'] = again.id == image.id
out['flavors'] = sorted([f.name for f in conn.list_flavors(get_extra=False)])
out['azs'] = conn.list_availability_zone_names()
lim = conn.get_compute_limits()
out['limits'] = {'max_total_instances': lim.max_total_instances, 'total_instances_used': lim.total_instances_used}
net = conn.get_network('private')
server = conn.create_server(name='np0000000001', image={'id': image.id}, flavor=conn.get_flavor('m1.small'), nics=[{'net-id': net.id}], meta={'nodepool_node_id': '0000000001', 'nodepool_provider_name': 'sim'}, config_drive=True, userdata='#cloud-config', availability_zone='az1', wait=False)
out['created'] = server.id
for _ in range(50):
    s = conn.get_server_by_id(server.id)
    if s.status == 'ACTIVE':
        break
    time.sleep(0.1)
out['server'] = {'status': s.status, 'private_v4': s.private_v4, 'public_v4': s.public_v4, 'interface_ip': s.interface_ip, 'az': s.location.zone, 'meta': s.metadata}
out['servers_listed'] = [x.name for x in conn.compute.servers(details=True)]
out['console'] = conn.get_server_console(server.id)[-20:]
out['down_ports'] = len(list(conn.network.ports(status='DOWN')))
conn.network.create_ip(floating_network_id=conn.get_network('public').id)
out['unattached_fips_deleted'] = conn.delete_unattached_floating_ips(retry=1)
conn.delete_server(server.id, wait=True, timeout=30)
out['after_delete'] = [x.name for x in conn.compute.servers(details=True)]
conn.delete_image(image.id, wait=True)
out['images_left'] = [i.name for i in conn.list_images()]
print(json.dumps(out, default=str))
