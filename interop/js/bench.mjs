#!/usr/bin/env node
// Time the JS reference: eddsa-rdfc-2022 sign (vc.issue) and verify (vc.verifyCredential) of one
// credential, N times each after a warm-up, in one process (so jsonld.js context caches are warm,
// as in a long-running verifier).
//
// stdin: {credential, n?: 200, warmup?: 20, seedHex | (secretKeyMultibase + publicKeyMultibase)?,
//         verificationMethod?, controller?, created?}
//   Without a key a fixed test key is used and the credential's issuer (id) is set to its did:key,
//   so that verification (issuer = key controller) succeeds.
// stdout: {n, signMedianMs, verifyMedianMs, signPerSec, verifyPerSec, bytes, node, versions}
import {readFileSync} from 'node:fs';
import path from 'node:path';
import {performance} from 'node:perf_hooks';
import {
  vc, importKey, signingSuite, verifyingSuite, offlineDocumentLoader, installOfflineGuard, main,
} from './lib.mjs';

installOfflineGuard();

function version(name) {
  // The top-level (hoisted) copy: the one @digitalbazaar/vc and the cryptosuite use.
  const file = path.join(import.meta.dirname, 'node_modules', name, 'package.json');
  return JSON.parse(readFileSync(file, 'utf8')).version;
}

function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

await main(async request => {
  const {n = 200, warmup = 20, created = '2026-01-01T00:00:00Z'} = request;
  let {credential} = request;
  if(!credential || typeof credential !== 'object') {
    throw new Error('input needs a credential object');
  }
  credential = structuredClone(credential);
  delete credential.proof;
  const keyRequest = request.seedHex || request.secretKeyMultibase ? request :
    {...request, seedHex: '9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60'};
  const key = await importKey(keyRequest);
  if(!request.seedHex && !request.secretKeyMultibase) {
    if(typeof credential.issuer === 'object' && credential.issuer) {
      credential.issuer.id = key.controller;
    } else {
      credential.issuer = key.controller;
    }
  }
  const documentLoader = offlineDocumentLoader({didDocuments: request.didDocuments});
  const suite = signingSuite(key, created);
  const verifySuite = verifyingSuite();
  // No status check here: the timing is of the proof, not of fetching a status list.
  const checkStatus = async () => ({verified: true});

  const signOnce = () => vc.issue({credential: structuredClone(credential), suite, documentLoader});
  let signed;
  for(let i = 0; i < warmup; i++) {
    signed = await signOnce();
  }
  const verifyOnce = async () => {
    const result = await vc.verifyCredential({
      credential: signed, suite: verifySuite, documentLoader, checkStatus,
    });
    if(!result.verified) {
      throw new Error(`benchmark credential does not verify: ${result.error?.message}`);
    }
  };
  for(let i = 0; i < warmup; i++) {
    await verifyOnce();
  }
  const signTimes = [];
  for(let i = 0; i < n; i++) {
    const start = performance.now();
    signed = await signOnce();
    signTimes.push(performance.now() - start);
  }
  const verifyTimes = [];
  for(let i = 0; i < n; i++) {
    const start = performance.now();
    await verifyOnce();
    verifyTimes.push(performance.now() - start);
  }
  const signMedianMs = median(signTimes);
  const verifyMedianMs = median(verifyTimes);
  return {
    n,
    signMedianMs,
    verifyMedianMs,
    signPerSec: 1000 / signMedianMs,
    verifyPerSec: 1000 / verifyMedianMs,
    bytes: Buffer.byteLength(JSON.stringify(signed)),
    node: process.version,
    versions: Object.fromEntries([
      '@digitalbazaar/vc', '@digitalbazaar/data-integrity',
      '@digitalbazaar/eddsa-rdfc-2022-cryptosuite', 'jsonld', 'rdf-canonize',
    ].map(name => [name, version(name)])),
  };
});
