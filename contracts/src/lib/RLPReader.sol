// SPDX-License-Identifier: MIT OR Apache-2.0
pragma solidity 0.8.30;

import {IEvidence} from "../interfaces/IEvidence.sol";

/// @title RLPReader
/// @notice A strict, allocation-free RLP reader over calldata. Items are returned as
///         (offset, length) of their payload inside the buffer they were read from; every
///         length is bounds-checked and every encoding must be canonical (the shortest one),
///         otherwise {IEvidence.RlpMalformed}.
library RLPReader {
    /// @notice Reads the item starting at `pos` of `data`.
    /// @return isList Whether the item is a list.
    /// @return start Offset of the payload in `data`.
    /// @return len Payload length; the item ends at `start + len`.
    function item(bytes calldata data, uint256 pos)
        internal
        pure
        returns (bool isList, uint256 start, uint256 len)
    {
        uint256 size = data.length;
        if (pos >= size) revert IEvidence.RlpMalformed();
        uint256 b = uint8(data[pos]);
        if (b < 0x80) {
            return (false, pos, 1);
        }
        if (b < 0xb8) {
            len = b - 0x80;
            start = pos + 1;
            if (len == 1) {
                if (start >= size || uint8(data[start]) < 0x80) revert IEvidence.RlpMalformed();
            }
        } else if (b < 0xc0) {
            (start, len) = _longLength(data, pos, b - 0xb7);
        } else if (b < 0xf8) {
            isList = true;
            len = b - 0xc0;
            start = pos + 1;
        } else {
            isList = true;
            (start, len) = _longLength(data, pos, b - 0xf7);
        }
        if (start + len > size) revert IEvidence.RlpMalformed();
    }

    /// @dev A long form: `lenOfLen` big-endian length bytes after the prefix, no leading zero,
    ///      value at least 56.
    function _longLength(bytes calldata data, uint256 pos, uint256 lenOfLen)
        private
        pure
        returns (uint256 start, uint256 len)
    {
        start = pos + 1 + lenOfLen;
        if (lenOfLen > 4 || start > data.length || uint8(data[pos + 1]) == 0) {
            revert IEvidence.RlpMalformed();
        }
        for (uint256 i = pos + 1; i < start; ++i) {
            len = (len << 8) | uint8(data[i]);
        }
        if (len < 56) revert IEvidence.RlpMalformed();
    }

    /// @notice Reads `data` as one list that fills it exactly; returns the payload bounds.
    function list(bytes calldata data) internal pure returns (uint256 start, uint256 end) {
        (bool isList, uint256 s, uint256 len) = item(data, 0);
        if (!isList || s + len != data.length) revert IEvidence.RlpMalformed();
        return (s, s + len);
    }

    /// @notice The offset just past the item starting at `pos`.
    function next(bytes calldata data, uint256 pos) internal pure returns (uint256) {
        (, uint256 start, uint256 len) = item(data, pos);
        return start + len;
    }

    /// @notice Reads a string item at `pos` as an unsigned integer (at most 32 bytes, no
    ///         leading zero byte). Returns the value and the offset after the item.
    function readUint(bytes calldata data, uint256 pos)
        internal
        pure
        returns (uint256 value, uint256 after_)
    {
        (bool isList, uint256 start, uint256 len) = item(data, pos);
        if (isList || len > 32 || (len > 0 && data[start] == 0)) revert IEvidence.RlpMalformed();
        for (uint256 i = start; i < start + len; ++i) {
            value = (value << 8) | uint8(data[i]);
        }
        return (value, start + len);
    }

    /// @notice Reads a 32-byte string item at `pos`. Returns it and the offset after it.
    function readBytes32(bytes calldata data, uint256 pos)
        internal
        pure
        returns (bytes32 value, uint256 after_)
    {
        (bool isList, uint256 start, uint256 len) = item(data, pos);
        if (isList || len != 32) revert IEvidence.RlpMalformed();
        return (bytes32(data[start:start + 32]), start + 32);
    }
}
