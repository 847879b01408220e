#!/usr/bin/env node
// Verify credentials with the reference JS verifiers, offline.
//
// stdin: {credential, didDocuments?: {did: document}, documents?: {url: json}, now?,
//         verifierCore?: bool (default true), statusCheck?: bool (default true)}
//   or an array of those, or {batch: [...], ...shared defaults}.
// stdout: {verified, error?, status, proofVerified, proofError?, verifierCore?, loaded, refused}
//   per credential, where
//   verified/error — @digitalbazaar/vc verifyCredential() with DataIntegrityProof +
//     eddsa-rdfc-2022 and its default CredentialIssuancePurpose (issuer must be the key's
//     controller, the verification method must be in the controller's assertionMethod), the
//     offline document loader of lib.mjs, and the validity period checked at `now`;
//   proofVerified — jsonld-signatures verify() with AssertionProofPurpose only (the signature
//     and key, without the issuer binding and validity period);
//   statusSet — true when a checked status bit is set (revoked/suspended): @digitalbazaar/vc
//     leaves `verified` true in that case, the caller must look at this;
//   status — "none" (no credentialStatus), "checked" (BitstringStatusList verified from a
//     status list credential given in `documents`) or "not checked" (none given: the status
//     step is skipped, which is said here rather than hidden);
//   verifierCore — @digitalcredentials/verifier-core verifyCredential() with no issuer
//     registries; its own bundled contexts and did resolvers, every fetch() answered only from
//     the same offline map (pinned contexts, `documents`, did:web `didDocuments`, the pinned
//     OB3 JSON schema) and all sockets refused.
// A credential that does not verify is a normal result (exit 0); bad input exits non-zero.
import jsigs from 'jsonld-signatures';
import {checkStatus as checkBitstringStatus} from '@digitalbazaar/vc-bitstring-status-list';
import {
  vc, verifyingSuite, offlineDocumentLoader, installOfflineGuard, describeError, main,
} from './lib.mjs';

const refused = [];
installOfflineGuard({refused});

let verifierCore;
async function loadVerifierCore() {
  if(verifierCore === undefined) {
    try {
      verifierCore = await import('@digitalcredentials/verifier-core');
    } catch(error) {
      verifierCore = {unavailable: describeError(error)};
    }
  }
  return verifierCore;
}

function summarizeVerifierCore(result) {
  const errors = (result.errors || []).map(e => ({name: e.name, message: e.message}));
  const log = (result.log || []).map(step => ({
    id: step.id, valid: step.valid, ...(step.error ? {error: step.error} : {}),
  }));
  const step = id => log.find(s => s.id === id);
  const signature = step('valid_signature');
  // A step that errored (e.g. a status list that could not be loaded) is not a pass.
  const failed = log.some(s => s.id !== 'registered_issuer' && (s.valid === false || s.error));
  const schema = (result.additionalInformation || []).find(i => i.id === 'schema_check');
  return {
    // verified = signature checked and good, no other step failed; an unknown issuer (no
    // registries configured here) is reported but not counted.
    verified: errors.length === 0 && signature?.valid === true && !failed,
    signatureValid: signature?.valid === true,
    errors,
    log,
    schema: schema ? (Array.isArray(schema.results) ?
      schema.results.map(r => ({schema: r.schema, valid: r.result?.valid,
        errors: (r.result?.errors || []).slice(0, 5).map(e => `${e.instancePath} ${e.message}`)})) :
      schema.results) : undefined,
  };
}

await main(async request => {
  const {
    credential, didDocuments = {}, documents = {}, now,
    verifierCore: wantCore = true, statusCheck = true,
  } = request;
  if(!credential || typeof credential !== 'object') {
    throw new Error('input needs a credential object');
  }
  // fetch() (used by verifier-core) answers only from this request's offline map.
  installOfflineGuard({didDocuments, documents, refused});
  refused.length = 0;
  const loaded = [];
  const documentLoader = offlineDocumentLoader({didDocuments, documents, log: loaded});
  const suite = verifyingSuite();

  let status = 'none';
  let checkStatus;
  if(credential.credentialStatus) {
    const entries = [].concat(credential.credentialStatus);
    const haveLists = entries.every(e => e && Object.hasOwn(documents, e.statusListCredential));
    if(statusCheck && haveLists) {
      status = 'checked';
      checkStatus = checkBitstringStatus;
    } else {
      status = 'not checked';
      checkStatus = async () => ({verified: true});
    }
  }

  const result = await vc.verifyCredential({
    credential: structuredClone(credential), suite, documentLoader, checkStatus,
    ...(now ? {now} : {}),
  });
  const output = {verified: result.verified === true, status};
  if(!output.verified) {
    output.error = describeError(result.error) ||
      describeError(result.results?.find(r => !r.verified)?.error) ||
      describeError(result.statusResult?.error) || 'not verified';
  }
  if(result.statusResult) {
    // NB: @digitalbazaar/vc's `verified` stays true for a revoked credential: its checkStatus
    // reports whether the status could be checked; the bit itself is in results[].status.
    output.statusSet = (result.statusResult.results || []).some(r => r.status === true);
    output.statusResult = {
      verified: result.statusResult.verified,
      results: (result.statusResult.results || []).map(r => ({
        verified: r.verified, status: r.status, purpose: r.credentialStatus?.statusPurpose,
      })),
    };
  }
  output.loaded = [...new Set(loaded)];

  // The proof alone (jsonld-signatures, AssertionProofPurpose): no issuer binding, no validity
  // period — tells a bad signature apart from a credential-level rejection.
  const proofOnly = await jsigs.verify(structuredClone(credential), {
    suite, purpose: new jsigs.purposes.AssertionProofPurpose(), documentLoader,
  });
  output.proofVerified = proofOnly.verified === true;
  if(!output.proofVerified) {
    output.proofError = describeError(proofOnly.error) || 'not verified';
  }

  if(wantCore) {
    const core = await loadVerifierCore();
    if(core.unavailable) {
      output.verifierCore = {unavailable: core.unavailable};
    } else {
      const coreResult = await core.verifyCredential({
        credential: structuredClone(credential), knownDIDRegistries: [],
      });
      output.verifierCore = summarizeVerifierCore(coreResult);
    }
  }
  output.refused = [...new Set(refused)];
  return output;
});
