/**
 * Byte layout of a teecast quote, modelled on an Intel SGX DCAP v3 ECDSA quote. All integers are little-endian, as in
 * SGX. Offsets are from the start of the quote. The verifier and the parser use only these constants.
 *
 * ```
 * offset size  field                    DCAP v3 meaning / teecast use
 * ---- HEADER (48 bytes) ------------------------------------------------------------------------------------------
 *    0    2    version                  3
 *    2    2    attestation key type     2 = ECDSA-256-with-P-256
 *    4    4    reserved                 teecast: ISSUED_AT, u32 seconds since the Unix epoch, set by the Quoting Enclave.
 *                                       Real DCAP has no time in the quote: freshness comes from the verifier's
 *                                       challenge in REPORTDATA and from the collateral (TCB info, QE identity,
 *                                       CRLs) with their issue/next-update dates.
 *    8    2    QE SVN                   security version of the Quoting Enclave
 *   10    2    PCE SVN                  security version of the Provisioning Certification Enclave
 *   12   16    QE vendor id             Intel: 939a7233f79c4ca9940a0db3957f0607; teecast: SIM_QE_VENDOR_ID
 *   28   20    user data                first 16 bytes: platform id of the simulated QE; 4 zero bytes
 * ---- ISV ENCLAVE REPORT BODY (384 bytes, the SGX REPORTBODY) ----------------------------------------------------
 *   48   16    CPUSVN
 *   64    4    MISCSELECT
 *   68   12    reserved (zero)
 *   80   16    ISVEXTPRODID
 *   96   16    ATTRIBUTES               u64 flags (bit 0 INIT, bit 1 DEBUG, bit 2 MODE64BIT) + u64 XFRM
 *  112   32    MRENCLAVE                SHA-256 of the program bundle (sim/bundle.ts)
 *  144   32    reserved (zero)
 *  176   32    MRSIGNER                 SHA-256 of the enclave-signing public key (x || y)
 *  208   32    reserved (zero)
 *  240   64    CONFIGID
 *  304    2    ISVPRODID
 *  306    2    ISVSVN
 *  308    2    CONFIGSVN
 *  310   42    reserved (zero)
 *  352   16    ISVFAMILYID
 *  368   64    REPORTDATA               teecast: SHA-256(devp2p node id (64) || challenge (32)) || 32 zero bytes
 * ---- SIGNATURE DATA ---------------------------------------------------------------------------------------------
 *  432    4    signature data length L  bytes that follow; the quote is exactly 436 + L bytes
 *  436   64    ISV report signature     ECDSA P-256 (r || s) by the attestation key over bytes [0, 432)
 *  500   64    attestation key          raw P-256 public key x || y
 *  564  384    QE report body           REPORTBODY of the (simulated) Quoting Enclave; its REPORTDATA is
 *                                       SHA-256(attestation key || QE auth data) || 32 zero bytes
 *  948   64    QE report signature      DCAP: by the PCK key. teecast: by the testnet attestation ROOT over the
 *                                       384 bytes of the QE report body. This is the attestation key's certificate.
 * 1012    2    QE auth data size N
 * 1014    N    QE auth data             DCAP: 32 bytes chosen by the QE; teecast: 32 random bytes
 * 1014+N  2    certification data type  DCAP: 5 = PCK certificate chain (PEM). teecast: 0x1000 = the root public key
 * 1016+N  4    certification data size M
 * 1020+N  M    certification data       teecast type 0x1000: the root public key x || y (M = 64); the verifier
 *                                       accepts it only if it is in the policy's root list.
 * ```
 */

export const QUOTE_VERSION = 3
export const ATT_KEY_TYPE_ECDSA_P256 = 2
/** Not a DCAP value: "certification data is the testnet root's raw P-256 public key". */
export const CERT_TYPE_TEECAST_ROOT = 0x1000

export const HEADER_SIZE = 48
export const REPORT_BODY_SIZE = 384
export const SIGNED_SIZE = HEADER_SIZE + REPORT_BODY_SIZE // 432
export const SIG_DATA_LEN_OFFSET = SIGNED_SIZE // 432
export const SIG_DATA_OFFSET = SIGNED_SIZE + 4 // 436

/** Header fields (offsets from the start of the quote). */
export const H = {
  version: 0,
  attKeyType: 2,
  issuedAt: 4,
  qeSvn: 8,
  pceSvn: 10,
  qeVendorId: 12,
  userData: 28,
} as const

/** REPORTBODY fields (offsets from the start of a report body). */
export const B = {
  cpuSvn: 0,
  miscSelect: 16,
  reserved1: 20,
  isvExtProdId: 32,
  attributes: 48,
  mrEnclave: 64,
  reserved2: 96,
  mrSigner: 128,
  reserved3: 160,
  configId: 192,
  isvProdId: 256,
  isvSvn: 258,
  configSvn: 260,
  reserved4: 262,
  isvFamilyId: 304,
  reportData: 320,
} as const

/** Signature-data fields (offsets from SIG_DATA_OFFSET); the variable part follows QE auth data. */
export const S = {
  isvSignature: 0,
  attestationKey: 64,
  qeReportBody: 128,
  qeReportSignature: 512,
  qeAuthDataSize: 576,
  qeAuthData: 578,
} as const

/** ATTRIBUTES.FLAGS bits. */
export const ATTR_INIT = 1n
export const ATTR_DEBUG = 2n
export const ATTR_MODE64BIT = 4n

/** Upper bounds that keep the parser's work bounded; real quotes with a PCK chain are ~4.5 KiB. */
export const MAX_QE_AUTH_DATA = 1024
export const MAX_CERT_DATA = 8192
export const MAX_QUOTE_SIZE = SIG_DATA_OFFSET + S.qeAuthData + MAX_QE_AUTH_DATA + 6 + MAX_CERT_DATA

/** SGX REPORT (what EREPORT returns): body, key id, MAC. */
export const REPORT_KEYID_SIZE = 32
export const REPORT_MAC_SIZE = 16
export const REPORT_SIZE = REPORT_BODY_SIZE + REPORT_KEYID_SIZE + REPORT_MAC_SIZE // 432

export const REPORT_DATA_SIZE = 64
