// SPDX-License-Identifier: MIT OR Apache-2.0
pragma solidity 0.8.30;

/// @title BatchRoot
/// @notice The rollup batch Merkle tree of docs/derivation.md: domain-separated keccak
///         leaves, nodes and a root that mixes in the batch length. Must agree bit for bit
///         with `baton_preconf::batch` (asserted by the golden vectors).
library BatchRoot {
    /// @notice Largest number of transactions in one batch.
    uint256 internal constant MAX_BATCH_TXS = 65_536;

    /// @notice Depth of the tree for a batch of `count` transactions (`count >= 1`).
    function depth(uint256 count) internal pure returns (uint256 d) {
        while ((uint256(1) << d) < count) {
            ++d;
        }
    }

    /// @notice `keccak256(0x00 ‖ txHash)`.
    function leaf(bytes32 txHash) internal pure returns (bytes32 h) {
        assembly ("memory-safe") {
            let p := mload(0x40)
            mstore8(p, 0x00)
            mstore(add(p, 1), txHash)
            h := keccak256(p, 33)
        }
    }

    /// @notice `keccak256(0x01 ‖ left ‖ right)`.
    function node(bytes32 left, bytes32 right) internal pure returns (bytes32 h) {
        assembly ("memory-safe") {
            let p := mload(0x40)
            mstore8(p, 0x01)
            mstore(add(p, 1), left)
            mstore(add(p, 33), right)
            h := keccak256(p, 65)
        }
    }

    /// @notice `keccak256(0x02 ‖ treeRoot ‖ uint256(count))`.
    function mixCount(bytes32 treeRoot, uint256 count) internal pure returns (bytes32 h) {
        assembly ("memory-safe") {
            let p := mload(0x40)
            mstore8(p, 0x02)
            mstore(add(p, 1), treeRoot)
            mstore(add(p, 33), count)
            h := keccak256(p, 65)
        }
    }

    /// @notice Root of a batch given its transaction hashes (`1 <= hashes.length <= MAX`).
    /// @dev Reduces `hashes` in place: the caller's array holds inner nodes afterwards.
    function rootOfHashes(bytes32[] memory hashes) internal pure returns (bytes32) {
        uint256 count = hashes.length;
        for (uint256 i; i < count; ++i) {
            hashes[i] = leaf(hashes[i]);
        }
        uint256 width = count;
        uint256 d = depth(count);
        for (uint256 level; level < d; ++level) {
            uint256 half = (width + 1) / 2;
            for (uint256 i; i < half; ++i) {
                bytes32 left = hashes[2 * i];
                bytes32 right = 2 * i + 1 < width ? hashes[2 * i + 1] : bytes32(0);
                hashes[i] = node(left, right);
            }
            width = half;
        }
        return mixCount(hashes[0], count);
    }

    /// @notice Whether `txHash` sits at `position` of the batch with `root` and `count`.
    /// @dev Returns false (never reverts) for malformed proofs: callers decide what a
    ///      malformed proof means for them.
    function verify(
        bytes32 root,
        uint256 count,
        uint256 position,
        bytes32 txHash,
        bytes32[] calldata siblings
    ) internal pure returns (bool) {
        if (count == 0 || count > MAX_BATCH_TXS || position >= count) return false;
        if (siblings.length != depth(count)) return false;
        bytes32 h = leaf(txHash);
        for (uint256 level; level < siblings.length; ++level) {
            h = (position >> level) & 1 == 0 ? node(h, siblings[level]) : node(siblings[level], h);
        }
        return mixCount(h, count) == root;
    }
}
