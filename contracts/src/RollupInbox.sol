// SPDX-License-Identifier: MIT OR Apache-2.0
pragma solidity 0.8.30;

import {IRollupInbox} from "./interfaces/IRollupInbox.sol";
import {BatchRoot} from "./lib/BatchRoot.sol";

/// @title RollupInbox
/// @notice See {IRollupInbox}. Step ⑦ of docs/architecture.md: each rollup's batch lands here.
contract RollupInbox is IRollupInbox {
    /// @notice Beacon genesis time (seconds).
    uint256 public immutable genesisTime;
    /// @notice Seconds per beacon slot.
    uint256 public immutable secondsPerSlot;

    uint64 private _rollupCount;
    mapping(uint64 rollupId => Rollup) private _rollups;
    mapping(uint64 l2ChainId => bool) private _chainIdTaken;
    mapping(uint64 rollupId => mapping(uint64 slot => mapping(address submitter => Batch))) private
        _batches;

    /// @param genesisTime_ Beacon genesis time (seconds).
    /// @param secondsPerSlot_ Seconds per slot (non-zero).
    constructor(uint256 genesisTime_, uint256 secondsPerSlot_) {
        require(secondsPerSlot_ != 0, InvalidRollup());
        genesisTime = genesisTime_;
        secondsPerSlot = secondsPerSlot_;
    }

    /// @inheritdoc IRollupInbox
    function registerRollup(uint64 l2ChainId, string calldata name)
        external
        returns (uint64 rollupId)
    {
        uint256 nameLength = bytes(name).length;
        require(l2ChainId != 0 && nameLength != 0 && nameLength <= 64, InvalidRollup());
        require(!_chainIdTaken[l2ChainId], L2ChainIdTaken(l2ChainId));
        _chainIdTaken[l2ChainId] = true;
        rollupId = ++_rollupCount;
        _rollups[rollupId] = Rollup({l2ChainId: l2ChainId, admin: msg.sender, name: name});
        emit RollupRegistered(rollupId, l2ChainId, msg.sender, name);
    }

    /// @inheritdoc IRollupInbox
    function submitBatch(uint64 rollupId, uint64 slot, bytes[] calldata txs)
        external
        returns (bytes32 root)
    {
        require(rollupId != 0 && rollupId <= _rollupCount, UnknownRollup(rollupId));
        uint256 expected = slotTimestamp(slot);
        require(block.timestamp == expected, WrongSlotTime(slot, expected, block.timestamp));
        uint256 count = txs.length;
        require(count != 0 && count <= BatchRoot.MAX_BATCH_TXS, BadBatchSize(count));
        Batch storage stored = _batches[rollupId][slot][msg.sender];
        require(stored.root == bytes32(0), BatchAlreadySubmitted(rollupId, slot, msg.sender));

        bytes32[] memory hashes = new bytes32[](count);
        for (uint256 i; i < count; ++i) {
            hashes[i] = keccak256(txs[i]);
        }
        root = BatchRoot.rootOfHashes(hashes);
        stored.root = root;
        // casting to 'uint64' is safe because count <= MAX_BATCH_TXS was checked above
        // forge-lint: disable-next-line(unsafe-typecast)
        stored.count = uint64(count);
        stored.blockNumber = uint64(block.number);
        emit BatchSubmitted(rollupId, slot, msg.sender, root, txs);
    }

    /// @inheritdoc IRollupInbox
    function batchOf(uint64 rollupId, uint64 slot, address submitter)
        external
        view
        returns (Batch memory)
    {
        return _batches[rollupId][slot][submitter];
    }

    /// @inheritdoc IRollupInbox
    function rollup(uint64 rollupId) external view returns (Rollup memory) {
        require(rollupId != 0 && rollupId <= _rollupCount, UnknownRollup(rollupId));
        return _rollups[rollupId];
    }

    /// @inheritdoc IRollupInbox
    function rollupCount() external view returns (uint64) {
        return _rollupCount;
    }

    /// @inheritdoc IRollupInbox
    function slotTimestamp(uint64 slot) public view returns (uint256) {
        return genesisTime + uint256(slot) * secondsPerSlot;
    }
}
