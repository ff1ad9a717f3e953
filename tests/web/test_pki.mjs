// A throwaway PKI for the browser's TLS test, made at test time with the `openssl` command
// line (as tests/support/test_pki.cc does for the C++ tests): a CA and a server certificate
// for localhost and 127.0.0.1, EC P-256, valid for two days. trustInNssDatabase() makes
// Chromium trust the CA for real: Chromium on Linux reads the user's NSS database at
// $HOME/.pki/nssdb, so the test launches it with HOME pointing at a temporary directory
// that holds one (certutil, from Debian's libnss3-tools).

import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';

// One config for every openssl call, so that the system's openssl.cnf plays no part.
const OPENSSL_CONFIG = `[req]
distinguished_name = dn
prompt = no
[dn]
CN = unused
[ca_ext]
basicConstraints = critical,CA:TRUE
keyUsage = critical,keyCertSign,cRLSign
subjectKeyIdentifier = hash
[server_ext]
basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature
extendedKeyUsage = serverAuth
subjectAltName = DNS:localhost,IP:127.0.0.1
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
`;

function run(tool, args, cwd) {
  try {
    return execFileSync(tool, args, { cwd, stdio: ['ignore', 'pipe', 'pipe'], timeout: 20_000 });
  } catch (error) {
    const missing = error.code === 'ENOENT';
    const hint = tool === 'certutil' ? 'apt-get install libnss3-tools' : `apt-get install ${tool}`;
    throw new Error(missing ? `${tool} is not installed (${hint})`
                            : `${tool} ${args.join(' ')} failed:\n${error.stderr ?? error.message}`);
  }
}

// Writes ca.pem, server.pem and server.key into `dir`; returns their paths.
export function makeTestPki(dir) {
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, 'openssl.cnf'), OPENSSL_CONFIG);
  const ecKey = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes'];
  run('openssl', ['req', '-x509', '-config', 'openssl.cnf', '-extensions', 'ca_ext', ...ecKey,
                  '-keyout', 'ca.key', '-out', 'ca.pem', '-days', '2',
                  '-subj', '/CN=streamgate-test-ca'], dir);
  run('openssl', ['req', '-new', '-config', 'openssl.cnf', ...ecKey, '-keyout', 'server.key',
                  '-out', 'server.csr', '-subj', '/CN=localhost'], dir);
  run('openssl', ['x509', '-req', '-in', 'server.csr', '-CA', 'ca.pem', '-CAkey', 'ca.key',
                  '-set_serial', '2', '-days', '2', '-extfile', 'openssl.cnf',
                  '-extensions', 'server_ext', '-out', 'server.pem'], dir);
  return {
    ca: path.join(dir, 'ca.pem'),
    cert: path.join(dir, 'server.pem'),
    key: path.join(dir, 'server.key'),
  };
}

// Makes `home`/.pki/nssdb with `caPem` trusted to identify web servers ("C,,": a CA for
// TLS, nothing else).
export function trustInNssDatabase(home, caPem) {
  const db = path.join(home, '.pki', 'nssdb');
  mkdirSync(db, { recursive: true });
  run('certutil', ['-d', `sql:${db}`, '-N', '--empty-password']);
  run('certutil', ['-d', `sql:${db}`, '-A', '-n', 'streamgate-test-ca', '-t', 'C,,', '-i', caPem]);
  return db;
}
