// SPDX-License-Identifier: MIT OR Apache-2.0
pragma solidity 0.8.30;

import {ISlasher} from "./interfaces/ISlasher.sol";
import {IRegistry} from "./interfaces/IRegistry.sol";
import {IRollupInbox} from "./interfaces/IRollupInbox.sol";
import {CommitmentLib} from "./lib/CommitmentLib.sol";
import {BlockHeader} from "./lib/BlockHeader.sol";

/// @title SlasherBase
/// @notice Parameters, the EIP-712 domain, signature and registration checks, and the
///         replay bookkeeping shared by every slashing path.
abstract contract SlasherBase is ISlasher {
    /// @notice Where operators and their collateral live.
    IRegistry public immutable registry;
    /// @notice Where rollup batches are stored.
    IRollupInbox public immutable inbox;
    /// @notice Beacon genesis time, read from the inbox.
    uint256 public immutable genesisTime;
    /// @notice Seconds per slot, read from the inbox.
    uint256 public immutable secondsPerSlot;
    /// @notice Penalty for a safety fault (equivocation, broken sequencing or inclusion).
    uint256 public immutable safetyPenalty;
    /// @notice Penalty for a missed slot; smaller than the safety penalty.
    uint256 public immutable livenessPenalty;
    /// @notice Bond to open an L1 inclusion dispute.
    uint256 public immutable disputeBond;
    /// @notice Seconds after the slot's timestamp during which a dispute can be opened.
    uint256 public immutable disputeOpenWindow;
    /// @notice Seconds the operator has to defend an open dispute.
    uint256 public immutable defendWindow;

    bytes32 private immutable _cachedSeparator;
    uint256 private immutable _cachedChainId;
    address private immutable _cachedThis;

    /// @dev Commitments already settled by a slash (sequencing, liveness or dispute).
    mapping(bytes32 digest => bool) internal _settled;

    /// @param registry_ The Registry, which must name this contract as its slasher.
    /// @param inbox_ The RollupInbox (genesis time and slot length are read from it).
    /// @param safetyPenalty_ Safety penalty (wei).
    /// @param livenessPenalty_ Liveness penalty (wei), below the safety penalty.
    /// @param disputeBond_ Dispute bond (wei, non-zero).
    /// @param disputeOpenWindow_ Dispute open window (seconds, non-zero).
    /// @param defendWindow_ Defence window (seconds, non-zero). The two windows together
    ///        must stay inside the EIP-2935 range and the Registry's exit delay.
    constructor(
        IRegistry registry_,
        IRollupInbox inbox_,
        uint256 safetyPenalty_,
        uint256 livenessPenalty_,
        uint256 disputeBond_,
        uint256 disputeOpenWindow_,
        uint256 defendWindow_
    ) {
        uint256 genesis = inbox_.slotTimestamp(0);
        uint256 slotSeconds = inbox_.slotTimestamp(1) - genesis;
        uint256 windows = disputeOpenWindow_ + defendWindow_;
        require(
            registry_.slasher() == address(this) && livenessPenalty_ < safetyPenalty_
                && disputeBond_ != 0 && disputeOpenWindow_ != 0 && defendWindow_ != 0
                && windows < BlockHeader.HISTORY_WINDOW * slotSeconds
                && registry_.exitDelay() >= windows,
            InvalidParameters()
        );
        registry = registry_;
        inbox = inbox_;
        genesisTime = genesis;
        secondsPerSlot = slotSeconds;
        safetyPenalty = safetyPenalty_;
        livenessPenalty = livenessPenalty_;
        disputeBond = disputeBond_;
        disputeOpenWindow = disputeOpenWindow_;
        defendWindow = defendWindow_;
        _cachedChainId = block.chainid;
        _cachedThis = address(this);
        _cachedSeparator = CommitmentLib.domainSeparator(address(this));
    }

    /// @inheritdoc ISlasher
    function domainSeparator() public view returns (bytes32) {
        if (block.chainid == _cachedChainId && address(this) == _cachedThis) {
            return _cachedSeparator;
        }
        return CommitmentLib.domainSeparator(address(this));
    }

    /// @inheritdoc ISlasher
    function digestOf(Commitment calldata c) public view returns (bytes32) {
        return CommitmentLib.typedDigest(domainSeparator(), CommitmentLib.structHash(c));
    }

    /// @inheritdoc ISlasher
    function recoverCommitter(Commitment calldata c, bytes calldata sig)
        external
        view
        returns (address)
    {
        return CommitmentLib.recover(digestOf(c), sig);
    }

    /// @notice The timestamp of `slot`.
    function slotTimestamp(uint64 slot) public view returns (uint256) {
        return genesisTime + uint256(slot) * secondsPerSlot;
    }

    /// @dev Checks the signature and that the signer is the committer registered for the
    ///      named validator; returns the digest and the operator to slash.
    function _verify(Commitment calldata c, bytes calldata sig)
        internal
        view
        returns (bytes32 digest, address operator)
    {
        digest = digestOf(c);
        address signer = CommitmentLib.recover(digest, sig);
        require(signer == c.committer, SignerMismatch(signer, c.committer));
        bytes32 pubkeyHash = keccak256(c.validatorPubkey);
        address committer;
        (operator, committer) = registry.resolve(pubkeyHash);
        require(
            operator != address(0) && committer == c.committer,
            NotRegisteredCommitter(pubkeyHash, c.committer)
        );
    }

    /// @dev Marks `digest` settled, or reverts when it already is.
    function _settle(bytes32 digest) internal {
        require(!_settled[digest], AlreadySlashed(digest));
        _settled[digest] = true;
    }

    /// @dev Parses a canonical header and requires it to be the block of `slot`.
    function _slotHeader(bytes calldata rlpHeader, uint64 slot)
        internal
        view
        returns (BlockHeader.Header memory h)
    {
        h = BlockHeader.parseCanonical(rlpHeader);
        uint256 ts = slotTimestamp(slot);
        require(h.timestamp == ts, HeaderNotAtSlot(h.timestamp, ts));
    }

    /// @dev Best-effort refund of a bond to a stored challenger: gas-capped and never
    ///      reverting, so no recipient can block a dispute's settlement. A failed refund
    ///      stays locked in this contract forever.
    function _refund(address to, uint256 amount) internal {
        (bool ok,) = to.call{value: amount, gas: 50_000}("");
        ok; // deliberately ignored, see above
    }

    /// @dev Pays the caller; reverts on failure (the caller can retry from another account).
    function _send(address to, uint256 amount) internal {
        (bool ok,) = to.call{value: amount}("");
        require(ok, TransferFailed(to, amount));
    }
}
