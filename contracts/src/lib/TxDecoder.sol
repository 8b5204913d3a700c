// SPDX-License-Identifier: MIT OR Apache-2.0
pragma solidity 0.8.30;

import {IEvidence} from "../interfaces/IEvidence.sol";
import {RLPReader} from "./RLPReader.sol";

/// @title TxDecoder
/// @notice Recovers the sender and nonce of a raw signed EIP-2718 transaction: legacy
///         (pre- and post-EIP-155) and typed 1 (2930), 2 (1559), 3 (4844, network form
///         without blobs) and 4 (7702). A typed payload is `rlp([fields..., yParity, r, s])`
///         and signs `type ‖ rlp([fields...])`; the nonce is field 1 (field 0 for legacy).
library TxDecoder {
    uint256 private constant HALF_ORDER =
        0x7fffffffffffffffffffffffffffffff5d576e7357a4501ddfe92f46681b20a0;

    /// @notice The sender, nonce and chain id (zero for pre-EIP-155 legacy) of `rawTx`;
    ///         reverts with {IEvidence.UnsupportedTransaction} on unknown types or invalid
    ///         signatures (including a high `s`, which execution clients reject).
    function decode(bytes calldata rawTx)
        internal
        pure
        returns (address sender, uint256 nonce, uint256 chainId)
    {
        if (rawTx.length == 0) revert IEvidence.RlpMalformed();
        uint8 first = uint8(rawTx[0]);
        if (first >= 0xc0) return _legacy(rawTx);
        if (first == 0 || first > 4) revert IEvidence.UnsupportedTransaction(first);
        bytes calldata payload = rawTx[1:];
        (uint256 p, uint256 end) = RLPReader.list(payload);
        uint256 fieldsStart = p;
        // Walk to the last three items (yParity, r, s), remembering where they start.
        uint256[] memory starts = new uint256[](16);
        uint256 n;
        while (p < end) {
            if (n == 16) revert IEvidence.RlpMalformed();
            starts[n++] = p;
            p = RLPReader.next(payload, p);
        }
        if (n < 5) revert IEvidence.RlpMalformed();
        (chainId,) = RLPReader.readUint(payload, starts[0]);
        (nonce,) = RLPReader.readUint(payload, starts[1]);
        (uint256 yParity,) = RLPReader.readUint(payload, starts[n - 3]);
        (uint256 r,) = RLPReader.readUint(payload, starts[n - 2]);
        (uint256 s,) = RLPReader.readUint(payload, starts[n - 1]);
        bytes32 signingHash = keccak256(
            abi.encodePacked(
                first, _listPrefix(starts[n - 3] - fieldsStart), payload[fieldsStart:starts[n - 3]]
            )
        );
        sender = _recover(first, signingHash, yParity, r, s);
    }

    function _legacy(bytes calldata rawTx)
        private
        pure
        returns (address sender, uint256 nonce, uint256 chainId)
    {
        (uint256 p, uint256 end) = RLPReader.list(rawTx);
        uint256 fieldsStart = p;
        (nonce,) = RLPReader.readUint(rawTx, p);
        for (uint256 i; i < 6; ++i) {
            p = RLPReader.next(rawTx, p);
        }
        uint256 fieldsEnd = p;
        uint256 v;
        uint256 r;
        uint256 s;
        (v, p) = RLPReader.readUint(rawTx, p);
        (r, p) = RLPReader.readUint(rawTx, p);
        (s, p) = RLPReader.readUint(rawTx, p);
        if (p != end) revert IEvidence.RlpMalformed();
        bytes memory fields = rawTx[fieldsStart:fieldsEnd];
        bytes32 signingHash;
        uint256 parity;
        if (v == 27 || v == 28) {
            parity = v - 27;
            signingHash = keccak256(abi.encodePacked(_listPrefix(fields.length), fields));
        } else {
            if (v < 35) revert IEvidence.UnsupportedTransaction(0);
            parity = (v - 35) % 2;
            chainId = (v - 35) / 2;
            bytes memory tail = abi.encodePacked(_encodeUint(chainId), hex"8080");
            signingHash =
                keccak256(abi.encodePacked(_listPrefix(fields.length + tail.length), fields, tail));
        }
        sender = _recover(0, signingHash, parity, r, s);
    }

    function _recover(uint8 txType, bytes32 h, uint256 parity, uint256 r, uint256 s)
        private
        pure
        returns (address sender)
    {
        if (parity > 1 || r == 0 || s == 0 || s > HALF_ORDER) {
            revert IEvidence.UnsupportedTransaction(txType);
        }
        // forge-lint: disable-next-line(unsafe-typecast)
        sender = ecrecover(h, uint8(27 + parity), bytes32(r), bytes32(s));
        if (sender == address(0)) revert IEvidence.UnsupportedTransaction(txType);
    }

    /// @dev The RLP list prefix for a payload of `len` bytes.
    function _listPrefix(uint256 len) private pure returns (bytes memory) {
        // forge-lint: disable-next-line(unsafe-typecast)
        if (len < 56) return abi.encodePacked(uint8(0xc0 + len));
        bytes memory be = _bigEndian(len);
        return abi.encodePacked(uint8(0xf7 + be.length), be);
    }

    /// @dev The RLP encoding of an unsigned integer.
    function _encodeUint(uint256 x) private pure returns (bytes memory) {
        if (x == 0) return hex"80";
        // forge-lint: disable-next-line(unsafe-typecast)
        if (x < 0x80) return abi.encodePacked(uint8(x));
        bytes memory be = _bigEndian(x);
        return abi.encodePacked(uint8(0x80 + be.length), be);
    }

    /// @dev Minimal big-endian bytes of `x > 0`.
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
