/**
 * The XMPP peers of the load benches: Prosody and ejabberd from Debian's packages, each
 * started on loopback from a configuration written here (a data dir of its own, nothing of
 * the system's installation touched), and a small XMPP-over-WebSocket driver (RFC 7395)
 * built on the same `ws` client the Stoa side uses — so both sides pay the same client
 * costs and differ only in the server.
 *
 * The driver signs in with SASL ANONYMOUS (no accounts to provision), binds a resource and
 * joins MUC rooms without history. One WebSocket frame carries one stanza (RFC 7395 §3.3.3),
 * so frames are scanned, never parsed into trees — as on the Stoa side, parsing every frame
 * would make the load generator the bottleneck.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import WebSocket from 'ws';

export interface XmppServer {
  /** "Prosody 0.12.3", "ejabberd 23.01". */
  name: string;
  child: ChildProcess;
  /** The process whose CPU and memory are the server's. */
  pid: number;
  wsUrl: string;
  domain: string;
  muc: string;
  stop(): Promise<void>;
}

export interface XmppPeer {
  /** Short name, as in the results tables. */
  name: 'Prosody' | 'ejabberd';
  /** The Debian package. */
  package: string;
  /** The binary that tells the package is installed. */
  binary: string;
  start(dir: string): Promise<XmppServer>;
}

const DOMAIN = 'localhost';
const MUC = `conference.${DOMAIN}`;

/** A port free on loopback right now. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/** Resolves once something accepts TCP connections on the port; rejects if the child exits first or after 60 s. */
async function listening(child: ChildProcess, port: number, log: () => string): Promise<void> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) throw new Error(`the server exited (${child.exitCode ?? child.signalCode}): ${log()}`);
    const ok = await new Promise<boolean>((resolve) => {
      const socket = net.connect(port, '127.0.0.1');
      socket.once('connect', () => {
        socket.destroy();
        resolve(true);
      });
      socket.once('error', () => resolve(false));
    });
    if (ok) return;
    if (Date.now() > deadline) throw new Error(`the server did not listen on ${port} within 60 s: ${log()}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function stopProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const gone = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
  await gone;
  clearTimeout(timer);
}

/** Starts a peer and collects what it prints (for the error when it does not come up). */
async function launch(name: string, command: string, args: string[], env: NodeJS.ProcessEnv, port: number, wsPath: string): Promise<XmppServer> {
  const child = spawn(command, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  const keep = (d: Buffer) => {
    if (out.length < 20_000) out += d.toString();
  };
  child.stdout.on('data', keep);
  child.stderr.on('data', keep);
  const failed = new Promise<never>((_, reject) => child.once('error', reject));
  await Promise.race([listening(child, port, () => out), failed]);
  return { name, child, pid: child.pid!, wsUrl: `ws://127.0.0.1:${port}${wsPath}`, domain: DOMAIN, muc: MUC, stop: () => stopProcess(child) };
}

function packageVersion(pkg: string): string {
  const r = spawnSync('dpkg-query', ['-W', '-f', '${Version}', pkg], { encoding: 'utf8' });
  return r.status === 0 ? r.stdout.replace(/-[^-]*$/, '') : '';
}

/**
 * Prosody as packaged, configured for the bench: anonymous sign-in, the `muc` component
 * with rooms unlocked at creation, WebSocket on a loopback HTTP port, no TLS, no rate
 * limits, epoll. mod_posix stays off (it refuses to run as root and would daemonize).
 */
