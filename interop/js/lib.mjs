// Shared pieces of microcred's JS interop harness: an offline-only JSON-LD document loader, key
// import, the eddsa-rdfc-2022 suite and the stdin/stdout JSON protocol.
//
// Offline means offline: contexts come only from microcred's pinned files
// (src/microcred/vc/contexts/, registry in src/microcred/vc/contexts.py, sha256-checked here
// too), did:key is expanded locally, did:web documents and any other document (status lists)
// only from maps passed in the input. Every other URL throws. On top of that, installOfflineGuard()
// makes any socket connection or fetch() in this process fail, so a library that tries to reach
// the network (verifier-core fetches the OB3 JSON schema) cannot do so behind our back.

import {createHash} from 'node:crypto';
import {readFileSync, existsSync} from 'node:fs';
import net from 'node:net';
import dns from 'node:dns';
import path from 'node:path';
import {fileURLToPath} from 'node:url';

import * as vc from '@digitalbazaar/vc';
import {DataIntegrityProof} from '@digitalbazaar/data-integrity';
import {cryptosuite as eddsaRdfc2022} from '@digitalbazaar/eddsa-rdfc-2022-cryptosuite';
import * as Ed25519Multikey from '@digitalbazaar/ed25519-multikey';
import {driver as didKeyDriver} from '@digitalbazaar/did-method-key';

export {vc, DataIntegrityProof, eddsaRdfc2022, Ed25519Multikey};

const here = path.dirname(fileURLToPath(import.meta.url));
export const REPO = path.resolve(here, '..', '..');
const VC_DIR = path.join(REPO, 'src', 'microcred', 'vc');
const CONTEXTS_DIR = process.env.MICROCRED_CONTEXTS_DIR || path.join(VC_DIR, 'contexts');
const MULTIKEY_V1 = 'https://w3id.org/security/multikey/v1';

// Used only when src/microcred/vc/contexts.py cannot be read (e.g. the harness copied elsewhere).
const FALLBACK_CONTEXT_FILES = {
  'https://www.w3.org/ns/credentials/v2': 'credentials-v2.jsonld',
  'https://www.w3.org/2018/credentials/v1': 'credentials-v1.jsonld',
  'https://www.w3.org/ns/credentials/examples/v2': 'credentials-examples-v2.jsonld',
  'https://www.w3.org/ns/credentials/status/v1': 'credentials-status-v1.jsonld',
  'https://w3id.org/security/data-integrity/v1': 'data-integrity-v1.jsonld',
  'https://w3id.org/security/data-integrity/v2': 'data-integrity-v2.jsonld',
  'https://w3id.org/security/multikey/v1': 'multikey-v1.jsonld',
  'https://www.w3.org/ns/did/v1': 'did-v1.jsonld',
  'https://w3id.org/security/suites/ed25519-2020/v1': 'ed25519-2020-v1.jsonld',
  'https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.1.json': 'ob-v3p0-context-3.0.1.json',
  'https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.2.json': 'ob-v3p0-context-3.0.2.json',
  'https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json': 'ob-v3p0-context-3.0.3.json',
  'https://purl.imsglobal.org/spec/ob/v3p0/extensions.json': 'ob-v3p0-extensions.json',
  'https://purl.imsglobal.org/spec/clr/v2p0/context-2.0.1.json': 'clr-v2p0-context-2.0.1.json',
};

// The OB3 JSON schema URL verifier-core fetches, served from microcred's pinned copy.
const OB3_SCHEMA_URL =
  'https://purl.imsglobal.org/spec/ob/v3p0/schema/json/ob_v3p0_achievementcredential_schema.json';
const OB3_SCHEMA_FILE = path.join(VC_DIR, 'schemas', 'ob_v3p0_achievementcredential.json');

/** URL → {file, sha256|null}, read from microcred's registry (contexts.py) when present. */
function contextRegistry() {
  const registryFile = path.join(VC_DIR, 'contexts.py');
  if(!process.env.MICROCRED_CONTEXTS_DIR && existsSync(registryFile)) {
    const source = readFileSync(registryFile, 'utf8');
    const constants = new Map();
    for(const m of source.matchAll(/^([A-Z][A-Z0-9_]*) = "(https?:\/\/[^"]+)"$/gm)) {
      constants.set(m[1], m[2]);
    }
    const entries = new Map();
    const entryRe = /ContextEntry\(\s*([A-Z][A-Z0-9_]*),\s*"([^"]+)",\s*(?:#[^\n]*\n\s*)*"([0-9a-f]{64})"/g;
    for(const m of source.matchAll(entryRe)) {
      const url = constants.get(m[1]);
      if(url) {
        entries.set(url, {file: m[2], sha256: m[3]});
      }
    }
    if(entries.size > 0) {
      return {source: 'src/microcred/vc/contexts.py', entries};
    }
  }
  const entries = new Map(Object.entries(FALLBACK_CONTEXT_FILES)
    .map(([url, file]) => [url, {file, sha256: null}]));
  return {source: 'built-in map', entries};
}

