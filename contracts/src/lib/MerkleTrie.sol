// SPDX-License-Identifier: MIT OR Apache-2.0
pragma solidity 0.8.30;

import {IEvidence} from "../interfaces/IEvidence.sol";
import {RLPReader} from "./RLPReader.sol";

/// @title MerkleTrie
/// @notice Inclusion proofs against an Ethereum Merkle-Patricia trie root (Yellow Paper,
///         appendix D). A proof is the list of RLP nodes from the root to the node holding
///         the value; nodes shorter than 32 bytes are embedded in their parent and are not
///         listed separately. Anything else reverts with {IEvidence.MptInvalidProof}:
///         a wrong hash, a malformed node, a key that is absent, or unused trailing nodes.
library MerkleTrie {
    /// @notice The value stored under `key` in the trie with `root`.
    /// @return value A slice of the last proof node: the value's payload.
    function get(bytes32 root, bytes memory key, bytes[] calldata proof)
        internal
        pure
        returns (bytes calldata value)
    {
        (uint256 last, uint256 s, uint256 len) = _locate(root, key, proof);
        return proof[last][s:s + len];
    }

    /// @dev Walks the proof; returns the index of the node holding the value and the value's
    ///      payload bounds in it.
    function _locate(bytes32 root, bytes memory key, bytes[] calldata proof)
        private
        pure
        returns (uint256 used, uint256 s, uint256 len)
    {
        if (proof.length == 0 || keccak256(proof[0]) != root) {
            revert IEvidence.MptInvalidProof();
        }
        used = 1; // proof nodes consumed
        uint256 k; // key nibbles consumed
        // The current node is `proof[used - 1][start:end]`: a whole node or an embedded one.
        uint256 start;
        uint256 end = proof[0].length;
        while (true) {
            bool isValue;
            uint256 at;
            (isValue, at, k) = _walk(proof[used - 1], start, end, key, k);
            if (isValue) {
                bool isList;
                (isList, s, len) = RLPReader.item(proof[used - 1], at);
                if (isList || len == 0 || used != proof.length) {
                    revert IEvidence.MptInvalidProof();
                }
                return (used - 1, s, len);
            }
            (used, start, end) = _follow(proof, used, at);
        }
    }

    /// @dev Follows the child reference at `at` of node `used - 1`: an embedded node (its
    ///      encoding shorter than a hash) or the hash of the next proof node.
    function _follow(bytes[] calldata proof, uint256 used, uint256 at)
        private
        pure
        returns (uint256, uint256 start, uint256 end)
    {
        bytes calldata node = proof[used - 1];
        (bool isList, uint256 s, uint256 len) = RLPReader.item(node, at);
        if (isList) {
            if (s + len - at >= 32) revert IEvidence.MptInvalidProof();
            return (used, at, s + len);
        }
        if (len != 32 || used == proof.length) revert IEvidence.MptInvalidProof();
        bytes calldata child = proof[used];
        if (keccak256(child) != bytes32(node[s:s + 32])) revert IEvidence.MptInvalidProof();
        return (used + 1, 0, child.length);
    }

    /// @dev Consumes one node. Returns whether the item at `at` is the value (the key ends
    ///      here) or a child reference, and the key nibbles consumed afterwards.
    function _walk(bytes calldata node, uint256 start, uint256 end, bytes memory key, uint256 k)
        private
        pure
        returns (bool isValue, uint256 at, uint256)
    {
        uint256 p = _payload(node, start, end);
        uint256 items = _count(node, p, end);
        if (items == 17) {
            if (k == key.length * 2) return (true, _skip(node, p, 16), k);
            return (false, _skip(node, p, _nibble(key, k)), k + 1);
        }
        if (items != 2) revert IEvidence.MptInvalidProof();
        (bool pList, uint256 ps, uint256 pl) = RLPReader.item(node, p);
        if (pList || pl == 0) revert IEvidence.MptInvalidProof();
        bool leaf;
        (k, leaf) = _matchPath(node, ps, pl, key, k);
        // A leaf must end the key; an extension is followed by a child reference.
        if (leaf && k != key.length * 2) revert IEvidence.MptInvalidProof();
        return (leaf, ps + pl, k);
    }

    /// @dev Matches the hex-prefix encoded path `node[ps:ps+pl]` against `key` from nibble
    ///      `k`; returns the nibbles consumed afterwards and whether the node is a leaf.
    function _matchPath(bytes calldata node, uint256 ps, uint256 pl, bytes memory key, uint256 k)
        private
        pure
        returns (uint256, bool leaf)
    {
        uint256 flag = uint8(node[ps]) >> 4;
        if (flag > 3) revert IEvidence.MptInvalidProof();
        // Odd flags carry the first nibble in the low half of byte 0.
        uint256 odd = flag & 1;
        uint256 pathNibbles = (pl - 1) * 2 + odd;
        if (k + pathNibbles > key.length * 2) revert IEvidence.MptInvalidProof();
        for (uint256 i; i < pathNibbles; ++i) {
            uint256 j = i + 2 - odd; // nibble index inside the encoded path
            uint8 b = uint8(node[ps + j / 2]);
            if ((j % 2 == 0 ? b >> 4 : b & 0x0f) != _nibble(key, k + i)) {
                revert IEvidence.MptInvalidProof();
            }
        }
        return (k + pathNibbles, flag >= 2);
    }

    /// @dev The payload offset of the list `node[start:end]`.
    function _payload(bytes calldata node, uint256 start, uint256 end)
        private
        pure
        returns (uint256)
    {
        (bool isList, uint256 p, uint256 len) = RLPReader.item(node, start);
        if (!isList || p + len != end) revert IEvidence.MptInvalidProof();
        return p;
    }

    /// @dev Number of items in the list payload `node[p:end]`.
    function _count(bytes calldata node, uint256 p, uint256 end) private pure returns (uint256 n) {
        while (p < end) {
            p = RLPReader.next(node, p);
            ++n;
        }
        if (p != end) revert IEvidence.MptInvalidProof();
    }

    /// @dev Offset of item `index` of the list payload starting at `p`.
    function _skip(bytes calldata node, uint256 p, uint256 index) private pure returns (uint256) {
        for (uint256 i; i < index; ++i) {
            p = RLPReader.next(node, p);
        }
        return p;
    }

    /// @dev Nibble `i` of `key` (high half first).
    function _nibble(bytes memory key, uint256 i) private pure returns (uint256) {
        uint8 b = uint8(key[i / 2]);
        return i % 2 == 0 ? b >> 4 : b & 0x0f;
    }
}
