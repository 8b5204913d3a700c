// SPDX-License-Identifier: MIT OR Apache-2.0
pragma solidity 0.8.30;

import {IEvidence} from "../interfaces/IEvidence.sol";

/// @title BLS
/// @notice BLS12-381 proof-of-possession checks with the EIP-2537 precompiles (Prague).
///         Public keys are G1 points, signatures G2 points (the Ethereum consensus scheme),
///         hashed with hash_to_curve `BLS12381G2_XMD:SHA-256_SSWU_RO_` (RFC 9380) under the
///         proof-of-possession DST. Compressed points use the ZCash encoding; the precompiles
///         take uncompressed points, so callers supply both and {checkG1}/{checkG2} tie them.
library BLS {
    address internal constant G2_ADD = address(0x0d);
    address internal constant PAIRING = address(0x0f);
    address internal constant MAP_FP2_TO_G2 = address(0x11);
    address internal constant MODEXP = address(0x05);
    uint256 internal constant PRECOMPILE_GAS = 150_000;

    /// @notice The ciphersuite DST of the Ethereum proof-of-possession scheme.
    bytes internal constant DST = "BLS_SIG_BLS12381G2_XMD:SHA-256_SSWU_RO_POP_";

    /// @dev The base field modulus p, split into its top 16 and low 32 bytes.
    uint256 private constant P_HI = 0x1a0111ea397fe69a4b1ba7b6434bacd7;
    uint256 private constant P_LO =
        0x64774b84f38512bf6730d2a0f6b0f6241eabfffeb153ffffb9feffffffffaaab;
    /// @dev (p - 1) / 2, split the same way: y is "lexicographically largest" above it.
    uint256 private constant HALF_HI = 0x0d0088f51cbff34d258dd3db21a5d66b;
    uint256 private constant HALF_LO =
        0xb23ba5c279c2895fb39869507b587b120f55ffff58a9ffffdcff7fffffffd555;
    /// @dev The G1 generator's x and the negation of its y (p - y), 48 bytes each.
    bytes private constant G1_X =
        hex"17f1d3a73197d7942695638c4fa9ac0fc3688c4f9774b905a14e3a3f171bac586c55e83ff97a1aeffb3af00adb22c6bb";
    bytes private constant G1_NEG_Y =
        hex"114d1d6855d545a8aa7d76c8cf2e21f267816aef1db507c96655b9d5caac42364e6f38ba0ecb751bad54dcd6b939c2ca";

    /// @notice Whether a compressed encoding (48 bytes for G1, 96 for G2) can never be a
    ///         valid key or signature: the compression flag is clear, the infinity flag is
    ///         set, or the first coordinate is not below p.
    function encodingInvalid(bytes calldata compressed) internal pure returns (bool) {
        uint8 flags = uint8(compressed[0]);
        if (flags & 0x80 == 0 || flags & 0x40 != 0) return true;
        for (uint256 off; off < compressed.length; off += 48) {
            (uint256 hi, uint256 lo) = _fp(compressed, off, off == 0);
            if (!_lt(hi, lo, P_HI, P_LO)) return true;
        }
        return false;
    }

    /// @notice Requires the 128-byte EIP-2537 point to be the decompression of the 48-byte
    ///         key: same x, and y on the side the sign flag names. (The precompiles check
    ///         that the point is on the curve and in the subgroup.)
    function checkG1(bytes calldata compressed, bytes calldata point) internal pure {
        if (compressed.length != 48 || point.length != 128) revert IEvidence.BlsPointMismatch();
        if (!_padded(point, 0) || !_padded(point, 64)) revert IEvidence.BlsPointMismatch();
        (uint256 xh, uint256 xl) = _fp(compressed, 0, true);
        (uint256 ph, uint256 pl) = _fp(point, 16, false);
        if (xh != ph || xl != pl) revert IEvidence.BlsPointMismatch();
        (uint256 yh, uint256 yl) = _fp(point, 80, false);
        bool largest = _lt(HALF_HI, HALF_LO, yh, yl);
        if (largest != (uint8(compressed[0]) & 0x20 != 0)) revert IEvidence.BlsPointMismatch();
    }

    /// @notice As {checkG1} for a 96-byte G2 signature (x.c1 ‖ x.c0) and its 256-byte
    ///         EIP-2537 point (x.c0 ‖ x.c1 ‖ y.c0 ‖ y.c1); the sign is that of y.c1, or of
    ///         y.c0 when y.c1 is zero.
    function checkG2(bytes calldata compressed, bytes calldata point) internal pure {
        if (compressed.length != 96 || point.length != 256) revert IEvidence.BlsPointMismatch();
        for (uint256 off; off < 256; off += 64) {
            if (!_padded(point, off)) revert IEvidence.BlsPointMismatch();
        }
        (uint256 a, uint256 b) = _fp(compressed, 0, true); // x.c1
        (uint256 c, uint256 d) = _fp(point, 80, false);
        if (a != c || b != d) revert IEvidence.BlsPointMismatch();
        (a, b) = _fp(compressed, 48, false); // x.c0
        (c, d) = _fp(point, 16, false);
        if (a != c || b != d) revert IEvidence.BlsPointMismatch();
        (a, b) = _fp(point, 208, false); // y.c1
        if (a == 0 && b == 0) (a, b) = _fp(point, 144, false); // y.c0
        bool largest = _lt(HALF_HI, HALF_LO, a, b);
        if (largest != (uint8(compressed[0]) & 0x20 != 0)) revert IEvidence.BlsPointMismatch();
    }

    /// @notice Whether `signaturePoint` is a valid signature of `message` by `pubkeyPoint`:
    ///         e(pk, H(m)) · e(-g1, sig) == 1. Reverts when a precompile rejects a point.
    function verify(bytes calldata pubkeyPoint, bytes calldata signaturePoint, bytes memory message)
        internal
        view
        returns (bool)
    {
        bytes memory hm = hashToG2(message);
        bytes memory input = abi.encodePacked(
            pubkeyPoint, hm, bytes16(0), G1_X, bytes16(0), G1_NEG_Y, signaturePoint
        );
        bytes memory out = _call(PAIRING, input, 32);
        // forge-lint: disable-next-line(unsafe-typecast)
        return uint256(bytes32(out)) == 1;
    }

    /// @notice hash_to_curve for G2: two field elements of Fp2 from expand_message_xmd,
    ///         each mapped with MAP_FP2_TO_G2 (which clears the cofactor), then added.
    function hashToG2(bytes memory message) internal view returns (bytes memory) {
        bytes memory uniform = expandMessageXmd(message, DST, 256);
        bytes memory u0 = abi.encodePacked(_reduce(uniform, 0), _reduce(uniform, 64));
        bytes memory u1 = abi.encodePacked(_reduce(uniform, 128), _reduce(uniform, 192));
        bytes memory q0 = _call(MAP_FP2_TO_G2, u0, 256);
        bytes memory q1 = _call(MAP_FP2_TO_G2, u1, 256);
        return _call(G2_ADD, abi.encodePacked(q0, q1), 256);
    }

    /// @notice expand_message_xmd with SHA-256 (RFC 9380 §5.3.1), `lenInBytes <= 8160`.
    function expandMessageXmd(bytes memory message, bytes memory dst, uint256 lenInBytes)
        internal
        pure
        returns (bytes memory out)
    {
        uint256 ell = (lenInBytes + 31) / 32;
        bytes memory dstPrime = abi.encodePacked(dst, uint8(dst.length));
        bytes32 b0 = sha256(
            abi.encodePacked(
                // forge-lint: disable-next-line(unsafe-typecast)
                bytes32(0),
                bytes32(0),
                message,
                // forge-lint: disable-next-line(unsafe-typecast)
                uint16(lenInBytes),
                uint8(0),
                dstPrime
            )
        );
        bytes32 bi = sha256(abi.encodePacked(b0, uint8(1), dstPrime));
        out = abi.encodePacked(bi);
        for (uint256 i = 2; i <= ell; ++i) {
            // forge-lint: disable-next-line(unsafe-typecast)
            bi = sha256(abi.encodePacked(b0 ^ bi, uint8(i), dstPrime));
            out = abi.encodePacked(out, bi);
        }
        assembly ("memory-safe") {
            mstore(out, lenInBytes)
        }
    }

    /// @dev 64 bytes of `uniform` at `off`, reduced mod p, as a 64-byte EIP-2537 field element.
    function _reduce(bytes memory uniform, uint256 off) private view returns (bytes memory) {
        bytes memory chunk = new bytes(64);
        for (uint256 i; i < 64; ++i) {
            chunk[i] = uniform[off + i];
        }
        bytes memory input = abi.encodePacked(
            // forge-lint: disable-next-line(unsafe-typecast)
            uint256(64),
            uint256(1),
            uint256(48),
            chunk,
            uint8(1),
            // forge-lint: disable-next-line(unsafe-typecast)
            bytes16(uint128(P_HI)),
            P_LO
        );
        return abi.encodePacked(bytes16(0), _call(MODEXP, input, 48));
    }

    function _call(address precompile, bytes memory input, uint256 outLen)
        private
        view
        returns (bytes memory out)
    {
        bool ok;
        // A failing precompile burns all gas it was given: cap it (a 2-pair pairing costs
        // 102 900 gas, the other calls far less).
        (ok, out) = precompile.staticcall{gas: PRECOMPILE_GAS}(input);
        if (!ok || out.length != outLen) revert IEvidence.BlsPrecompileFailed(precompile);
    }

    /// @dev A 48-byte big-endian field element at `off` as (top 16 bytes, low 32 bytes);
    ///      `clearFlags` drops the three ZCash flag bits of the first byte.
    function _fp(bytes calldata data, uint256 off, bool clearFlags)
        private
        pure
        returns (uint256 hi, uint256 lo)
    {
        hi = uint256(uint128(bytes16(data[off:off + 16])));
        if (clearFlags) hi &= (uint256(1) << 125) - 1;
        lo = uint256(bytes32(data[off + 16:off + 48]));
    }

    /// @dev Whether the 16 padding bytes at `off` are zero.
    function _padded(bytes calldata data, uint256 off) private pure returns (bool) {
        return bytes16(data[off:off + 16]) == bytes16(0);
    }

    /// @dev (ah, al) < (bh, bl) as 384-bit numbers.
    function _lt(uint256 ah, uint256 al, uint256 bh, uint256 bl) private pure returns (bool) {
        return ah < bh || (ah == bh && al < bl);
    }
}