export const prosody: XmppPeer = {
  name: 'Prosody',
  package: 'prosody',
  binary: 'prosody',
  async start(dir) {
    fs.mkdirSync(path.join(dir, 'data'), { recursive: true });
    fs.mkdirSync(path.join(dir, 'certs'), { recursive: true });
    const port = await freePort();
    const config = path.join(dir, 'prosody.cfg.lua');
    fs.writeFileSync(
      config,
      [
        `pidfile = ${JSON.stringify(path.join(dir, 'prosody.pid'))}`,
        `data_path = ${JSON.stringify(path.join(dir, 'data'))}`,
        `certificates = ${JSON.stringify(path.join(dir, 'certs'))}`,
        'log = { { levels = { min = "error" }, to = "console" } }',
        'network_backend = "epoll"',
        'modules_enabled = { "saslauth", "disco", "websocket" }',
        'modules_disabled = { "posix" }',
        'authentication = "anonymous"',
        'c2s_require_encryption = false',
        'c2s_ports = {}',
        's2s_ports = {}',
        'c2s_direct_tls_ports = {}',
        's2s_direct_tls_ports = {}',
        'https_ports = {}',
        'interfaces = { "127.0.0.1" }',
        `http_ports = { ${port} }`,
        'http_interfaces = { "127.0.0.1" }',
        'consider_websocket_secure = true',
        'cross_domain_websocket = true',
        `VirtualHost "${DOMAIN}"`,
        `Component "${MUC}" "muc"`,
        '  muc_room_locking = false',
        '',
      ].join('\n'),
    );
    return launch(`Prosody ${packageVersion('prosody')}`.trim(), 'prosody', ['--config', config, '-F'], process.env, port, '/xmpp-websocket');
  },
};

/**
 * ejabberd as packaged, started straight from `erl` (ejabberdctl would switch to the
 * ejabberd user and start a distributed node with epmd listening beyond loopback): a
 * non-distributed node with its own Mnesia dir, anonymous sign-in, mod_muc with the
 * room size limit (200 by default, for the service and for new rooms) raised, WebSocket on
 * a loopback HTTP port, no shapers. The emulator keeps its defaults: its schedulers spin
 * briefly before sleeping, which counts as CPU time. (With `+sbwt none` to stop that, this
 * ejabberd stopped answering new sessions after about 6,000 — not a fair configuration.)
 */
export const ejabberd: XmppPeer = {
  name: 'ejabberd',
  package: 'ejabberd',
  binary: 'ejabberdctl',
  async start(dir) {
    const spool = path.join(dir, 'spool');
    fs.mkdirSync(spool, { recursive: true });
    const port = await freePort();
    const config = path.join(dir, 'ejabberd.yml');
    fs.writeFileSync(
      config,
      [
        `hosts: ["${DOMAIN}"]`,
        'loglevel: error',
        'log_rotate_count: 0',
        'certfiles: []',
        'listen:',
        `  - port: ${port}`,
        '    ip: "127.0.0.1"',
        '    module: ejabberd_http',
        '    backlog: 1024',
        '    request_handlers:',
        '      "/xmpp-websocket": ejabberd_http_ws',
        'auth_method: [anonymous]',
        'anonymous_protocol: sasl_anon',
        'allow_multiple_connections: true',
        'shaper: {}',
        'shaper_rules: {}',
        'acl: {}',
        'access_rules:',
        '  local:',
        '    allow: all',
        'modules:',
        '  mod_disco: {}',
        '  mod_muc:',
        `    host: "${MUC}"`,
        '    access: all',
        '    access_create: all',
        '    max_users: 1000000',
        '    max_user_conferences: 1000',
        '    default_room_options:',
        '      max_users: 1000000',
        '',
      ].join('\n'),
    );
    // Debian puts ejabberd's applications under the multiarch library dir (as ejabberdctl's ERL_LIBS says).
    const libs = fs.readdirSync('/usr/lib').map((d) => path.join('/usr/lib', d)).find((d) => fs.existsSync(d) && fs.statSync(d).isDirectory() && fs.readdirSync(d).some((f) => f.startsWith('ejabberd-')));
    if (libs === undefined) throw new Error('ejabberd is installed but its Erlang applications (/usr/lib/<arch>/ejabberd-*) were not found');
    const env = {
      ...process.env,
      ERL_LIBS: libs,
      EJABBERD_CONFIG_PATH: config,
      EJABBERD_LOG_PATH: path.join(dir, 'ejabberd.log'),
      ERL_CRASH_DUMP_BYTES: '0',
      HOME: dir,
    };
    const args = ['+P', '1000000', '+Q', '1000000', '-noinput', '-noshell', '-mnesia', 'dir', JSON.stringify(spool), '-s', 'ejabberd', '-ejabberd', 'quiet', 'true'];
    return launch(`ejabberd ${packageVersion('ejabberd')}`.trim(), 'erl', args, env, port, '/xmpp-websocket');
  },
};

/**
 * The peers installed here. A missing one is skipped with a loud line (the bench still
 * measures Stoa), or fails the run under STOA_TEST_REQUIRE_ALL=1 (CI installs both).
 */
