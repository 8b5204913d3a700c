// SPDX-License-Identifier: MIT OR Apache-2.0
pragma solidity 0.8.30;

import {IEvidence} from "../interfaces/IEvidence.sol";
import {RLPReader} from "./RLPReader.sol";

/// @title BlockHeader
/// @notice Reads the fields Baton needs from an RLP execution-layer block header and
///         checks the header against the chain: BLOCKHASH for the last 256 blocks, the
///         EIP-2935 history contract for the last 8191.
library BlockHeader {
    /// @notice The EIP-2935 history storage contract (Prague).
    address internal constant HISTORY = 0x0000F90827F1C53a10cb7A02335B175320002935;
    /// @notice How far back the history contract serves hashes.
    uint256 internal constant HISTORY_WINDOW = 8191;

    /// @notice The fields of a header used by the Slasher.
    struct Header {
        bytes32 hash;
        bytes32 parentHash;
        bytes32 stateRoot;
        bytes32 transactionsRoot;
        uint256 number;
        uint256 timestamp;
    }

    /// @notice Parses `rlpHeader` (fields 0 parentHash, 3 stateRoot, 4 transactionsRoot,
    ///         8 number, 11 timestamp). Later fields of any fork are allowed and ignored.
    function parse(bytes calldata rlpHeader) internal pure returns (Header memory h) {
        (uint256 p, uint256 end) = RLPReader.list(rlpHeader);
        h.hash = keccak256(rlpHeader);
        (h.parentHash, p) = RLPReader.readBytes32(rlpHeader, p);
        p = RLPReader.next(rlpHeader, p); // ommersHash
        p = RLPReader.next(rlpHeader, p); // beneficiary
        (h.stateRoot, p) = RLPReader.readBytes32(rlpHeader, p);
        (h.transactionsRoot, p) = RLPReader.readBytes32(rlpHeader, p);
        p = RLPReader.next(rlpHeader, p); // receiptsRoot
        p = RLPReader.next(rlpHeader, p); // logsBloom
        p = RLPReader.next(rlpHeader, p); // difficulty
        (h.number, p) = RLPReader.readUint(rlpHeader, p);
        p = RLPReader.next(rlpHeader, p); // gasLimit
        p = RLPReader.next(rlpHeader, p); // gasUsed
        (h.timestamp, p) = RLPReader.readUint(rlpHeader, p);
        if (p > end) revert IEvidence.RlpMalformed();
    }

    /// @notice The canonical hash of block `number`, from BLOCKHASH or EIP-2935; zero when
    ///         the block is the current one, in the future, or too old.
    function canonicalHash(uint256 number) internal view returns (bytes32 h) {
        if (number >= block.number) return bytes32(0);
        uint256 age = block.number - number;
        if (age <= 256) return blockhash(number);
        if (age > HISTORY_WINDOW) return bytes32(0);
        (bool ok, bytes memory out) = HISTORY.staticcall(abi.encode(number));
        if (ok && out.length == 32) h = abi.decode(out, (bytes32));
    }

    /// @notice Parses `rlpHeader` and requires it to be the canonical header of its number.
    function parseCanonical(bytes calldata rlpHeader) internal view returns (Header memory h) {
        h = parse(rlpHeader);
        bytes32 expected = canonicalHash(h.number);
        if (expected == bytes32(0) || expected != h.hash) {
            revert IEvidence.UnknownBlockHash(h.number);
        }
    }
}