let _contexts;
/** URL → parsed context (digest-checked against the registry). */
export function pinnedContexts() {
  if(_contexts) {
    return _contexts;
  }
  const {source, entries} = contextRegistry();
  const contexts = new Map();
  for(const [url, {file, sha256}] of entries) {
    const filePath = path.join(CONTEXTS_DIR, file);
    if(!existsSync(filePath)) {
      continue;
    }
    const bytes = readFileSync(filePath);
    const digest = createHash('sha256').update(bytes).digest('hex');
    if(sha256 && digest !== sha256) {
      throw new Error(`pinned context ${file} has sha256 ${digest}, registry says ${sha256}`);
    }
    contexts.set(url, JSON.parse(bytes.toString('utf8')));
  }
  _contexts = contexts;
  _contexts.source = source;
  return contexts;
}

const didKey = didKeyDriver();
didKey.use({multibaseMultikeyHeader: 'z6Mk', fromMultibase: Ed25519Multikey.from});

/** did:web DID → the https URL of its did.json (did:web method §3.2 "Read"). */
export function didWebUrl(did) {
  const parts = did.slice('did:web:'.length).split(':').map(decodeURIComponent);
  const host = parts.shift();
  return `https://${host}/${parts.length ? parts.join('/') : '.well-known'}/did.json`;
}

function dereference(document, url) {
  // A fragment URL dereferences to the verification method (with a context, as did-io does).
  const [, fragment] = url.split('#');
  if(fragment === undefined) {
    return document;
  }
  const methods = [
    ...(document.verificationMethod || []),
    ...(document.assertionMethod || []).filter(m => typeof m === 'object'),
  ];
  const method = methods.find(m => m.id === url || m.id === `#${fragment}`);
  if(!method) {
    throw new Error(`offline documentLoader: ${url} is not in the DID document`);
  }
  return {
    '@context': method.type === 'Multikey' ? MULTIKEY_V1 : document['@context'],
    ...method,
    id: method.id.startsWith('#') ? `${document.id}${method.id}` : method.id,
  };
}

/**
 * The offline document loader. `didDocuments` maps a DID (did:web or another non-did:key DID)
 * to its document; `documents` maps any other URL (e.g. a status list credential) to JSON.
 */
export function offlineDocumentLoader({didDocuments = {}, documents = {}, log} = {}) {
  const contexts = pinnedContexts();
  return async function documentLoader(url) {
    log?.push(url);
    if(contexts.has(url)) {
      return {contextUrl: null, documentUrl: url, document: structuredClone(contexts.get(url))};
    }
    if(Object.hasOwn(documents, url)) {
      return {contextUrl: null, documentUrl: url, document: structuredClone(documents[url])};
    }
    if(typeof url === 'string' && url.startsWith('did:')) {
      const did = url.split('#')[0];
      if(Object.hasOwn(didDocuments, did)) {
        const document = didDocuments[did];
        if(document.id !== did) {
          throw new Error(`offline documentLoader: document for ${did} has id ${document.id}`);
        }
        return {contextUrl: null, documentUrl: url, document: structuredClone(dereference(document, url))};
      }
      if(url.startsWith('did:key:')) {
        return {contextUrl: null, documentUrl: url, document: await didKey.get({url})};
      }
    }
    throw new Error(`offline documentLoader refuses ${url}`);
  };
}

/** Make every network attempt in this process fail; fetch() serves only the offline map. */
export function installOfflineGuard({didDocuments = {}, documents = {}, refused = []} = {}) {
  const refuse = what => {
    refused.push(what);
    return new Error(`offline: network access refused (${what})`);
  };
  net.Socket.prototype.connect = function() {
    throw refuse('socket connect');
  };
  dns.lookup = (host, ...rest) => {
    const callback = rest.at(-1);
    process.nextTick(() => callback(refuse(`dns ${host}`)));
  };
  const contexts = pinnedContexts();
  const byUrl = new Map();
  for(const [did, document] of Object.entries(didDocuments)) {
    if(did.startsWith('did:web:')) {
      byUrl.set(didWebUrl(did), document);
    }
  }
  for(const [url, document] of Object.entries(documents)) {
    byUrl.set(url, document);
  }
  for(const [url, document] of contexts) {
    byUrl.set(url, document);
  }
  if(existsSync(OB3_SCHEMA_FILE)) {
    byUrl.set(OB3_SCHEMA_URL, JSON.parse(readFileSync(OB3_SCHEMA_FILE, 'utf8')));
  }
  globalThis.fetch = async (resource, init) => {
    const url = typeof resource === 'string' ? resource : (resource.url ?? String(resource));
    const key = url.split('#')[0];
    if(!byUrl.has(key)) {
      throw refuse(url);
    }
    const contentType = key.endsWith('.json') && !key.includes('/context') ?
      'application/json' : 'application/ld+json';
    return new Response(JSON.stringify(byUrl.get(key)), {
      status: 200, headers: {'content-type': contentType},
    });
  };
  return refused;
}

