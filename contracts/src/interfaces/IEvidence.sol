// SPDX-License-Identifier: MIT OR Apache-2.0
pragma solidity 0.8.30;

/// @title IEvidence
/// @notice The errors raised while reading L1 evidence: RLP, Merkle-Patricia proofs, block
///         headers, raw transactions, signatures and BLS points. Shared by the libraries in
///         src/lib so every caller reports the same, documented reasons.
interface IEvidence {
    /// @notice RLP input is truncated, non-canonical, or not the expected shape.
    error RlpMalformed();
    /// @notice A Merkle-Patricia proof node has the wrong hash or shape, or the key is absent.
    error MptInvalidProof();
    /// @notice A signature is not 65 bytes, has `v` outside {27, 28}, a high `s`, or recovers
    ///         to no address.
    error MalformedSignature();
    /// @notice The header's hash is not the canonical hash of its block number, or the
    ///         block is outside the BLOCKHASH / EIP-2935 window.
    /// @param number The block number named by the header.
    error UnknownBlockHash(uint256 number);
    /// @notice The raw transaction type is not 0 (legacy) to 4, or its signature is invalid.
    /// @param txType The first byte of the raw transaction.
    error UnsupportedTransaction(uint8 txType);
    /// @notice A BLS point encoding is invalid or does not match its compressed form.
    error BlsPointMismatch();
    /// @notice An EIP-2537 precompile call failed (invalid point, not in the subgroup).
    /// @param precompile The precompile's address.
    error BlsPrecompileFailed(address precompile);
}
