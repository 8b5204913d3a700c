// SPDX-License-Identifier: MIT OR Apache-2.0
pragma solidity 0.8.30;

import {SlasherBase} from "./SlasherBase.sol";
import {ISlasher} from "./interfaces/ISlasher.sol";
import {BlockHeader} from "./lib/BlockHeader.sol";
import {MerkleTrie} from "./lib/MerkleTrie.sol";
import {RLPReader} from "./lib/RLPReader.sol";
import {TxDecoder} from "./lib/TxDecoder.sol";

/// @title InclusionDisputes
/// @notice Path 3 of the Slashing table: a broken L1 inclusion promise. Whether a
///         transaction is in a block cannot be shown cheaply by the challenger (absence needs
///         the whole block), so the challenger posts a bond and the operator must prove
///         inclusion: the slot's header (hash checked through BLOCKHASH / EIP-2935) and an
///         MPT proof of each promised transaction in its transactions trie; or, when the
///         user sabotaged the bundle, an account proof against the parent block's state
///         that a promised transaction's sender had already used its nonce.
abstract contract InclusionDisputes is SlasherBase {
    mapping(bytes32 digest => Dispute) private _disputes;

    /// @inheritdoc ISlasher
    function openDispute(Commitment calldata c, bytes calldata sig)
        external
        payable
        returns (bytes32 digest)
    {
        require(c.kind == 0 && c.txHashes.length != 0, WrongKind(c.kind));
        require(msg.value == disputeBond, WrongBond(msg.value, disputeBond));
        address operator;
        (digest, operator) = _verify(c, sig);
        uint256 ts = slotTimestamp(c.slot);
        require(
            block.timestamp > ts && block.timestamp <= ts + disputeOpenWindow,
            DisputeWindow(ts, ts + disputeOpenWindow)
        );
        require(!_settled[digest], AlreadySlashed(digest));
        Dispute storage d = _disputes[digest];
        require(d.state == DisputeState.None, DisputeExists(digest));
        uint256 deadline = block.timestamp + defendWindow;
        d.challenger = msg.sender;
        // forge-lint: disable-next-line(unsafe-typecast)
        d.deadline = uint48(deadline);
        d.state = DisputeState.Open;
        d.operator = operator;
        d.slot = c.slot;
        d.txHashesHash = keccak256(abi.encodePacked(c.txHashes));
        registry.lockOperator(operator);
        emit DisputeOpened(digest, msg.sender, operator, deadline);
    }

    /// @inheritdoc ISlasher
    function defendInclusion(
        bytes32 digest,
        bytes32[] calldata txHashes,
        bytes calldata slotHeader,
        TxInclusion[] calldata inclusions
    ) external {
        Dispute storage d = _openDispute(digest, txHashes);
        require(
            inclusions.length == txHashes.length,
            ProofCountMismatch(txHashes.length, inclusions.length)
        );
        BlockHeader.Header memory h = _slotHeader(slotHeader, d.slot);
        for (uint256 i; i < txHashes.length; ++i) {
            bytes calldata value = MerkleTrie.get(
                h.transactionsRoot, _rlpIndex(inclusions[i].index), inclusions[i].proof
            );
            require(keccak256(value) == txHashes[i], TxMismatch(i));
        }
        _defended(digest, d, false);
    }

    /// @inheritdoc ISlasher
    function defendNonceSpent(
        bytes32 digest,
        bytes32[] calldata txHashes,
        uint256 leg,
        bytes calldata rawTx,
        bytes calldata slotHeader,
        bytes calldata parentHeader,
        bytes[] calldata accountProof
    ) external {
        Dispute storage d = _openDispute(digest, txHashes);
        require(leg < txHashes.length, LegOutOfRange(leg));
        require(keccak256(rawTx) == txHashes[leg], TxMismatch(leg));
        _requireNonceSpent(rawTx, _parentStateRoot(slotHeader, parentHeader, d.slot), accountProof);
        _defended(digest, d, true);
    }

    /// @inheritdoc ISlasher
    function resolveDispute(bytes32 digest) external returns (uint256 slashed) {
        Dispute storage d = _disputes[digest];
        require(d.state == DisputeState.Open, NoOpenDispute(digest));
        require(block.timestamp > d.deadline, DefenceWindowOpen(d.deadline));
        d.state = DisputeState.Slashed;
        _settled[digest] = true;
        address challenger = d.challenger;
        address operator = d.operator;
        registry.unlockOperator(operator);
        slashed = registry.slash(operator, safetyPenalty, challenger);
        emit DisputeSlashed(digest, challenger, slashed);
        _refund(challenger, disputeBond);
    }

    /// @inheritdoc ISlasher
    function dispute(bytes32 digest) external view returns (Dispute memory) {
        return _disputes[digest];
    }

    /// @dev Closes an open dispute because the slot was missed (liveness path): the bond
    ///      returns to the challenger, who was right that the promise was not kept.
    function _closeAsMissed(bytes32 digest) internal {
        Dispute storage d = _disputes[digest];
        if (d.state != DisputeState.Open) return;
        d.state = DisputeState.Missed;
        registry.unlockOperator(d.operator);
        _refund(d.challenger, disputeBond);
    }

    function _openDispute(bytes32 digest, bytes32[] calldata txHashes)
        private
        view
        returns (Dispute storage d)
    {
        d = _disputes[digest];
        require(d.state == DisputeState.Open, NoOpenDispute(digest));
        require(block.timestamp <= d.deadline, DefenceWindowOver(d.deadline));
        require(keccak256(abi.encodePacked(txHashes)) == d.txHashesHash, TxHashesMismatch());
    }

    /// @dev The state root before the slot's block: the parent of the canonical slot header.
    function _parentStateRoot(bytes calldata slotHeader, bytes calldata parentHeader, uint64 slot)
        private
        view
        returns (bytes32)
    {
        BlockHeader.Header memory h = _slotHeader(slotHeader, slot);
        BlockHeader.Header memory parent = BlockHeader.parse(parentHeader);
        require(parent.hash == h.parentHash, ParentHashMismatch());
        return parent.stateRoot;
    }

    /// @dev Requires the sender of `rawTx` to have a nonce above the transaction's in the
    ///      state with `stateRoot` (account proof, key keccak256(sender)).
    function _requireNonceSpent(
        bytes calldata rawTx,
        bytes32 stateRoot,
        bytes[] calldata accountProof
    ) private view {
        (address sender, uint256 txNonce, uint256 chainId) = TxDecoder.decode(rawTx);
        require(chainId == 0 || chainId == block.chainid, WrongChainId(chainId));
        bytes calldata account = MerkleTrie.get(
            stateRoot, abi.encodePacked(keccak256(abi.encodePacked(sender))), accountProof
        );
        (uint256 p,) = RLPReader.list(account);
        (uint256 accountNonce,) = RLPReader.readUint(account, p);
        require(accountNonce > txNonce, NonceNotSpent(accountNonce, txNonce));
    }

    function _defended(bytes32 digest, Dispute storage d, bool byNonce) private {
        d.state = DisputeState.Defended;
        registry.unlockOperator(d.operator);
        emit DisputeDefended(digest, msg.sender, byNonce);
        _send(msg.sender, disputeBond);
    }

    /// @dev `rlp(index)`: the transactions-trie key of the transaction at `index`.
    function _rlpIndex(uint256 index) private pure returns (bytes memory) {
        if (index == 0) return hex"80";
        // forge-lint: disable-next-line(unsafe-typecast)
        if (index < 0x80) return abi.encodePacked(uint8(index));
        uint256 n;
        for (uint256 t = index; t != 0; t >>= 8) {
            ++n;
        }
        bytes memory out = new bytes(n + 1);
        // forge-lint: disable-next-line(unsafe-typecast)
        out[0] = bytes1(uint8(0x80 + n));
        for (uint256 i = n; i > 0; --i) {
            // forge-lint: disable-next-line(unsafe-typecast)
            out[i] = bytes1(uint8(index));
            index >>= 8;
        }
        return out;
    }
}