// --- keys -----------------------------------------------------------------------------------

/**
 * An Ed25519 Multikey key pair with signer, from `seedHex` (32-byte seed) or
 * `secretKeyMultibase` (z3u2…, with `publicKeyMultibase`). `controller` defaults to the did:key
 * of the public key and `verificationMethod` to `${controller}#${publicKeyMultibase}`.
 */
export async function importKey({seedHex, secretKeyMultibase, publicKeyMultibase,
  verificationMethod, controller}) {
  let key;
  if(seedHex) {
    const seed = Uint8Array.from(Buffer.from(seedHex, 'hex'));
    if(seed.length !== 32) {
      throw new Error('seedHex must be 32 bytes of hex');
    }
    key = await Ed25519Multikey.generate({seed});
    if(publicKeyMultibase && publicKeyMultibase !== key.publicKeyMultibase) {
      throw new Error('publicKeyMultibase does not match seedHex');
    }
  } else if(secretKeyMultibase) {
    if(!publicKeyMultibase) {
      throw new Error('secretKeyMultibase needs publicKeyMultibase');
    }
    key = await Ed25519Multikey.from({
      type: 'Multikey', publicKeyMultibase, secretKeyMultibase,
    });
  } else {
    throw new Error('a key is needed: seedHex or secretKeyMultibase + publicKeyMultibase');
  }
  const did = controller || `did:key:${key.publicKeyMultibase}`;
  key.controller = did;
  key.id = verificationMethod || `${did}#${key.publicKeyMultibase}`;
  return key;
}

// --- suites -----------------------------------------------------------------------------------

export function signingSuite(key, created) {
  // created: a dateTimeStamp string, null (no `created`), or undefined (now).
  return new DataIntegrityProof({signer: key.signer(), cryptosuite: eddsaRdfc2022, date: created});
}

export function verifyingSuite() {
  return new DataIntegrityProof({cryptosuite: eddsaRdfc2022});
}

// --- protocol ---------------------------------------------------------------------------------

export async function readStdinJson() {
  const chunks = [];
  for await (const chunk of process.stdin) {
    chunks.push(chunk);
  }
  return JSON.parse(Buffer.concat(chunks).toString('utf8'));
}

/** One error as plain JSON: message, name, and the nested causes libraries attach. */
export function describeError(error) {
  if(!error) {
    return undefined;
  }
  if(Array.isArray(error)) {
    return error.map(describeError).join('; ');
  }
  const parts = [];
  const seen = new Set();
  const walk = e => {
    if(!e || seen.has(e)) {
      return;
    }
    seen.add(e);
    if(e.message) {
      parts.push(e.name && e.name !== 'Error' ? `${e.name}: ${e.message}` : e.message);
    }
    // jsonld.js safe-mode errors carry the offending event (code, message, term/IRI).
    const event = e.details?.event;
    if(event) {
      parts.push(`safe mode: ${event.code}: ${event.message} ${JSON.stringify(event.details ?? {})}`);
    }
    for(const inner of e.errors || []) {
      walk(inner);
    }
    walk(e.cause);
    if(e.details?.cause) {
      walk(e.details.cause);
    }
  };
  walk(error);
  return [...new Set(parts)].join(' <- ') || String(error);
}

/**
 * Run `handle` over one request or a batch (a JSON array, or `{batch: [...]}` sharing the other
 * keys as defaults) and print the result(s). Exit 1 if any request raised.
 */
export async function main(handle) {
  let input;
  try {
    input = await readStdinJson();
  } catch(error) {
    process.stderr.write(`bad JSON on stdin: ${error.message}\n`);
    process.exit(2);
  }
  // Libraries that print (verifier-core logs schema errors with console.log) must not corrupt
  // the JSON on stdout.
  console.log = (...args) => console.error(...args);
  let failed = false;
  const one = async request => {
    try {
      return await handle(request);
    } catch(error) {
      failed = true;
      return {error: describeError(error)};
    }
  };
  let output;
  if(Array.isArray(input)) {
    output = [];
    for(const request of input) {
      output.push(await one(request));
    }
  } else if(Array.isArray(input?.batch)) {
    const {batch, ...defaults} = input;
    output = [];
    for(const request of batch) {
      output.push(await one({...defaults, ...request}));
    }
  } else {
    output = await one(input);
  }
  process.stdout.write(JSON.stringify(output) + '\n');
  process.exitCode = failed ? 1 : 0;
}
