// Certificates made with openssl at run time, into a temporary directory:
// a CA, the server's certificate for 127.0.0.1 / ::1 / localhost (and any
// extra names asked for), and client
// certificates whose CN is the user and whose O entries are the groups, the
// way kube-apiserver's x509 authenticator reads them. No key is committed.

import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface CertPair {
  certPem: string;
  keyPem: string;
  certPath: string;
  keyPath: string;
}

export interface Pki {
  dir: string;
  ca: CertPair;
  server: CertPair;
  /** A client certificate signed by this CA. */
  issueClient(user: string, groups?: string[]): CertPair;
  /** Removes the directory and every key in it. */
  remove(): void;
}

function openssl(args: string[], cwd: string): void {
  execFileSync('openssl', args, { cwd, stdio: ['ignore', 'ignore', 'pipe'] });
}

function subj(cn: string, orgs: string[] = []): string {
  const esc = (s: string) => s.replace(/([/=\\])/g, '\\$1');
  return orgs.map((o) => `/O=${esc(o)}`).join('') + `/CN=${esc(cn)}`;
}

const reqConfig = '[req]\ndistinguished_name = dn\n[dn]\n[v3_ca]\nbasicConstraints = critical,CA:TRUE\nkeyUsage = critical,keyCertSign,cRLSign,digitalSignature\nsubjectKeyIdentifier = hash\n';

function read(dir: string, base: string): CertPair {
  const certPath = join(dir, `${base}.crt`);
  const keyPath = join(dir, `${base}.key`);
  return { certPem: readFileSync(certPath, 'utf8'), keyPem: readFileSync(keyPath, 'utf8'), certPath, keyPath };
}

function selfSignedCa(dir: string, base: string, cn: string): CertPair {
  writeFileSync(join(dir, 'req.cnf'), reqConfig);
  openssl(['req', '-x509', '-new', '-config', 'req.cnf', '-extensions', 'v3_ca', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', `${base}.key`, '-out', `${base}.crt`, '-days', '3650', '-subj', subj(cn)], dir);
  return read(dir, base);
}

function signed(dir: string, base: string, ca: { certPath: string; keyPath: string }, subject: string, ext: string): CertPair {
  writeFileSync(join(dir, 'req.cnf'), reqConfig);
  writeFileSync(join(dir, `${base}.ext`), ext);
  openssl(['req', '-new', '-config', 'req.cnf', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', `${base}.key`, '-out', `${base}.csr`, '-subj', subject], dir);
  openssl(['x509', '-req', '-in', `${base}.csr`, '-CA', ca.certPath, '-CAkey', ca.keyPath, '-set_serial', `0x${randomBytes(8).toString('hex')}`, '-days', '3650', '-extfile', `${base}.ext`, '-out', `${base}.crt`], dir);
  return read(dir, base);
}

let clientSeq = 0;

/** A name clients may use for the server: an IP (v4 or v6) or a DNS name. */
function san(name: string): string {
  return /^[0-9.]+$/.test(name) || name.includes(':') ? `IP:${name}` : `DNS:${name}`;
}

/**
 * A fresh CA and server certificate in a new temporary directory. The server's
 * certificate names 127.0.0.1, ::1, localhost and the in-cluster names, plus
 * `extraNames` (e.g. the address a lab's nodes reach it at).
 */
export function makePki(extraNames: readonly string[] = []): Pki {
  const dir = mkdtempSync(join(tmpdir(), 'kla-apiserver-pki-'));
  const ca = selfSignedCa(dir, 'ca', 'kube-lb-agent-test-ca');
  const server = signed(
    dir,
    'server',
    ca,
    subj('kube-apiserver'),
    'basicConstraints = critical,CA:FALSE\nkeyUsage = critical,digitalSignature,keyEncipherment\nextendedKeyUsage = serverAuth\n' +
      `subjectAltName = ${['127.0.0.1', '::1', 'localhost', 'kubernetes', 'kubernetes.default', 'kubernetes.default.svc', ...extraNames].map(san).join(',')}\nauthorityKeyIdentifier = keyid\n`,
  );
  return {
    dir,
    ca,
    server,
    issueClient(user, groups = []) {
      return signed(dir, `client-${++clientSeq}`, ca, subj(user, groups), 'basicConstraints = critical,CA:FALSE\nkeyUsage = critical,digitalSignature,keyEncipherment\nextendedKeyUsage = clientAuth\nauthorityKeyIdentifier = keyid\n');
    },
    remove() {
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** A client certificate from a CA the server does not trust (for 401 tests). */
export function untrustedClientCert(dir: string, user: string): CertPair {
  const foreign = selfSignedCa(dir, `foreign-ca-${++clientSeq}`, 'some-other-ca');
  return signed(dir, `foreign-client-${clientSeq}`, foreign, subj(user), 'basicConstraints = critical,CA:FALSE\nextendedKeyUsage = clientAuth\n');
}
