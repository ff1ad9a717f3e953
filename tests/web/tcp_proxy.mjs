// A TCP proxy for browser tests: the page talks to it (HTTP and WebSocket), it forwards
// every connection to the gateway's port, and the test can cut all of them at once (a
// network failure, as the browser and the gateway both see it), or move new connections to
// another gateway process while keeping the one address the page knows. While it has no
// target, new connections wait (parked) and go on to the next target when there is one, so
// a test of a restart needs no sleeps and sees no refused connections. It can also hold
// only the WebSocket upgrades (GET /ws) while pages and assets still load.

import net from 'node:net';

export class TcpProxy {
  #server = net.createServer((client) => this.#onConnection(client));
  #target = null;  // the port connections are forwarded to, or null to park them
  #pairs = new Set();  // { client, upstream } of every forwarded connection still open
  #parked = new Map();  // client socket -> the bytes already read from it (or null)
  #holdUpgrades = false;
  #waiters = [];  // resolve functions of waitForConnections()
  accepted = 0;  // connections accepted since the start
  port = 0;

  constructor(targetPort = null) {
    this.#target = targetPort;
  }

  // Listens on 127.0.0.1 and a free port; resolves with the port.
  listen() {
    return new Promise((resolve, reject) => {
      this.#server.once('error', reject);
      this.#server.listen(0, '127.0.0.1', () => {
        this.port = this.#server.address().port;
        resolve(this.port);
      });
    });
  }

  get openConnections() { return this.#pairs.size; }

  // Where new connections go from now on; null parks them. Parked ones go there now.
  setTarget(port) {
    this.#target = port;
    if (port !== null) this.#release();
  }

  // While true, new WebSocket upgrades are parked (other requests go through); false lets
  // the parked ones go on.
  holdUpgrades(hold) {
    this.#holdUpgrades = hold;
    if (!hold && this.#target !== null) this.#release();
  }

  // Cuts every connection open now, both sides, with a reset; returns how many. New ones
  // are forwarded as before.
  sever() {
    const pairs = [...this.#pairs];
    this.#pairs.clear();
    for (const { client, upstream } of pairs) {
      cut(client);
      cut(upstream);
    }
    return pairs.length;
  }

  // Resolves once `count` connections in all have been accepted (or at once).
  waitForConnections(count) {
    if (this.accepted >= count) return Promise.resolve();
    return new Promise((resolve) => this.#waiters.push({ count, resolve }));
  }

  close() {
    this.sever();
    for (const client of this.#parked.keys()) cut(client);
    this.#parked.clear();
    return new Promise((resolve) => this.#server.close(() => resolve()));
  }

  #onConnection(client) {
    this.accepted++;
    client.on('error', () => {});
    this.#waiters = this.#waiters.filter((waiter) => {
      if (this.accepted < waiter.count) return true;
      waiter.resolve();
      return false;
    });
    if (this.#target === null) {
      // Unread bytes stay in the socket (it is paused until piped).
      this.#park(client, null);
    } else if (this.#holdUpgrades) {
      client.once('data', (head) => {
        client.pause();
        if (this.#holdUpgrades && head.toString('latin1').startsWith('GET /ws')) {
          this.#park(client, head);
        } else {
          this.#forward(client, head);
        }
      });
    } else {
      this.#forward(client, null);
    }
  }

  #park(client, head) {
    this.#parked.set(client, head);
    client.once('close', () => this.#parked.delete(client));
  }

  #release() {
    const parked = [...this.#parked];
    this.#parked.clear();
    for (const [client, head] of parked) {
      if (!client.destroyed) this.#forward(client, head);
    }
  }

  // `head`: bytes already read from the client, sent first.
  #forward(client, head) {
    const upstream = net.connect(this.#target, '127.0.0.1');
    if (head) upstream.write(head);
    const pair = { client, upstream };
    this.#pairs.add(pair);
    upstream.on('error', () => {});
    const end = () => {
      this.#pairs.delete(pair);
      client.destroy();
      upstream.destroy();
    };
    client.once('close', end);
    upstream.once('close', end);
    client.pipe(upstream);
    upstream.pipe(client);
  }
}

function cut(socket) {
  if (socket.destroyed) return;
  if (typeof socket.resetAndDestroy === 'function') {
    socket.resetAndDestroy();
  } else {
    socket.destroy();
  }
}
