// SPDX-License-Identifier: MIT OR Apache-2.0
pragma solidity 0.8.30;

import {IEvidence} from "./IEvidence.sol";

/// @title ISlasher
/// @notice Turns a broken, signed promise into a slash of the committer's collateral, from
///         on-chain evidence alone (DESIGN.md "Slashing"). Four paths: equivocation,
///         broken rollup sequencing, broken L1 inclusion (a bonded dispute the operator can
///         defend) and a missed slot (liveness, a smaller penalty).
interface ISlasher is IEvidence {
    /// @notice One rollup transaction placed at a fixed position of a rollup's batch.
    struct Placement {
        uint64 rollupId;
        uint64 position;
        bytes32 txHash;
    }

    /// @notice The signed commitment of docs/commitments.md (EIP-712 type `Commitment`).
    /// @param kind 0: L1 inclusion of `txHashes`; 1: rollup sequencing of `placements`.
    /// @param slot The beacon slot whose L1 block carries the promise.
    /// @param validatorPubkey The 48-byte compressed BLS key of the slot's proposer.
    /// @param committer The ECDSA address that signed; registered for the validator.
    /// @param requestId The EIP-712 digest of the wallet's request.
    /// @param fee Wei the wallet pays.
    /// @param txHashes Kind 0: keccak256 of each raw EIP-2718 transaction (all or nothing).
    /// @param placements Kind 1: the promised positions.
    struct Commitment {
        uint8 kind;
        uint64 slot;
        bytes validatorPubkey;
        address committer;
        bytes32 requestId;
        uint256 fee;
        bytes32[] txHashes;
        Placement[] placements;
    }

    /// @notice The state of an L1 inclusion dispute.
    enum DisputeState {
        None,
        Open,
        Defended,
        Slashed,
        Missed
    }

    /// @notice An L1 inclusion dispute, keyed by the commitment's EIP-712 digest.
    /// @param challenger Who posted the bond.
    /// @param deadline Last timestamp at which the operator may defend.
    /// @param state See {DisputeState}.
    /// @param operator The operator whose collateral is at stake.
    /// @param slot The promised slot.
    /// @param txHashesHash `keccak256(abi.encodePacked(txHashes))` of the commitment.
    struct Dispute {
        address challenger;
        uint48 deadline;
        DisputeState state;
        address operator;
        uint64 slot;
        bytes32 txHashesHash;
    }

    /// @notice One leg of an inclusion defence: the transaction at `index` of the block.
    /// @param index The transaction's index in the block (trie key `rlp(index)`).
    /// @param proof The transactions-trie nodes from the root down to the leaf.
    struct TxInclusion {
        uint256 index;
        bytes[] proof;
    }

    /// @notice Two commitments promised different transactions at one position.
    event EquivocationSlashed(
        address indexed operator,
        uint64 indexed slot,
        uint64 rollupId,
        uint64 position,
        bytes32 digestA,
        bytes32 digestB,
        address challenger,
        uint256 amount
    );
    /// @notice A rollup sequencing promise was broken.
    event SequencingSlashed(
        bytes32 indexed digest,
        address indexed operator,
        uint256 leg,
        address challenger,
        uint256 amount
    );
    /// @notice An L1 inclusion dispute was opened.
    event DisputeOpened(
        bytes32 indexed digest,
        address indexed challenger,
        address indexed operator,
        uint256 deadline
    );
    /// @notice The operator proved inclusion (or that the sender spent the nonce).
    event DisputeDefended(bytes32 indexed digest, address indexed defender, bool byNonce);
    /// @notice The dispute went undefended; the operator was slashed.
    event DisputeSlashed(bytes32 indexed digest, address indexed challenger, uint256 amount);
    /// @notice The slot of a commitment was missed.
    /// @param amount Slashed wei (zero when this committer's miss of the slot was already
    ///        penalized through another commitment).
    event LivenessSlashed(
        bytes32 indexed digest,
        address indexed operator,
        uint64 indexed slot,
        address challenger,
        uint256 amount
    );

