// Sample documents from spec/zk-protocol.md (§1.2, §2.8, §3.2, §4), written the way Python's
// json.dumps writes them, with real-sized values where the spec elides them ("…"). The Zmod
// request carries a 128-bit trace id and a nanosecond start_time, which JSON.parse would round.
export const ZMOD_REQUEST =
  '{"requestor_data": {"build_set_uuid": "5d3c0a1b2c3d4e5f60718293a4b5c6d7", "tenant_name": "example", "pipeline_name": "check", ' +
  '"job_uuid": "a1b2c3d4e5f60718293a4b5c6d7e8f90", "job_name": "tox-py311", ' +
  '"span_info": {"name": "RequestNodes", "trace_id": 240553451298634245387823587459184917713, "span_id": 12345678901234567890, "trace_flags": 1, ' +
  '"start_time": 1726500000130000000, "parent": null}}, ' +
  '"node_types": ["ubuntu-jammy"], "requestor": "9f2c1d2e4b5a4c3d8e7f6a5b4c3d2e1f", ' +
  '"created_time": 1726500000.13, "provider": null, "state": "requested", "state_time": 1726500000.12, ' +
  '"relative_priority": 0, "event_id": "c0ffee00c0ffee00c0ffee00c0ffee00", "tenant_name": "example"}';

export const Z19_REQUEST =
  '{"node_types": ["ubuntu-xenial", "ubuntu-xenial"], "requestor": "zuul01.example.com", "created_time": 1555555555.5, ' +
  '"provider": null, "state": "requested", "state_time": 1555555555.4, "relative_priority": 2}';

export const NODE_INIT =
  '{"state": "init", "state_time": 1726500001.0, "cloud": null, "provider": "rax-dfw", "pool": "main", ' +
  '"type": ["ubuntu-jammy"], "allocated_to": "200-0000000042", "az": null, "region": null, ' +
  '"public_ipv4": null, "private_ipv4": null, "public_ipv6": null, "host_id": null, "interface_ip": null, ' +
  '"connection_port": 22, "ssh_port": 22, "image_id": null, ' +
  '"launcher": "nl01.example.com-PoolWorker.rax-dfw-main-9c5e0a7b3f1e4d2c8b6a5f4e3d2c1b0a", ' +
  '"created_time": 1726500001.0, "external_id": null, "hostname": null, "comment": null, "user_data": null, ' +
  '"hold_job": null, "host_keys": [], "username": null, "connection_type": null, "shell_type": null, ' +
  '"hold_expiration": null, "resources": null, "slot": null, "attributes": null, "python_path": null, ' +
  '"tenant_name": "example", "driver_data": null, "requestor": "9f2c1d2e4b5a4c3d8e7f6a5b4c3d2e1f"}';

export const NODE_READY =
  '{"state": "ready", "state_time": 1726500123.45, "cloud": "rax", "provider": "rax-dfw", "pool": "main", ' +
  '"type": ["ubuntu-jammy"], "allocated_to": "200-0000000042", "az": "nova", "region": "DFW", ' +
  '"public_ipv4": "203.0.113.10", "private_ipv4": "10.0.0.5", "public_ipv6": "2001:db8::10", ' +
  '"host_id": "8c1f00aa", "interface_ip": "203.0.113.10", "connection_port": 22, "ssh_port": 22, ' +
  '"image_id": "/nodepool/images/ubuntu-jammy/builds/4b1f0c9e2d7a4e6f9a8b7c6d5e4f3a2b/providers/rax-dfw/images/0000000003", ' +
  '"launcher": "nl01.example.com-PoolWorker.rax-dfw-main-9c5e0a7b3f1e4d2c8b6a5f4e3d2c1b0a", ' +
  '"created_time": 1726500001.0, "external_id": "6f0e3c1a-1111-2222-3333-444455556666", "hostname": null, ' +
  '"comment": null, "user_data": null, "hold_job": null, ' +
  '"host_keys": ["ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAA", "ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAAB"], ' +
  '"username": "zuul", "connection_type": "ssh", "shell_type": null, "hold_expiration": null, ' +
  '"resources": {"cores": 8, "instances": 1, "ram": 8192}, "slot": null, "attributes": null, ' +
  '"python_path": "auto", "tenant_name": "example", "driver_data": null, ' +
  '"requestor": "9f2c1d2e4b5a4c3d8e7f6a5b4c3d2e1f"}';

/** What Zmod writes back when it marks the node in-use: user_data and "id" added. */
export const NODE_IN_USE_ZMOD = NODE_READY.replace('"state": "ready", "state_time": 1726500123.45', '"state": "in-use", "state_time": 1726500200.5')
  .replace('"user_data": null', '"user_data": {"zuul_system": "9f2c1d2e4b5a4c3d8e7f6a5b4c3d2e1f", "project_name": "opendev.org/example/project"}')
  .replace(/}$/, ', "id": "0000000123"}');

export const POOL_COMPONENT =
  '{"hostname": "nl01", "id": "nl01.example.com-PoolWorker.rax-dfw-main-9c5e0a7b3f1e4d2c8b6a5f4e3d2c1b0a", ' +
  '"kind": "pool", "model_api": 0, "name": "main", "paused": false, "priority": 100, ' +
  '"provider_name": "rax-dfw", "state": "running", "supported_labels": ["ubuntu-jammy", "ubuntu-noble"], ' +
  '"version": "10.0.0"}';

export const LAUNCHER_COMPONENT = '{"hostname": "nl01", "kind": "launcher", "model_api": 0, "state": "stopped", "version": "10.0.0"}';

export const NP19_LAUNCHER =
  '{"id": "nl01-1234-PoolWorker.rax-dfw-main", "provider_name": "rax-dfw", "supported_labels": ["centos-7", "ubuntu-xenial"]}';

export const BUILD_READY =
  '{"state": "ready", "state_time": 1726400000.5, "builder": "nb01", "builder_id": "1a2b3c4d-0000-4000-8000-123456789abc", ' +
  '"formats": "qcow2,raw,vhd", "username": "zuul", "python_path": "auto", "shell_type": null}';

export const BUILD_FAILED_NP24 = '{"state": "failed", "state_time": 1726400000.5, "builder": "nb01", "builder_id": "1a2b3c4d-0000-4000-8000-123456789abc", "username": null, "python_path": null, "shell_type": null}';

export const UPLOAD_READY =
  '{"state": "ready", "state_time": 1726400100.25, "external_id": "7e3b0c8a-aaaa-bbbb-cccc-ddddeeeeffff", ' +
  '"external_name": "ubuntu-jammy-1726400000", "format": "qcow2", "username": "zuul", "python_path": "auto", "shell_type": null}';
