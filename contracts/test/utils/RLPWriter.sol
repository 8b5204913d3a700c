// SPDX-License-Identifier: MIT OR Apache-2.0
pragma solidity 0.8.30;

/// @notice Test-only RLP encoder (headers, keys), the inverse of src/lib/RLPReader.sol.
library RLPWriter {
    function encodeBytes(bytes memory b) internal pure returns (bytes memory) {
        if (b.length == 1 && uint8(b[0]) < 0x80) return b;
        return abi.encodePacked(_prefix(0x80, b.length), b);
    }

    function encodeUint(uint256 x) internal pure returns (bytes memory) {
        if (x == 0) return hex"80";
        return encodeBytes(_bigEndian(x));
    }

    function encodeList(bytes[] memory items) internal pure returns (bytes memory out) {
        for (uint256 i; i < items.length; ++i) {
            out = abi.encodePacked(out, items[i]);
        }
        out = abi.encodePacked(_prefix(0xc0, out.length), out);
    }

    function _prefix(uint8 base, uint256 len) private pure returns (bytes memory) {
        // forge-lint: disable-next-line(unsafe-typecast)
        if (len < 56) return abi.encodePacked(uint8(base + len));
        bytes memory be = _bigEndian(len);
        return abi.encodePacked(uint8(base + 55 + be.length), be);
    }

    function _bigEndian(uint256 x) private pure returns (bytes memory out) {
        uint256 n;
        for (uint256 t = x; t != 0; t >>= 8) {
            ++n;
        }
        out = new bytes(n);
        for (uint256 i = n; i > 0; --i) {
            // forge-lint: disable-next-line(unsafe-typecast)
            out[i - 1] = bytes1(uint8(x));
            x >>= 8;
        }
    }
}
