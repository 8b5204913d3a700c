// SPDX-License-Identifier: MIT OR Apache-2.0
pragma solidity 0.8.30;

/// @title IRollupInbox
/// @notice Where based rollups register and where sequencers post each slot's batch.
///         A batch is accepted only inside the L1 block of its slot, and is stored under
///         (rollup, slot, submitter) so nobody can overwrite another submitter's batch.
interface IRollupInbox {
    /// @notice A registered rollup.
    /// @param l2ChainId The rollup's EIP-155 chain id.
    /// @param admin The account that registered the rollup.
    /// @param name A human-readable name.
    struct Rollup {
        uint64 l2ChainId;
        address admin;
        string name;
    }

    /// @notice A stored batch.
    /// @param root The batch root of docs/derivation.md (zero when absent).
    /// @param count Number of transactions in the batch.
    /// @param blockNumber The L1 block that carried it.
    struct Batch {
        bytes32 root;
        uint64 count;
        uint64 blockNumber;
    }

    /// @notice A rollup was registered.
    /// @param rollupId The id assigned by the inbox (sequential from 1).
    /// @param l2ChainId The rollup's EIP-155 chain id.
    /// @param admin The registering account.
    /// @param name The rollup's name.
    event RollupRegistered(
        uint64 indexed rollupId, uint64 indexed l2ChainId, address admin, string name
    );

    /// @notice A batch was accepted. Carries everything derivation needs, so rollup nodes
    ///         derive from logs alone, whoever called the inbox and however.
    /// @param rollupId The rollup.
    /// @param slot The beacon slot whose L1 block carries the batch.
    /// @param submitter The account that submitted the batch.
    /// @param root The batch root.
    /// @param txs The raw rollup transactions, in batch order.
    event BatchSubmitted(
        uint64 indexed rollupId,
        uint64 indexed slot,
        address indexed submitter,
        bytes32 root,
        bytes[] txs
    );

    /// @notice The rollup id is not registered.
    /// @param rollupId The unknown id.
    error UnknownRollup(uint64 rollupId);

    /// @notice Another rollup already uses this L2 chain id.
    /// @param l2ChainId The duplicate chain id.
    error L2ChainIdTaken(uint64 l2ChainId);

    /// @notice The L2 chain id is zero or the name is empty or longer than 64 bytes.
    error InvalidRollup();

    /// @notice The batch is not in the L1 block of its slot.
    /// @param slot The slot named by the submitter.
    /// @param slotTimestamp The timestamp of that slot.
    /// @param blockTimestamp The timestamp of the current block.
    error WrongSlotTime(uint64 slot, uint256 slotTimestamp, uint256 blockTimestamp);

    /// @notice This submitter already posted a batch for this rollup and slot.
    /// @param rollupId The rollup.
    /// @param slot The slot.
    /// @param submitter The submitter.
    error BatchAlreadySubmitted(uint64 rollupId, uint64 slot, address submitter);

    /// @notice The batch has no transactions, or more than the maximum.
    /// @param count The number of transactions submitted.
    error BadBatchSize(uint256 count);

    /// @notice Registers a rollup; the caller becomes its admin.
    /// @param l2ChainId The rollup's EIP-155 chain id (unique, non-zero).
    /// @param name A name of 1 to 64 bytes.
    /// @return rollupId The new id.
    function registerRollup(uint64 l2ChainId, string calldata name)
        external
        returns (uint64 rollupId);

    /// @notice Posts the batch of `rollupId` for `slot`; only inside slot `slot`'s L1 block.
    /// @param rollupId The rollup.
    /// @param slot The slot; `block.timestamp` must equal its timestamp.
    /// @param txs The raw rollup transactions, in order.
    /// @return root The batch root the inbox computed and stored.
    function submitBatch(uint64 rollupId, uint64 slot, bytes[] calldata txs)
        external
        returns (bytes32 root);

    /// @notice The batch `submitter` posted for (`rollupId`, `slot`); zero root when none.
    function batchOf(uint64 rollupId, uint64 slot, address submitter)
        external
        view
        returns (Batch memory);

    /// @notice The rollup registered under `rollupId`.
    function rollup(uint64 rollupId) external view returns (Rollup memory);

    /// @notice Number of registered rollups (ids run from 1 to this).
    function rollupCount() external view returns (uint64);

    /// @notice The timestamp of `slot`: `genesisTime + slot * secondsPerSlot`.
    function slotTimestamp(uint64 slot) external view returns (uint256);
}
