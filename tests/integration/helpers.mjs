// Shared helpers for the integration scenarios: start the real droponaird on
// a free port with a fresh database, make apps with the real CLI, mint tokens
// independently (node's crypto, not the server's code), call the API and
// check every response against docs/openapi.json.
import { spawn, execFileSync } from 'node:child_process';
import { connect } from 'node:net';
import { createHmac } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import assert from 'node:assert/strict';
import Ajv2020 from 'ajv/dist/2020.js';

const here = dirname(fileURLToPath(import.meta.url));
export const root = join(here, '..', '..');
export const BIN = process.env.DROPONAIRD || join(root, 'build', 'droponaird');
export const openapi = JSON.parse(readFileSync(join(root, 'docs', 'openapi.json'), 'utf8'));

const ajv = new Ajv2020({ strict: false, allErrors: true });
ajv.addSchema(openapi, 'openapi.json');

// A fresh directory that is removed when the test process exits.
export function tempDir() {
  const dir = mkdtempSync(join(tmpdir(), 'dpa-it-'));
  process.on('exit', () => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

// Runs a droponaird subcommand; returns stdout. Throws on a non-zero exit.
export function cli(args) {
  return execFileSync(BIN, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

// Creates an app with the real CLI: {appId, kid, secret, plan}.
export function createApp(db, plan = 'business', extra = []) {
  const out = cli(['app', 'create', '--db', db, '--name', `app-${plan}`, '--plan', plan, ...extra]);
  const lines = out.trim().split('\n');
  assert.equal(lines.length, 1, 'app create prints exactly one line');
  return JSON.parse(lines[0]);
}

const b64url = (v) => Buffer.from(typeof v === 'string' ? v : JSON.stringify(v)).toString('base64url');

// Signs claims as an HS256 JWT. opts.header overrides header fields,
// opts.alg the header's alg, opts.secret the key.
export function sign(claims, secret, header = {}) {
  const h = b64url({ alg: 'HS256', typ: 'JWT', ...header });
  const p = b64url(claims);
  const algo = { HS256: 'sha256', HS384: 'sha384', HS512: 'sha512' }[header.alg || 'HS256'];
  const sig = algo ? createHmac(algo, secret).update(`${h}.${p}`).digest('base64url') : '';
  return `${h}.${p}.${sig}`;
}

// A valid token for user of app (by kid), valid for an hour.
export function tokenFor(app, user, extra = {}) {
  const now = Math.floor(Date.now() / 1000);
  return sign({ sub: user, iat: now, exp: now + 3600, ...extra }, app.secret, { kid: app.kid });
}

// Starts droponaird; resolves to {url, port, db, dir, proc, stop(), kill(), logs()}.
// opts.prefix runs the server under a wrapper that execs it (e.g. prlimit).
// port: a fixed port (to start it again on the same address); 0, a free one.
// env: variables added to the environment (DROPONAIR_*, say). bare: no
// --listen and --db flags (a config file or the environment gives them).
// With DPA_CLUSTER=N in the environment it starts N processes sharing one
// PostgreSQL and one Redis instead (cluster.mjs), behind an object that looks
// like one server: WsClient.open and api() go round-robin over the processes
// (scripts/cluster-suite.sh runs the WebSocket suites that way).
export async function startServer(opts = {}) {
  if (process.env.DPA_CLUSTER) return (await import('./cluster.mjs')).clusterAsServer(opts, Number(process.env.DPA_CLUSTER));
  return startProcess(opts);
}

// One droponaird process, whatever DPA_CLUSTER says (what startServer does without it).
export async function startProcess({ dir = tempDir(), args = [], plans = null, db, prefix = [], port: fixedPort = 0, env = {}, bare = false } = {}) {
  db = db || `sqlite:${join(dir, 'droponair.db')}`;
  const extra = [...args];
  if (plans) {
    const file = join(dir, 'plans.json');
    writeFileSync(file, JSON.stringify(plans));
    extra.push('--plans', file);
  }
  const argv = [BIN, 'serve', ...(bare ? [] : ['--listen', `127.0.0.1:${fixedPort}`, '--db', db]), ...extra];
  const proc = spawn(prefix.length ? prefix[0] : BIN, [...prefix.slice(1), ...(prefix.length ? argv : argv.slice(1))],
    { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } });
  let stderr = '';
  let stdout = '';
  proc.stdout.on('data', (d) => { stdout += d; });
  const port = await new Promise((resolve, reject) => {
    // A server that never says it listens is stopped, not left behind.
    const timer = setTimeout(() => { proc.kill('SIGKILL'); reject(new Error(`server did not start:\n${stderr}`)); }, 15000);
    proc.stderr.on('data', (d) => {
      stderr += d;
      const m = /msg="listening" addr=[^:]+:(\d+)/.exec(stderr);
      if (m) { clearTimeout(timer); resolve(Number(m[1])); }
    });
    proc.on('exit', (code) => { clearTimeout(timer); reject(new Error(`server exited ${code}:\n${stderr}`)); });
  });
  const exited = new Promise((resolve) => proc.on('exit', (code, signal) => resolve({ code, signal })));
  return {
    url: `http://127.0.0.1:${port}`, port, db, dir, proc,
    logs: () => stderr,
    stdout: () => stdout,
    // SIGTERM must drain and exit 0 (under ASan a leak makes it non-zero).
    async stop() {
      proc.kill('SIGTERM');
      const { code, signal } = await exited;
      assert.equal(signal, null, `server died by ${signal}:\n${stderr.slice(-4000)}`);
      assert.equal(code, 0, `server exit code ${code}:\n${stderr.slice(-4000)}`);
    },
    async kill() {
      proc.kill('SIGKILL');
      await exited;
    },
  };
}

// The OpenAPI operation for a concrete path, and its template.
function findOperation(method, path) {
  const clean = path.split('?')[0];
  for (const [tpl, item] of Object.entries(openapi.paths)) {
    const re = new RegExp('^' + tpl.replace(/\{[^}]+\}/g, '[^/]+') + '/?$');
    if (re.test(clean)) return { tpl, op: item[method.toLowerCase()] };
  }
  return null;
}

const esc = (s) => s.replace(/~/g, '~0').replace(/\//g, '~1');

// Checks a response against the document: its status must be documented for
// the operation and its JSON body must match that status's schema.
export function checkContract(method, path, status, body, contentType) {
  const found = findOperation(method, path);
  if (!found || !found.op) {
    // Answers given before routing (docs/openapi.json, info.description).
    if ([400, 404, 405, 411, 413, 431, 503].includes(status)) {
      if (body !== null) validate('#/components/schemas/Error', body, `${method} ${path}`);
      return;
    }
    assert.fail(`${method} ${path} is not in docs/openapi.json`);
  }
  const resp = found.op.responses[String(status)];
  assert.ok(resp, `${method} ${found.tpl} ${status} is not documented in docs/openapi.json`);
  if (!resp.content) {
    assert.equal(body, null, `${method} ${found.tpl} ${status} should have no body`);
    return;
  }
  const media = Object.keys(resp.content)[0];
  if (media !== 'application/json') {
    assert.ok(contentType.startsWith(media.split(';')[0]), `content-type ${contentType}`);
    return;
  }
  const ptr = `#/paths/${esc(found.tpl)}/${method.toLowerCase()}/responses/${status}/content/application~1json/schema`;
  validate(ptr, body, `${method} ${found.tpl} ${status}`);
}

function validate(ptr, body, what) {
  const v = ajv.getSchema(`openapi.json${ptr}`);
  assert.ok(v, `no schema at ${ptr}`);
  if (!v(body)) assert.fail(`${what}: body does not match docs/openapi.json: ${ajv.errorsText(v.errors)}\n${JSON.stringify(body)}`);
}

// Calls the API. Returns {status, headers, body} (body parsed when JSON).
// Every response is checked against the OpenAPI document.
// A cluster (DPA_CLUSTER) answers through its next process; its /metrics is
// the sum over the processes (sumMetrics).
export async function api(server, method, path, opts = {}) {
  if (server.pick && method === 'GET' && path === '/metrics') {
    const each = await Promise.all(server.nodes.map((n) => api(n, method, path, opts)));
    return { ...each[0], body: sumMetrics(each.map((r) => r.body)) };
  }
  const { token, body, headers = {}, raw, signal } = opts;
  if (server.pick) server = server.pick('api');
  const h = { ...headers };
  if (token) h.authorization = `Bearer ${token}`;
  let payload;
  if (raw !== undefined) payload = raw;
  else if (body !== undefined) {
    payload = JSON.stringify(body);
    h['content-type'] = h['content-type'] || 'application/json';
  }
  const res = await fetch(server.url + path, { method, headers: h, body: payload, signal });
  const text = await res.text();
  const ct = res.headers.get('content-type') || '';
  let parsed = null;
  if (text.length && ct.startsWith('application/json')) parsed = JSON.parse(text);
  else if (text.length) parsed = text;
  if (method !== 'OPTIONS') checkContract(method, path, res.status, parsed, ct);
  if (res.status >= 400 && parsed && parsed.error) {
    assert.equal(typeof parsed.error.code, 'string');
  }
  return { status: res.status, headers: res.headers, body: parsed };
}

// Several /metrics texts as one: each sample (name and labels) is the sum
// of its values, as Prometheus's sum() by the same labels would give.
export function sumMetrics(texts) {
  const lines = [];
  const sums = new Map();
  for (const text of texts) {
    for (const line of text.split('\n')) {
      const m = /^([^#\s][^ ]*) (\S+)$/.exec(line);
      if (!m) {
        if (line && !lines.includes(line)) lines.push(line);
        continue;
      }
      if (!sums.has(m[1])) lines.push(m[1]);
      sums.set(m[1], (sums.get(m[1]) || 0) + Number(m[2]));
    }
  }
  return lines.map((l) => (sums.has(l) ? `${l} ${sums.get(l)}` : l)).join('\n') + '\n';
}

// Asserts an error reply: status, code and (when given) field.
export function assertError(res, status, code, field) {
  assert.equal(res.status, status, `expected ${status} ${code}, got ${res.status} ${JSON.stringify(res.body)}`);
  assert.equal(res.body.error.code, code);
  if (field !== undefined) assert.equal(res.body.error.field, field);
}

// ---- the WebSocket protocol: every frame the server sends is checked ----
import WebSocket from 'ws';

export const protocol = JSON.parse(readFileSync(join(root, 'protocol', 'droponair.v1.json'), 'utf8'));
ajv.addSchema(protocol); // $id droponair.v1.json; it refers to openapi.json for shared shapes

// A copy of a part of the description whose local $refs still point into it.
function rebase(node) {
  if (Array.isArray(node)) return node.map(rebase);
  if (!node || typeof node !== 'object') return node;
  const out = {};
  for (const [k, v] of Object.entries(node)) {
    out[k] = k === '$ref' && typeof v === 'string' && v.startsWith('#') ? `droponair.v1.json${v}` : rebase(v);
  }
  return out;
}

// {fields, required} (an event or session frame), as a closed JSON Schema.
function frameSchema(type, decl, envelope) {
  let d = decl;
  if (d.$ref) d = protocol.$defs[d.$ref.split('/').pop()];
  return {
    type: 'object',
    required: [...(envelope ? envelope.required : ['type']), ...(d.required || [])],
    properties: { ...rebase(envelope ? envelope.fields : {}), ...rebase(d.fields), type: { const: type } },
    additionalProperties: false,
  };
}

function errorReplySchema(codes) {
  return {
    type: 'object',
    required: ['ok', 'error'],
    properties: {
      id: {},
      ok: { const: false },
      error: { allOf: [{ $ref: 'droponair.v1.json#/$defs/ErrorBody' }], properties: { code: { enum: codes } } },
    },
    additionalProperties: false,
  };
}

const allCodes = [...new Set([...protocol.commonErrors.codes, ...Object.values(protocol.commands).flatMap((c) => c.errors)])];
const frameValidators = {
  // What a reply can be when the command it answers is not known (no id, or one not sent by this client).
  anyOk: { where: 'a reply', v: ajv.compile({ type: 'object', required: ['ok'], properties: { ok: { const: true } } }) },
  anyError: { where: 'an error reply', v: ajv.compile(errorReplySchema(allCodes)) },
  commands: {},
  frames: {},
};
for (const [name, c] of Object.entries(protocol.commands)) {
  frameValidators.commands[name] = {
    ok: {
      where: `commands.${name}.reply`,
      v: ajv.compile({
        type: 'object',
        required: ['ok'],
        properties: { id: {}, ok: { const: true } },
        allOf: [{ $ref: `droponair.v1.json#/commands/${name}/reply` }],
        unevaluatedProperties: false,
      }),
    },
    error: { where: `commands.${name}.errors`, v: ajv.compile(errorReplySchema([...new Set([...protocol.commonErrors.codes, ...c.errors])])) },
  };
}
for (const [name, e] of Object.entries(protocol.events)) {
  frameValidators.frames[name] = { where: `events.${name}`, v: ajv.compile(frameSchema(name, e, protocol.event)) };
}
for (const [name, f] of Object.entries(protocol.sessionFrames)) {
  frameValidators.frames[name] = { where: `sessionFrames.${name}`, v: ajv.compile(frameSchema(name, f, null)) };
}

// Checks one connection's frames against protocol/droponair.v1.json: sent()
// learns which command each id names, received() returns null or what is wrong.
export class FrameChecker {
  constructor() { this.sentTypes = new Map(); }

  sent(text) {
    let m;
    try { m = JSON.parse(text); } catch { return; }
    if (!m || typeof m !== 'object' || !('id' in m)) return;
    const key = JSON.stringify(m.id);
    if (!this.sentTypes.has(key)) this.sentTypes.set(key, []);
    this.sentTypes.get(key).push(m.type);
  }

  received(text) {
    let msg;
    try { msg = JSON.parse(text); } catch { return `a frame that is not JSON: ${text.slice(0, 200)}`; }
    let check;
    if (msg && typeof msg === 'object' && 'ok' in msg) {
      const queue = 'id' in msg ? this.sentTypes.get(JSON.stringify(msg.id)) : undefined;
      const type = queue && queue.shift();
      const cmd = typeof type === 'string' ? frameValidators.commands[type] : undefined;
      if (cmd) check = msg.ok === true ? cmd.ok : cmd.error;
      else check = msg.ok === true ? frameValidators.anyOk : frameValidators.anyError;
    } else if (msg && typeof msg === 'object' && typeof msg.type === 'string') {
      check = frameValidators.frames[msg.type];
      if (!check) return `a frame of undeclared type ${msg.type}: ${text.slice(0, 500)}`;
    } else {
      return `a frame that is neither a reply nor an event: ${text.slice(0, 500)}`;
    }
    if (check.v(msg)) return null;
    const errs = check.v.errors.map((e) => `${e.instancePath || '/'} ${e.message} (schema ${e.schemaPath}${e.params && e.params.allowedValues ? ` ${JSON.stringify(e.params.allowedValues)}` : ''}${e.params && e.params.additionalProperty ? ` ${e.params.additionalProperty}` : ''}${e.params && e.params.unevaluatedProperty ? ` ${e.params.unevaluatedProperty}` : ''})`);
    return `frame does not match protocol/droponair.v1.json ${check.where}:\n  ${errs.join('\n  ')}\n  ${text.slice(0, 2000)}`;
  }
}

// Fails the running test (as an uncaught error, after the frame was handled).
function frameFailure(problem) {
  if (problem) process.nextTick(() => { throw new assert.AssertionError({ message: problem }); });
}

// The ws package's WebSocket, checking every frame received against the
// protocol: what the SDK tests hand the SDKs.
export class CheckedWebSocket extends WebSocket {
  constructor(...args) {
    super(...args);
    this.checker = new FrameChecker();
    this.on('message', (data, binary) => { if (!binary) frameFailure(this.checker.received(data.toString())); });
  }

  send(data, ...rest) {
    if (typeof data === 'string') this.checker.sent(data);
    return super.send(data, ...rest);
  }
}

// ---- WebSocket clients ----

// A protocol client: request() sends a command with an id and resolves with
// its reply; events are collected and can be awaited.
export class WsClient {
  constructor(ws) {
    this.ws = ws;
    this.nextId = 1;
    this.pending = new Map();
    this.events = [];
    this.waiters = [];
    this.frames = [];
    this.closed = new Promise((resolve) => ws.on('close', (code, reason) => resolve({ code, reason: reason.toString() })));
    // Every frame received is checked against the protocol; what is sent
    // (also straight through ws.send) tells which command a reply answers.
    this.checker = new FrameChecker();
    const send = ws.send.bind(ws);
    ws.send = (data, ...rest) => {
      if (typeof data === 'string') this.checker.sent(data);
      return send(data, ...rest);
    };
    ws.on('message', (data) => {
      const msg = JSON.parse(data.toString());
      frameFailure(this.checker.received(data.toString()));
      this.frames.push(msg);
      if (msg.id !== undefined && this.pending.has(msg.id)) {
        this.pending.get(msg.id)(msg);
        this.pending.delete(msg.id);
        return;
      }
      if (msg.type) {
        this.events.push(msg);
        this.waiters = this.waiters.filter((w) => !w(msg));
      }
    });
  }

  // On a cluster (DPA_CLUSTER), each connection goes to its next process.
  static async open(server, { token, query = '', protocol = 'droponair.v1', headers = {} } = {}) {
    if (server.pick) server = server.pick('ws');
    const h = { ...headers };
    if (token) h.authorization = `Bearer ${token}`;
    const ws = new WebSocket(`ws://127.0.0.1:${server.port}/api/ws${query}`, protocol ? [protocol] : [], { headers: h });
    const c = new WsClient(ws); // listening before 'open': the server may speak first
    await new Promise((resolve, reject) => { ws.once('open', resolve); ws.once('error', reject); });
    return c;
  }

  // Opens and authenticates with an AUTH frame.
  static async connect(server, token) {
    const c = await WsClient.open(server);
    const r = await c.request({ type: 'AUTH', token });
    assert.equal(r.ok, true, JSON.stringify(r));
    c.userId = r.userId;
    c.resumeToken = r.resumeToken;
    return c;
  }

  request(cmd, timeout = 5000) {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`no reply to ${JSON.stringify(cmd)}`)), timeout);
      this.pending.set(id, (m) => { clearTimeout(t); resolve(m); });
      this.sendRaw(JSON.stringify({ id, ...cmd }));
    });
  }

  sendRaw(text) { this.ws.send(text); }

  // Resolves with the first event (already seen or future) matching type and pred.
  waitEvent(type, pred = () => true, timeout = 5000) {
    const seen = this.events.find((e) => e.type === type && pred(e));
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`no ${type} event; got ${JSON.stringify(this.events.map((e) => e.type))}`)), timeout);
      this.waiters.push((e) => {
        if (e.type === type && pred(e)) { clearTimeout(t); resolve(e); return true; }
        return false;
      });
    });
  }

  eventsOf(type) { return this.events.filter((e) => e.type === type); }

  lastSeq() { return this.events.reduce((m, e) => Math.max(m, e.seq || 0), 0); }

  close() { this.ws.close(); return this.closed; }
  terminate() { this.ws.terminate(); return this.closed; }
}

// Opens a TCP connection that sends nothing; resolves once connected with
// {sock, data(), closed}.
export function idle(port) {
  return new Promise((resolve) => {
    let data = '';
    const sock = connect(port, '127.0.0.1');
    const closed = new Promise((r) => sock.on('close', r));
    sock.on('data', (d) => { data += d; });
    sock.on('error', () => {});
    sock.on('connect', () => resolve({ sock, data: () => data, closed }));
    closed.then(() => resolve({ sock, data: () => data, closed }));
  });
}

// Short pause, for "nothing else arrives" checks.
export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// Polls fn until it returns something truthy or ms pass; returns the last value.
export async function eventually(fn, ms = 5000) {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v || Date.now() > end) return v;
    await new Promise((r) => setTimeout(r, 50));
  }
}