    /// @notice A constructor parameter is out of range.
    error InvalidParameters();
    /// @notice The recovered signer is not the commitment's committer.
    error SignerMismatch(address signer, address committer);
    /// @notice The committer is not the one registered (and active) for the validator key.
    error NotRegisteredCommitter(bytes32 pubkeyHash, address committer);
    /// @notice The commitment's kind does not fit this path, or it promises nothing.
    error WrongKind(uint8 kind);
    /// @notice This evidence was already used.
    /// @param key The replay key (commitment digest or equivocation key).
    error AlreadySlashed(bytes32 key);
    /// @notice The two commitments do not conflict (committer, slot, rollup, position differ
    ///         or the transactions agree).
    error NotEquivocation();
    /// @notice The slot's L1 block is not over yet.
    error SlotNotOver(uint64 slot);
    /// @notice The placement index is out of range.
    error LegOutOfRange(uint256 leg);
    /// @notice The promised transaction is where it was promised.
    error PromiseKept();
    /// @notice The position proof does not verify against the stored batch.
    error InvalidPositionProof();
    /// @notice The committer's batch exists (use the position-proof path).
    error BatchExists();
    /// @notice The committer posted no batch (use the missing-batch path, with the header).
    error BatchMissing();
    /// @notice The header is not the block of the slot.
    error HeaderNotAtSlot(uint256 timestamp, uint256 slotTimestamp);
    /// @notice A header's hash is not its child's parent hash.
    error ParentHashMismatch();
    /// @notice The two headers do not straddle the slot's timestamp.
    error NotStraddling();
    /// @notice A dispute can be opened only after the slot and within the open window.
    error DisputeWindow(uint256 opensAfter, uint256 closesAt);
    /// @notice `msg.value` is not the dispute bond.
    error WrongBond(uint256 sent, uint256 required);
    /// @notice A dispute for this commitment already exists.
    error DisputeExists(bytes32 digest);
    /// @notice No open dispute for this digest.
    error NoOpenDispute(bytes32 digest);
    /// @notice The defence window is over.
    error DefenceWindowOver(uint256 deadline);
    /// @notice The defence window is still open.
    error DefenceWindowOpen(uint256 deadline);
    /// @notice The supplied transaction hashes are not the disputed commitment's.
    error TxHashesMismatch();
    /// @notice One inclusion proof per promised transaction is required.
    error ProofCountMismatch(uint256 expected, uint256 supplied);
    /// @notice The proven transaction is not the promised one.
    error TxMismatch(uint256 leg);
    /// @notice The sender's nonce in the parent state does not exceed the transaction's.
    error NonceNotSpent(uint256 accountNonce, uint256 txNonce);
    /// @notice The raw transaction is signed for another chain.
    error WrongChainId(uint256 chainId);
    /// @notice Paying the caller (a defender's bond) failed.
    error TransferFailed(address to, uint256 amount);

    /// @notice Slashes two signed commitments that promise different transactions at the
    ///         same (rollup, slot, position). No game: the signatures are the evidence.
    /// @param a First commitment; `legA` selects its placement.
    /// @param b Second commitment; `legB` selects its placement.
    function slashEquivocation(
        Commitment calldata a,
        bytes calldata sigA,
        uint256 legA,
        Commitment calldata b,
        bytes calldata sigB,
        uint256 legB
    ) external returns (uint256 slashed);

    /// @notice Slashes a sequencing promise whose position holds another transaction (or
    ///         lies beyond the stored batch, then `actualTxHash` and `siblings` are unused).
    function slashSequencing(
        Commitment calldata c,
        bytes calldata sig,
        uint256 leg,
        bytes32 actualTxHash,
        bytes32[] calldata siblings
    ) external returns (uint256 slashed);

    /// @notice Slashes a sequencing promise whose batch is missing although the slot's block
    ///         exists (`slotHeader`: the RLP header with the slot's timestamp).
    function slashMissingBatch(
        Commitment calldata c,
        bytes calldata sig,
        uint256 leg,
        bytes calldata slotHeader
    ) external returns (uint256 slashed);

    /// @notice Opens an L1 inclusion dispute with `msg.value == disputeBond`.
    function openDispute(Commitment calldata c, bytes calldata sig)
        external
        payable
        returns (bytes32 digest);

    /// @notice Defends by proving every promised transaction in the slot's block.
    function defendInclusion(
        bytes32 digest,
        bytes32[] calldata txHashes,
        bytes calldata slotHeader,
        TxInclusion[] calldata inclusions
    ) external;

    /// @notice Defends by proving the sender of promised transaction `leg` had already used
    ///         its nonce before the slot's block (account proof against the parent state).
    function defendNonceSpent(
        bytes32 digest,
        bytes32[] calldata txHashes,
        uint256 leg,
        bytes calldata rawTx,
        bytes calldata slotHeader,
        bytes calldata parentHeader,
        bytes[] calldata accountProof
    ) external;

    /// @notice Slashes an undefended dispute after its deadline; the bond returns to the challenger.
    function resolveDispute(bytes32 digest) external returns (uint256 slashed);

    /// @notice Penalizes a missed slot: `after_` is a canonical header, `before` its parent,
    ///         and their timestamps straddle the slot. Settles an open dispute on the same
    ///         commitment (the bond returns to its challenger).
    function slashLiveness(
        Commitment calldata c,
        bytes calldata sig,
        bytes calldata before,
        bytes calldata after_
    ) external returns (uint256 slashed);

    /// @notice The EIP-712 digest of a commitment under this contract's domain.
    function digestOf(Commitment calldata c) external view returns (bytes32);

    /// @notice The signer of `sig` over `c` (reverts on malformed signatures).
    function recoverCommitter(Commitment calldata c, bytes calldata sig)
        external
        view
        returns (address);

    /// @notice This contract's EIP-712 domain separator.
    function domainSeparator() external view returns (bytes32);

    /// @notice A dispute's record.
    function dispute(bytes32 digest) external view returns (Dispute memory);
}