export function installedPeers(scenario: string): XmppPeer[] {
  return [prosody, ejabberd].filter((peer) => {
    if (spawnSync('sh', ['-c', `command -v ${peer.binary}`]).status === 0) return true;
    const missing = `${peer.name} is not installed (apt-get install ${peer.package})`;
    if (process.env.STOA_TEST_REQUIRE_ALL === '1') throw new Error(`${scenario}: ${missing} and STOA_TEST_REQUIRE_ALL=1`);
    console.log(`${scenario}: ${missing} — SKIPPED, no ratio against it`);
    return false;
  });
}

export interface XmppSession {
  ws: WebSocket;
  /** The full JID the server bound. */
  jid: string;
}

const OPEN = `<open xmlns="urn:ietf:params:xml:ns:xmpp-framing" to="${DOMAIN}" version="1.0"/>`;

/** An anonymous, bound XMPP session over WebSocket; `onFrame` sees every frame after the session is bound (presences, messages). */
export function xmppSession(server: XmppServer, onFrame: (text: string) => void = () => {}): Promise<XmppSession> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(server.wsUrl, 'xmpp', { perMessageDeflate: false });
    let stage: 'features' | 'auth' | 'restart' | 'bind' | 'bound' = 'features';
    const fail = (why: string) => {
      ws.terminate();
      reject(new Error(`${server.name}: ${why}`));
    };
    ws.once('error', (err) => reject(err));
    ws.once('open', () => ws.send(OPEN));
    let last = '';
    ws.once('close', (code, reason) => {
      if (stage !== 'bound') reject(new Error(`${server.name} closed the session during ${stage} (${code} ${reason.toString()}); last frame: ${last}`));
    });
    ws.on('message', (data: Buffer) => {
      const text = data.toString();
      last = text;
      if (stage === 'bound') return onFrame(text);
      if (text.startsWith('<stream:error') || text.startsWith('<failure')) return fail(text);
      if (stage === 'features' && text.includes('<mechanisms')) {
        if (!text.includes('<mechanism>ANONYMOUS</mechanism>')) return fail(`no SASL ANONYMOUS offered: ${text}`);
        stage = 'auth';
        ws.send('<auth xmlns="urn:ietf:params:xml:ns:xmpp-sasl" mechanism="ANONYMOUS"/>');
      } else if (stage === 'auth' && text.startsWith('<success')) {
        stage = 'restart';
        ws.send(OPEN);
      } else if (stage === 'restart' && text.includes('<bind')) {
        stage = 'bind';
        ws.send('<iq type="set" id="bind" xmlns="jabber:client"><bind xmlns="urn:ietf:params:xml:ns:xmpp-bind"/></iq>');
      } else if (stage === 'bind' && text.startsWith('<iq')) {
        const jid = /<jid>([^<]+)<\/jid>/.exec(text)?.[1];
        if (jid === undefined) return fail(`bind refused: ${text}`);
        stage = 'bound';
        resolve({ ws, jid });
      }
    });
  });
}

/**
 * Joins a MUC room as `nick` without history (maxstanzas 0); resolves on the self-presence
 * (status 110), which the server sends after the occupants' presences.
 */
export function joinRoom(server: XmppServer, session: XmppSession, room: string, nick: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const self = `from='${room}@${server.muc}/${nick}'`;
    const onMessage = (data: Buffer) => {
      const text = data.toString();
      if (!text.startsWith('<presence') || !text.includes(self)) return;
      const refused = text.includes("type='error'");
      if (!refused && !/code=['"]110['"]/.test(text)) return;
      session.ws.off('message', onMessage);
      if (refused) reject(new Error(`${server.name} refused ${nick} in ${room}: ${text}`));
      else resolve();
    };
    session.ws.on('message', onMessage);
    session.ws.send(`<presence to="${room}@${server.muc}/${nick}" xmlns="jabber:client"><x xmlns="http://jabber.org/protocol/muc"><history maxstanzas="0"/></x></presence>`);
  });
}

/** A groupchat message to the room (the text must not need XML escaping). */
export const groupchat = (server: XmppServer, room: string, text: string): string => `<message to="${room}@${server.muc}" type="groupchat" xmlns="jabber:client"><body>${text}</body></message>`;
