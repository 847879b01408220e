#!/usr/bin/env node
// Sign credentials with eddsa-rdfc-2022 using the Digital Bazaar reference stack.
//
// stdin: {credential, seedHex | (secretKeyMultibase + publicKeyMultibase), verificationMethod?,
//         controller?, created?, didDocuments?, method?: "vc" | "jsigs", proofAsArray?}
//   or an array of those, or {batch: [...], ...shared defaults}.
// stdout: the signed credential (or an array of them; a failed item is {error}).
// `created`: a dateTimeStamp fixes it, null omits it, absent means now.
// method "vc" (default) uses @digitalbazaar/vc issue(); "jsigs" uses jsonld-signatures sign()
// with AssertionProofPurpose (for credentials that vc.issue() refuses to touch).
import jsigs from 'jsonld-signatures';
import {
  vc, importKey, signingSuite, offlineDocumentLoader, installOfflineGuard, main,
} from './lib.mjs';

installOfflineGuard();

await main(async request => {
  const {
    credential, created, method = 'vc', didDocuments, documents, proofAsArray = false,
  } = request;
  if(!credential || typeof credential !== 'object') {
    throw new Error('input needs a credential object');
  }
  const key = await importKey(request);
  const suite = signingSuite(key, created);
  const documentLoader = offlineDocumentLoader({didDocuments, documents});
  const document = structuredClone(credential);
  let signed;
  if(method === 'jsigs') {
    signed = await jsigs.sign(document, {
      suite, purpose: new jsigs.purposes.AssertionProofPurpose(), documentLoader,
    });
  } else if(method === 'vc') {
    signed = await vc.issue({credential: document, suite, documentLoader});
  } else {
    throw new Error(`unknown method ${method}`);
  }
  if(proofAsArray && !Array.isArray(signed.proof)) {
    // What the OB3 JSON schema requires; the proof is not part of what it signs.
    signed.proof = [signed.proof];
  }
  return signed;
});
