/**
 * A testnet attestation directory, as `teecast attest init` creates it:
 *   root.key     PKCS#8 DER of the attestation root (P-256). Testnet only: a real root never sits next to nodes.
 *   signer.key   PKCS#8 DER of the enclave-signing key; MRSIGNER = SHA-256 of its public key.
 *   policy.json  the verifier policy: this root, MRSIGNER + ISVPRODID + minimum ISVSVN of the current program.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { generateP256, p256FromPkcs8, p256ToPkcs8, type P256KeyPair } from './crypto.ts'
import { TeeError } from './errors.ts'
import { policyFromJson, policyToJson, type Policy } from './policy.ts'
import { mrSignerOf } from './sim/sigstruct.ts'
import { CURRENT_PROGRAM } from './programs/index.ts'
import { DEFAULT_MAX_CLOCK_SKEW_SEC, DEFAULT_MAX_QUOTE_AGE_SEC } from './constants.ts'

export const ROOT_KEY_FILE = 'root.key'
export const SIGNER_KEY_FILE = 'signer.key'
export const POLICY_FILE = 'policy.json'

export interface AttestDir {
  root: P256KeyPair
  signer: P256KeyPair
  policy: Policy
}

export function initAttestDir(dir: string): AttestDir {
  for (const f of [ROOT_KEY_FILE, SIGNER_KEY_FILE, POLICY_FILE]) {
    if (existsSync(join(dir, f))) throw new TeeError('ATTEST_DIR', `${join(dir, f)} exists; refusing to overwrite`)
  }
  mkdirSync(dir, { recursive: true })
  const root = generateP256()
  const signer = generateP256()
  const policy: Policy = {
    rootPublicKeys: [root.publicKey],
    enclave: { kind: 'mrsigner', mrSigner: mrSignerOf(signer.publicKey), isvProdId: CURRENT_PROGRAM.isvProdId, minIsvSvn: CURRENT_PROGRAM.isvSvn },
    allowDebug: false,
    maxQuoteAgeSec: DEFAULT_MAX_QUOTE_AGE_SEC,
    maxClockSkewSec: DEFAULT_MAX_CLOCK_SKEW_SEC,
  }
  writeFileSync(join(dir, ROOT_KEY_FILE), p256ToPkcs8(root), { mode: 0o600 })
  writeFileSync(join(dir, SIGNER_KEY_FILE), p256ToPkcs8(signer), { mode: 0o600 })
  writeFileSync(join(dir, POLICY_FILE), `${JSON.stringify(policyToJson(policy), null, 2)}\n`)
  return { root, signer, policy }
}

function read(dir: string, f: string): Buffer {
  try {
    return readFileSync(join(dir, f))
  } catch (e) {
    throw new TeeError('ATTEST_DIR', `cannot read ${join(dir, f)}: ${(e as Error).message} (run teecast attest init --dir ${dir})`)
  }
}

export function loadPolicy(dir: string): Policy {
  let json: unknown
  try {
    json = JSON.parse(read(dir, POLICY_FILE).toString('utf8'))
  } catch (e) {
    if (e instanceof TeeError) throw e
    throw new TeeError('POLICY_INVALID', `${join(dir, POLICY_FILE)} is not JSON`)
  }
  return policyFromJson(json)
}

export function loadAttestDir(dir: string): AttestDir {
  return { root: p256FromPkcs8(read(dir, ROOT_KEY_FILE)), signer: p256FromPkcs8(read(dir, SIGNER_KEY_FILE)), policy: loadPolicy(dir) }
}
