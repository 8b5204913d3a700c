// SPDX-License-Identifier: MIT OR Apache-2.0
pragma solidity 0.8.30;

import {ISlasher} from "../interfaces/ISlasher.sol";
import {IEvidence} from "../interfaces/IEvidence.sol";

/// @title CommitmentLib
/// @notice EIP-712 hashing of docs/commitments.md and strict ECDSA recovery. Must agree
///         bit for bit with `baton_preconf::commitment` (asserted by the golden vectors).
library CommitmentLib {
    bytes32 internal constant DOMAIN_TYPEHASH = keccak256(
        "EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)"
    );
    bytes32 internal constant NAME_HASH = keccak256("Baton");
    bytes32 internal constant VERSION_HASH = keccak256("1");

    bytes32 internal constant PLACEMENT_TYPEHASH =
        keccak256("Placement(uint64 rollupId,uint64 position,bytes32 txHash)");
    bytes32 internal constant COMMITMENT_TYPEHASH = keccak256(
        "Commitment(uint8 kind,uint64 slot,bytes validatorPubkey,address committer,bytes32 requestId,uint256 fee,bytes32[] txHashes,Placement[] placements)Placement(uint64 rollupId,uint64 position,bytes32 txHash)"
    );
    bytes32 internal constant ROLLUP_TX_TYPEHASH =
        keccak256("RollupTx(uint64 rollupId,bytes32 txHash)");
    bytes32 internal constant INCLUSION_REQUEST_TYPEHASH =
        keccak256("InclusionRequest(uint64 slot,bytes32[] txHashes)");
    bytes32 internal constant SEQUENCING_REQUEST_TYPEHASH = keccak256(
        "SequencingRequest(uint64 slot,RollupTx[] txs)RollupTx(uint64 rollupId,bytes32 txHash)"
    );

    /// @dev secp256k1n / 2: the largest `s` EIP-2 allows.
    uint256 internal constant HALF_ORDER =
        0x7fffffffffffffffffffffffffffffff5d576e7357a4501ddfe92f46681b20a0;

    /// @notice The domain separator for `verifyingContract` on the current chain.
    function domainSeparator(address verifyingContract) internal view returns (bytes32) {
        return keccak256(
            abi.encode(DOMAIN_TYPEHASH, NAME_HASH, VERSION_HASH, block.chainid, verifyingContract)
        );
    }

    /// @notice `hashStruct(Placement)`.
    function hashPlacement(ISlasher.Placement calldata p) internal pure returns (bytes32) {
        return keccak256(abi.encode(PLACEMENT_TYPEHASH, p.rollupId, p.position, p.txHash));
    }

    /// @notice `hashStruct(Commitment)`.
    function structHash(ISlasher.Commitment calldata c) internal pure returns (bytes32) {
        uint256 n = c.placements.length;
        bytes32[] memory placementHashes = new bytes32[](n);
        for (uint256 i; i < n; ++i) {
            placementHashes[i] = hashPlacement(c.placements[i]);
        }
        return keccak256(
            abi.encode(
                COMMITMENT_TYPEHASH,
                c.kind,
                c.slot,
                keccak256(c.validatorPubkey),
                c.committer,
                c.requestId,
                c.fee,
                keccak256(abi.encodePacked(c.txHashes)),
                keccak256(abi.encodePacked(placementHashes))
            )
        );
    }

    /// @notice `hashStruct(InclusionRequest)`.
    function inclusionRequestHash(uint64 slot, bytes32[] memory txHashes)
        internal
        pure
        returns (bytes32)
    {
        return keccak256(
            abi.encode(INCLUSION_REQUEST_TYPEHASH, slot, keccak256(abi.encodePacked(txHashes)))
        );
    }

    /// @notice `hashStruct(SequencingRequest)` from parallel arrays of the `RollupTx` fields.
    function sequencingRequestHash(
        uint64 slot,
        uint64[] memory rollupIds,
        bytes32[] memory txHashes
    ) internal pure returns (bytes32) {
        uint256 n = rollupIds.length;
        bytes32[] memory hashes = new bytes32[](n);
        for (uint256 i; i < n; ++i) {
            hashes[i] = keccak256(abi.encode(ROLLUP_TX_TYPEHASH, rollupIds[i], txHashes[i]));
        }
        return keccak256(
            abi.encode(SEQUENCING_REQUEST_TYPEHASH, slot, keccak256(abi.encodePacked(hashes)))
        );
    }

    /// @notice `keccak256(0x1901 ‖ domainSeparator ‖ structHash)`.
    function typedDigest(bytes32 separator, bytes32 hashOfStruct)
        internal
        pure
        returns (bytes32 digest)
    {
        assembly ("memory-safe") {
            let p := mload(0x40)
            mstore(p, hex"1901")
            mstore(add(p, 2), separator)
            mstore(add(p, 34), hashOfStruct)
            digest := keccak256(p, 66)
        }
    }

    /// @notice Recovers the signer of `digest` from 65 bytes `r ‖ s ‖ v`, `v ∈ {27, 28}`,
    ///         low `s`; anything else reverts with {IEvidence.MalformedSignature}.
    function recover(bytes32 digest, bytes calldata sig) internal pure returns (address signer) {
        if (sig.length != 65) revert IEvidence.MalformedSignature();
        bytes32 r = bytes32(sig[0:32]);
        bytes32 s = bytes32(sig[32:64]);
        uint8 v = uint8(sig[64]);
        if ((v != 27 && v != 28) || uint256(s) > HALF_ORDER) {
            revert IEvidence.MalformedSignature();
        }
        signer = ecrecover(digest, v, r, s);
        if (signer == address(0)) revert IEvidence.MalformedSignature();
    }
}
