// Boot from volume: Nova makes the root volume from the mapping, Cinder shows and counts it,
// it goes with the server when delete_on_termination is set, and the volume quota aborts builds.
import assert from 'node:assert/strict';
import { beforeEach, describe, it } from 'node:test';
import { useSimulator, waitFor } from './helpers';

type Volume = { id: string; size: number; status: string; attachments: { server_id: string }[] };

void describe('boot from volume', () => {
  const { sim, api } = useSimulator();
  let imageId = '';

  beforeEach(async () => {
    await sim().admin.reset();
    imageId = (await sim().admin.leakImage({ name: 'base-image' })).id;
  });

  const volumes = () => api().raw<{ volumes: Volume[] }>('GET', `/volume/v3/${sim().credentials.projectId}/volumes/detail`);
  const limits = async () =>
    (await api().raw<{ limits: { absolute: Record<string, number> } }>('GET', `/volume/v3/${sim().credentials.projectId}/limits`)).body.limits.absolute;
  const bfv = (size: number, deleteOnTermination = true) =>
    api().createServer({
      imageRef: '',
      block_device_mapping_v2: [
        { boot_index: 0, uuid: imageId, source_type: 'image', destination_type: 'volume', volume_size: size, delete_on_termination: deleteOnTermination },
      ],
    });

  void it('creates an in-use root volume that Nova and Cinder both show, and deletes it with the server', async () => {
    const id = (await bfv(20)).body.server.id;
    const s = (await api().compute<{ server: { image: unknown; 'os-extended-volumes:volumes_attached': { id: string }[] } }>('GET', `/servers/${id}`)).body.server;
    assert.equal(s.image, '');
    const [vol] = (await volumes()).body.volumes;
    assert.ok(vol);
    assert.deepEqual(s['os-extended-volumes:volumes_attached'], [{ id: vol.id }]);
    assert.deepEqual([vol.size, vol.status, vol.attachments.map((a) => a.server_id)], [20, 'in-use', [id]]);
    assert.deepEqual([(await limits()).totalVolumesUsed, (await limits()).totalGigabytesUsed], [1, 20]);
    const del = await api().raw('DELETE', `/volume/v3/${sim().credentials.projectId}/volumes/${vol.id}`);
    assert.equal(del.status, 400, 'an attached volume cannot be deleted');
    await api().compute('DELETE', `/servers/${id}`);
    await waitFor(async () => ((await volumes()).body.volumes.length === 0 ? true : undefined));
    assert.equal((await limits()).totalGigabytesUsed, 0);
  });

  void it('keeps a volume without delete_on_termination, detached and available', async () => {
    const id = (await bfv(10, false)).body.server.id;
    await api().compute('DELETE', `/servers/${id}`);
    const vol = await waitFor(async () => {
      const v = (await volumes()).body.volumes[0];
      return v?.status === 'available' ? v : undefined;
    });
    assert.deepEqual(vol.attachments, []);
    assert.equal((await api().raw('DELETE', `/volume/v3/${sim().credentials.projectId}/volumes/${vol.id}`)).status, 202);
    assert.equal((await volumes()).body.volumes.length, 0);
  });

  void it('over the volume quota the build aborts: ERROR with a quota fault, no volume', async () => {
    await sim().admin.setQuotas({ gigabytes: 30 });
    await bfv(20);
    const id = (await bfv(20)).body.server.id;
    const s = await waitFor(async () => {
      const x = (await api().compute<{ server: { status: string; fault?: { message: string } } }>('GET', `/servers/${id}`)).body.server;
      return x.status !== 'BUILD' ? x : undefined;
    });
    assert.equal(s.status, 'ERROR');
    assert.equal(s.fault?.message, `Build of instance ${id} aborted: Volume resource quota exceeded`);
    assert.equal((await volumes()).body.volumes.length, 1);
  });
});
