import * as fs from 'fs';
import * as http from 'http';
import * as path from 'path';

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8', '.json': 'application/json', '.bin': 'application/octet-stream',
  '.wasm': 'application/wasm',
};

/** The file a request path names under `root` (`/` is index.html); null for a malformed path. */
function fileOf(root: string, url: string): string | null {
  const { pathname } = new URL(url, 'http://127.0.0.1');
  try {
    return path.join(root, decodeURIComponent(pathname === '/' ? '/index.html' : pathname));
  } catch {
    return null;
  }
}

export interface StaticServer {
  url: string;
  close(): Promise<void>;
}

/**
 * Serves the files of a directory (an export) over http on 127.0.0.1 only: a page cannot fetch its model
 * from file://. Nothing outside the directory is served.
 */
export function serveDirectory(dir: string, port = 0): Promise<StaticServer> {
  const root = path.resolve(dir);
  const server = http.createServer((request, response) => {
    const file = fileOf(root, request.url ?? '/');
    if (!file || !file.startsWith(root + path.sep) || !fs.statSync(file, { throwIfNoEntry: false })?.isFile()) {
      response.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
      return;
    }
    response.writeHead(200, { 'content-type': CONTENT_TYPES[path.extname(file)] ?? 'application/octet-stream', 'cache-control': 'no-store' });
    fs.createReadStream(file).pipe(response);
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => {
      const address = server.address() as { port: number };
      resolve({ url: `http://127.0.0.1:${address.port}/`, close: () => new Promise((done) => server.close(() => done())) });
    });
  });
}
