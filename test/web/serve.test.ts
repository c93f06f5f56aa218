import * as fs from 'fs';
import * as http from 'http';
import * as os from 'os';
import * as path from 'path';
import { serveDirectory } from '../../src/web/serve';

/** GET with the path sent as written (no client-side normalisation of ../). */
function get(url: string, rawPath: string): Promise<{ status: number; type: string; body: string }> {
  return new Promise((resolve, reject) => {
    const { hostname, port } = new URL(url);
    http.get({ hostname, port, path: rawPath }, (response) => {
      let body = '';
      response.on('data', (chunk: Buffer) => { body += chunk.toString(); });
      response.on('end', () => resolve({ status: response.statusCode ?? 0, type: String(response.headers['content-type']), body }));
    }).on('error', reject);
  });
}

test('serve answers on 127.0.0.1 with the directory\'s files and nothing outside it', async () => {
  const parent = fs.mkdtempSync(path.join(os.tmpdir(), 'rnnlm-serve-'));
  const site = path.join(parent, 'site');
  fs.mkdirSync(site);
  fs.writeFileSync(path.join(site, 'index.html'), '<p>page</p>');
  fs.writeFileSync(path.join(site, 'model.json'), '{}');
  fs.writeFileSync(path.join(parent, 'secret.txt'), 'secret');
  const server = await serveDirectory(site);
  try {
    expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
    expect(await get(server.url, '/')).toEqual({ status: 200, type: 'text/html; charset=utf-8', body: '<p>page</p>' });
    expect(await get(server.url, '/model.json')).toEqual({ status: 200, type: 'application/json', body: '{}' });
    for (const escape of ['/../secret.txt', '/%2e%2e/secret.txt', '/..%2fsecret.txt', '/nothing.js', '/%zz']) {
      expect((await get(server.url, escape)).status).toBe(404);
    }
  } finally {
    await server.close();
    fs.rmSync(parent, { recursive: true, force: true });
  }
});
