// SPDX-License-Identifier: MIT OR Apache-2.0
pragma solidity 0.8.30;

import {BatchRoot} from "../../src/lib/BatchRoot.sol";

/// @notice Test-only position-proof builder for the batch tree of docs/derivation.md.
library BatchProofs {
    /// Sibling path of `position` (quadratic, recomputes full-width levels).
    function siblings(bytes32[] memory hashes, uint256 position)
        internal
        pure
        returns (bytes32[] memory s)
    {
        uint256 d = BatchRoot.depth(hashes.length);
        s = new bytes32[](d);
        uint256 width = uint256(1) << d;
        uint256 filled = hashes.length;
        bytes32[] memory level = new bytes32[](width);
        for (uint256 i; i < filled; ++i) {
            level[i] = BatchRoot.leaf(hashes[i]);
        }
        for (uint256 l; l < d; ++l) {
            s[l] = level[position ^ 1];
            uint256 nextFilled = (filled + 1) / 2;
            for (uint256 i; i < width / 2; ++i) {
                level[i] =
                    i < nextFilled ? BatchRoot.node(level[2 * i], level[2 * i + 1]) : bytes32(0);
            }
            width /= 2;
            filled = nextFilled;
            position >>= 1;
        }
    }

    function root(bytes32[] memory hashes) internal pure returns (bytes32) {
        bytes32[] memory copy = new bytes32[](hashes.length);
        for (uint256 i; i < hashes.length; ++i) {
            copy[i] = hashes[i];
        }
        return BatchRoot.rootOfHashes(copy);
    }
}

/// @notice Stands in for the EIP-2935 history contract in forge tests: 32-byte input is a
///         block number, the output its stored hash; `set` stores one.
contract HistoryMock {
    mapping(uint256 => bytes32) internal hashes;

    function set(uint256 number, bytes32 h) external {
        hashes[number] = h;
    }

    fallback(bytes calldata input) external returns (bytes memory) {
        require(input.length == 32);
        bytes32 h = hashes[abi.decode(input, (uint256))];
        require(h != bytes32(0));
        return abi.encode(h);
    }
}
