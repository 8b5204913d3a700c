// SPDX-License-Identifier: MIT OR Apache-2.0
pragma solidity 0.8.30;

import {InclusionDisputes} from "./InclusionDisputes.sol";
import {MarketDisputes} from "./MarketDisputes.sol";
import {SlasherBase} from "./SlasherBase.sol";
import {ISlasher} from "./interfaces/ISlasher.sol";
import {IRegistry} from "./interfaces/IRegistry.sol";
import {IRollupInbox} from "./interfaces/IRollupInbox.sol";
import {BatchRoot} from "./lib/BatchRoot.sol";
import {BlockHeader} from "./lib/BlockHeader.sol";

/// @title Slasher
/// @notice See {ISlasher}. Step ⑧ of DESIGN.md: anyone slashes a broken promise. This file
///         holds the paths that need no game (equivocation, rollup sequencing) and the
///         liveness path; the L1 inclusion dispute lives in {InclusionDisputes}. The
///         marketplace's unfair-clearing paths ({IMarketSlasher}) are {MarketDisputes}' code,
///         deployed by the constructor and run here by DELEGATECALL from the fallback (inside
///         this contract they would break the EIP-170 code-size limit).
contract Slasher is InclusionDisputes {
    /// @notice The code of the marketplace paths, run in this contract's context.
    address public immutable marketDisputes;

    /// @dev (committer, slot, rollup, position) already slashed for equivocation.
    mapping(bytes32 key => bool) private _equivocated;
    /// @dev (operator, slot) already penalized for a missed slot.
    mapping(address operator => mapping(uint64 slot => bool)) private _missPenalized;

    /// @notice See {SlasherBase} for the parameters.
    constructor(
        IRegistry registry_,
        IRollupInbox inbox_,
        uint256 safetyPenalty_,
        uint256 livenessPenalty_,
        uint256 disputeBond_,
        uint256 disputeOpenWindow_,
        uint256 defendWindow_
    )
        SlasherBase(
            registry_,
            inbox_,
            safetyPenalty_,
            livenessPenalty_,
            disputeBond_,
            disputeOpenWindow_,
            defendWindow_
        )
    {
        marketDisputes = address(new MarketDisputes(registry_, safetyPenalty_));
    }

    /// @notice Runs every function this contract does not declare (the {IMarketSlasher}
    ///         paths) with {MarketDisputes}' code in this contract's context; anything else
    ///         reverts there. Sending ETH here reverts (not payable).
    fallback() external {
        address target = marketDisputes;
        assembly {
            calldatacopy(0, 0, calldatasize())
            let ok := delegatecall(gas(), target, 0, calldatasize(), 0, 0)
            returndatacopy(0, 0, returndatasize())
            if iszero(ok) { revert(0, returndatasize()) }
            return(0, returndatasize())
        }
    }

    /// @inheritdoc ISlasher
    function slashEquivocation(
        Commitment calldata a,
        bytes calldata sigA,
        uint256 legA,
        Commitment calldata b,
        bytes calldata sigB,
        uint256 legB
    ) external returns (uint256 slashed) {
        require(a.kind == 1, WrongKind(a.kind));
        require(b.kind == 1, WrongKind(b.kind));
        require(legA < a.placements.length, LegOutOfRange(legA));
        require(legB < b.placements.length, LegOutOfRange(legB));
        Placement calldata pa = a.placements[legA];
        Placement calldata pb = b.placements[legB];
        require(
            a.committer == b.committer && a.slot == b.slot && pa.rollupId == pb.rollupId
                && pa.position == pb.position && pa.txHash != pb.txHash,
            NotEquivocation()
        );
        (bytes32 digestA, address operator) = _verify(a, sigA);
        (bytes32 digestB,) = _verify(b, sigB);
        bytes32 key = keccak256(abi.encode(a.committer, a.slot, pa.rollupId, pa.position));
        require(!_equivocated[key], AlreadySlashed(key));
        _equivocated[key] = true;
        slashed = registry.slash(operator, safetyPenalty, msg.sender);
        emit EquivocationSlashed(
            operator, a.slot, pa.rollupId, pa.position, digestA, digestB, msg.sender, slashed
        );
    }

    /// @inheritdoc ISlasher
    function slashSequencing(
        Commitment calldata c,
        bytes calldata sig,
        uint256 leg,
        bytes32 actualTxHash,
        bytes32[] calldata siblings
    ) external returns (uint256 slashed) {
        Placement calldata p = _leg(c, leg);
        (bytes32 digest, address operator) = _verify(c, sig);
        require(block.timestamp > slotTimestamp(c.slot), SlotNotOver(c.slot));
        IRollupInbox.Batch memory batch = inbox.batchOf(p.rollupId, c.slot, c.committer);
        require(batch.root != bytes32(0), BatchMissing());
        if (p.position < batch.count) {
            // Inside the batch: prove that another transaction holds the position.
            require(actualTxHash != p.txHash, PromiseKept());
            require(
                BatchRoot.verify(batch.root, batch.count, p.position, actualTxHash, siblings),
                InvalidPositionProof()
            );
        }
        // Beyond the batch (position >= count): the stored count alone breaks the promise.
        _settle(digest);
        slashed = registry.slash(operator, safetyPenalty, msg.sender);
        emit SequencingSlashed(digest, operator, leg, msg.sender, slashed);
    }

    /// @inheritdoc ISlasher
    function slashMissingBatch(
        Commitment calldata c,
        bytes calldata sig,
        uint256 leg,
        bytes calldata slotHeader
    ) external returns (uint256 slashed) {
        Placement calldata p = _leg(c, leg);
        (bytes32 digest, address operator) = _verify(c, sig);
        // The slot's block exists (so this is not a missed slot) and is in the past.
        _slotHeader(slotHeader, c.slot);
        require(inbox.batchOf(p.rollupId, c.slot, c.committer).root == bytes32(0), BatchExists());
        _settle(digest);
        slashed = registry.slash(operator, safetyPenalty, msg.sender);
        emit SequencingSlashed(digest, operator, leg, msg.sender, slashed);
    }

    /// @inheritdoc ISlasher
    function slashLiveness(
        Commitment calldata c,
        bytes calldata sig,
        bytes calldata before,
        bytes calldata after_
    ) external returns (uint256 slashed) {
        (bytes32 digest, address operator) = _verify(c, sig);
        BlockHeader.Header memory next = BlockHeader.parseCanonical(after_);
        BlockHeader.Header memory prev = BlockHeader.parse(before);
        require(prev.hash == next.parentHash, ParentHashMismatch());
        uint256 ts = slotTimestamp(c.slot);
        require(prev.timestamp < ts && ts < next.timestamp, NotStraddling());
        _settle(digest);
        _closeAsMissed(digest);
        if (!_missPenalized[operator][c.slot]) {
            _missPenalized[operator][c.slot] = true;
            slashed = registry.slash(operator, livenessPenalty, msg.sender);
        }
        emit LivenessSlashed(digest, operator, c.slot, msg.sender, slashed);
    }

    /// @dev The placement `leg` of a sequencing commitment.
    function _leg(Commitment calldata c, uint256 leg) private pure returns (Placement calldata) {
        require(c.kind == 1, WrongKind(c.kind));
        require(leg < c.placements.length, LegOutOfRange(leg));
        return c.placements[leg];
    }
}
