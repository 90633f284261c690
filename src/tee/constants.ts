/** Values of the trusted-execution layer, with units and why. */
import { createHash } from 'node:crypto'

const tag = (s: string, len: number): Uint8Array => new Uint8Array(createHash('sha256').update(s).digest().subarray(0, len))

/** Bytes of a devp2p node id: the uncompressed secp256k1 public key without its 0x04 prefix. */
export const NODE_ID_SIZE = 64
/** Bytes of a verifier challenge. 256 bits: never repeats by chance. */
export const CHALLENGE_SIZE = 32

/** QE vendor id of the simulated Quoting Enclave; deliberately not Intel's, so no one mistakes a simulated quote. */
export const SIM_QE_VENDOR_ID = tag('teecast simulated quoting enclave vendor', 16)
/** Identity of the simulated Quoting Enclave, in its report body (the attestation key's certificate). */
export const SIM_QE_MRENCLAVE = tag('teecast simulated quoting enclave v1', 32)
export const SIM_QE_MRSIGNER = tag('teecast simulated quoting enclave signer', 32)
export const SIM_QE_PRODID = 1
export const SIM_QE_SVN = 1
export const SIM_PCE_SVN = 1
/** Bytes of QE auth data; DCAP's QE uses 32. */
export const QE_AUTH_DATA_SIZE = 32

/** ATTRIBUTES.XFRM of the simulated enclaves: x87 + SSE, the minimum SGX requires. */
export const SIM_XFRM = 3n

/**
 * Host-side limit on one ecall, ms. Generous: the coordinator's plan computation is the slowest ecall (tens of ms on
 * the dev machines); a hung enclave must not hang the node forever.
 */
export const DEFAULT_ECALL_TIMEOUT_MS = 10_000
/** Heap of the enclave worker, MiB: stands in for the EPC limit and keeps a node's memory bounded. */
export const ENCLAVE_HEAP_MB = 64

/** How long a challenge stays valid after issue, ms: a hello round trip plus quote generation, with margin. */
export const DEFAULT_CHALLENGE_TTL_MS = 60_000
/** Most challenges a book holds; the oldest are dropped first. Bounds memory under a connection flood. */
export const DEFAULT_MAX_OUTSTANDING_CHALLENGES = 4096

/** Default maximum quote age, s. The challenge already proves freshness; this bounds a quote's reuse offline. */
export const DEFAULT_MAX_QUOTE_AGE_SEC = 600
/** Tolerated clock difference between the quoting and verifying machine, s. */
export const DEFAULT_MAX_CLOCK_SKEW_SEC = 30
