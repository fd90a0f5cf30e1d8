/**
 * The server reads images as the CLI does: EXIF orientation applied (like cv2.imread), so a phone
 * JPEG's size and embedding are the upright image's, and its header size check uses the upright size.
 */
import sharp from 'sharp';
import { beforeAll, expect, it } from 'vitest';
import type { LoadedSam } from '@tsam/node';
import type { ImageInfo, TsamServer } from '../src/index.js';
import { describeFixtures, fixturePath, manifest } from '../../../testing/fixtures.js';
import { openModel, request, startServer, tempDir, upload } from './helpers.js';

describeFixtures('server: EXIF orientation', () => {
  let sam: LoadedSam;
  let server: TsamServer;
  let jpeg: Buffer;

  beforeAll(async () => {
    sam = await openModel('sam_vit_mini.pth');
    server = await startServer(sam, { cacheDir: tempDir('cache-exif') });
    // scene_tiny is 97×61 (W×H); orientation 6 means "rotate 90° clockwise to display": upright 61×97.
    jpeg = await sharp(fixturePath(manifest().images.scene_tiny!.file)).jpeg({ quality: 95 }).withMetadata({ orientation: 6 }).toBuffer();
  });

  it('reports the upright size and serves the embedding of the upright pixels (as loadImage decodes them)', async () => {
    const r = await upload(server.url, jpeg, 'image/jpeg', 'phone');
    expect(r.status, r.body.toString()).toBe(201);
    const info = r.json<ImageInfo>();
    expect(info).toMatchObject({ width: 61, height: 97 });
    const emb = await request(`${server.url}/api/images/${info.id}/embedding`);
    expect(emb.status).toBe(200);
    expect(emb.headers.get('x-tsam-image-size')).toBe('61,97'); // width,height
    const ref = await sam.predictor.setImage(jpeg); // @tsam/node's loadImage: EXIF applied (exif.test.ts proves the pixels)
    expect(emb.body.equals(Buffer.from(ref.data.buffer, ref.data.byteOffset, ref.data.byteLength))).toBe(true);
  });

  it('checks the pixel limit on the upright size, before decoding', async () => {
    const small = await startServer(sam, { cacheDir: tempDir('cache-exif-limit'), maxPixels: 61 * 97 - 1 });
    const r = await upload(small.url, jpeg, 'image/jpeg');
    expect(r.status).toBe(413);
    expect(r.json<{ message: string }>().message).toContain('61×97');
  });
});
