// A reverse proxy for browser tests that serves the gateway under a path prefix, as nginx's
// `location /chat/ { proxy_pass http://gateway/; }` does: /chat/<rest> (HTTP and WebSocket
// upgrades) goes to the gateway as /<rest>, with every header as the browser sent it (Host
// and Origin included, so the gateway's origin check sees the page's own address); /chat
// redirects to /chat/; anything else is 404 and recorded in `outside`, so a test can prove
// that the page never left its prefix.

import http from 'node:http';
import net from 'node:net';

export class PathProxy {
  #prefix;
  #targetPort;
  #server;
  #sockets = new Set();
  outside = [];  // "METHOD path" of every request outside the prefix
  forwarded = [];  // the paths the gateway was asked for (after the prefix came off)
  port = 0;

  // `prefix` like "/chat" (no trailing slash).
  constructor(prefix, targetPort) {
    this.#prefix = prefix;
    this.#targetPort = targetPort;
    this.#server = http.createServer((request, response) => this.#onRequest(request, response));
    this.#server.on('upgrade', (request, socket, head) => this.#onUpgrade(request, socket, head));
    this.#server.on('connection', (socket) => {
      this.#sockets.add(socket);
      socket.once('close', () => this.#sockets.delete(socket));
    });
  }

  listen() {
    return new Promise((resolve, reject) => {
      this.#server.once('error', reject);
      this.#server.listen(0, '127.0.0.1', () => {
        this.port = this.#server.address().port;
        resolve(this.port);
      });
    });
  }

  close() {
    for (const socket of this.#sockets) socket.destroy();
    return new Promise((resolve) => this.#server.close(() => resolve()));
  }

  // The gateway's path for a request's, or null when it is outside the prefix.
  #inner(url) {
    if (!url.startsWith(`${this.#prefix}/`)) return null;
    return url.slice(this.#prefix.length);
  }

  #onRequest(request, response) {
    if (request.url === this.#prefix) {
      response.writeHead(301, { Location: `${this.#prefix}/` });
      return response.end();
    }
    const inner = this.#inner(request.url);
    if (inner === null) {
      this.outside.push(`${request.method} ${request.url}`);
      response.writeHead(404, { 'Content-Type': 'text/plain' });
      return response.end('Not behind this proxy\n');
    }
    this.forwarded.push(inner);
    const upstream = http.request({
      host: '127.0.0.1', port: this.#targetPort, method: request.method, path: inner,
      headers: request.headers,
    }, (answer) => {
      response.writeHead(answer.statusCode, answer.rawHeaders);
      answer.pipe(response);
    });
    upstream.on('error', () => {
      response.writeHead(502, { 'Content-Type': 'text/plain' });
      response.end('Bad gateway\n');
    });
    request.pipe(upstream);
  }

  #onUpgrade(request, socket, head) {
    socket.on('error', () => {});
    const inner = this.#inner(request.url);
    if (inner === null) {
      this.outside.push(`UPGRADE ${request.url}`);
      return socket.end('HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n');
    }
    this.forwarded.push(inner);
    const upstream = net.connect(this.#targetPort, '127.0.0.1');
    upstream.on('error', () => socket.destroy());
    socket.once('close', () => upstream.destroy());
    upstream.once('close', () => socket.destroy());
    const lines = [`${request.method} ${inner} HTTP/1.1`];
    for (let i = 0; i < request.rawHeaders.length; i += 2) {
      lines.push(`${request.rawHeaders[i]}: ${request.rawHeaders[i + 1]}`);
    }
    upstream.write(`${lines.join('\r\n')}\r\n\r\n`);
    if (head?.length) upstream.write(head);
    socket.pipe(upstream);
    upstream.pipe(socket);
  }
}
