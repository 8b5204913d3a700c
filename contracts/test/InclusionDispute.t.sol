// SPDX-License-Identifier: MIT OR Apache-2.0
pragma solidity 0.8.30;

import {SlasherFixture} from "./utils/SlasherFixture.sol";
import {EvidenceFixtures as F} from "./fixtures/EvidenceFixtures.sol";
import {ISlasher} from "../src/interfaces/ISlasher.sol";
import {IEvidence} from "../src/interfaces/IEvidence.sol";

/// @notice A defender account that rejects ETH.
contract Unpayable {}

/// @notice Shared: a real block body (ethereumjs) placed in the slot's canonical header.
abstract contract DisputeFixture is SlasherFixture {
    uint64 internal slot;
    uint256 internal number = 3_000_000;
    bytes internal parentHeader;
    bytes internal slotHeader;
    bytes32[] internal txHashes;

    function setUp() public virtual override {
        super.setUp();
        slot = _futureSlot(1);
        uint256 ts = inbox.slotTimestamp(slot);
        parentHeader =
            _header(keccak256("grandparent"), F.STATE_ROOT, bytes32(0), number - 1, ts - 12);
        slotHeader =
            _header(keccak256(parentHeader), keccak256("post state"), F.TX_ROOT, number, ts);
        vm.warp(ts + 60);
        _canonical(slotHeader, number);
    }

    function _open(bytes32[] memory hashes) internal returns (bytes32 digest) {
        ISlasher.Commitment memory c = _inclusion(slot, hashes);
        bytes memory sig = _sign(COMMITTER_KEY, c);
        delete txHashes;
        for (uint256 i; i < hashes.length; ++i) {
            txHashes.push(hashes[i]);
        }
        vm.prank(challenger);
        digest = slasher.openDispute{value: BOND}(c, sig);
    }

    function _single(bytes memory rawTx) internal pure returns (bytes32[] memory h) {
        h = new bytes32[](1);
        h[0] = keccak256(rawTx);
    }

    function _inclusionOf(uint256 index, bytes[] memory proof)
        internal
        pure
        returns (ISlasher.TxInclusion[] memory inc)
    {
        inc = new ISlasher.TxInclusion[](1);
        inc[0] = ISlasher.TxInclusion(index, proof);
    }
}

/// @notice Path 3, defended by inclusion proofs (and the dispute's own rules).
contract InclusionDisputeTest is DisputeFixture {
    function test_OpenLocksOperator() public {
        bytes32 digest = _open(_single(F.TX_2));
        ISlasher.Dispute memory d = slasher.dispute(digest);
        vm.assertEq(uint256(d.state), uint256(ISlasher.DisputeState.Open), "open");
        vm.assertEq(d.challenger, challenger, "challenger");
        vm.assertEq(registry.operatorOf(operator).openDisputes, 1, "locked");
    }

    function test_DefendOneTx() public {
        bytes32 digest = _open(_single(F.TX_2));
        address defender = address(0xDEFE);
        vm.prank(defender);
        slasher.defendInclusion(digest, txHashes, slotHeader, _inclusionOf(2, F.txProof2()));
        vm.assertEq(defender.balance, BOND, "bond to defender");
        vm.assertEq(_collateral(), COLLATERAL, "not slashed");
        vm.assertEq(registry.operatorOf(operator).openDisputes, 0, "unlocked");
        vm.expectRevert(abi.encodeWithSelector(ISlasher.NoOpenDispute.selector, digest));
        slasher.resolveDispute(digest);
    }

    /// Every transaction type, and an index whose key is two bytes (rlp(129) = 0x8181).
    function test_DefendBundleOfSix() public {
        bytes[] memory raw = new bytes[](6);
        (raw[0], raw[1], raw[2], raw[3], raw[4], raw[5]) =
        (F.TX_0, F.TX_1, F.TX_2, F.TX_3, F.TX_4, F.TX_129);
        uint256[6] memory idx = [uint256(0), 1, 2, 3, 4, 129];
        bytes32[] memory hashes = new bytes32[](6);
        for (uint256 i; i < 6; ++i) {
            hashes[i] = keccak256(raw[i]);
        }
        bytes32 digest = _open(hashes);
        ISlasher.TxInclusion[] memory inc = new ISlasher.TxInclusion[](6);
        inc[0] = ISlasher.TxInclusion(idx[0], F.txProof0());
        inc[1] = ISlasher.TxInclusion(idx[1], F.txProof1());
        inc[2] = ISlasher.TxInclusion(idx[2], F.txProof2());
        inc[3] = ISlasher.TxInclusion(idx[3], F.txProof3());
        inc[4] = ISlasher.TxInclusion(idx[4], F.txProof4());
        inc[5] = ISlasher.TxInclusion(idx[5], F.txProof129());
        vm.prank(operator);
        slasher.defendInclusion(digest, txHashes, slotHeader, inc);
        vm.assertEq(
            uint256(slasher.dispute(digest).state), uint256(ISlasher.DisputeState.Defended), "state"
        );
    }

    function test_UndefendedIsSlashed() public {
        bytes32 digest = _open(_single(F.TX_2));
        vm.warp(block.timestamp + DEFEND_WINDOW + 1);
        uint256 before = challenger.balance;
        uint256 slashed = slasher.resolveDispute(digest);
        vm.assertEq(slashed, SAFETY, "slashed");
        vm.assertEq(
            challenger.balance - before, BOND + SAFETY * SHARE_BPS / 10_000, "bond + reward"
        );
        vm.assertEq(registry.operatorOf(operator).openDisputes, 0, "unlocked");
    }

    function testRevert_WrongKind() public {
        ISlasher.Commitment memory c = _inclusion(slot, new bytes32[](0));
        bytes memory sig = _sign(COMMITTER_KEY, c);
        vm.expectRevert(abi.encodeWithSelector(ISlasher.WrongKind.selector, uint8(0)));
        slasher.openDispute{value: BOND}(c, sig);
    }

    function testRevert_WrongBond() public {
        ISlasher.Commitment memory c = _inclusion(slot, _single(F.TX_2));
        bytes memory sig = _sign(COMMITTER_KEY, c);
        vm.expectRevert(abi.encodeWithSelector(ISlasher.WrongBond.selector, 1, BOND));
        slasher.openDispute{value: 1}(c, sig);
    }

    function testRevert_DisputeWindow() public {
        uint256 ts = inbox.slotTimestamp(slot);
        ISlasher.Commitment memory c = _inclusion(slot, _single(F.TX_2));
        bytes memory sig = _sign(COMMITTER_KEY, c);
        vm.warp(ts);
        vm.expectRevert(
            abi.encodeWithSelector(ISlasher.DisputeWindow.selector, ts, ts + OPEN_WINDOW)
        );
        slasher.openDispute{value: BOND}(c, sig);
        vm.warp(ts + OPEN_WINDOW + 1);
        vm.expectRevert(
            abi.encodeWithSelector(ISlasher.DisputeWindow.selector, ts, ts + OPEN_WINDOW)
        );
        slasher.openDispute{value: BOND}(c, sig);
    }

    function testRevert_DisputeExists() public {
        bytes32 digest = _open(_single(F.TX_2));
        ISlasher.Commitment memory c = _inclusion(slot, _single(F.TX_2));
        bytes memory sig = _sign(COMMITTER_KEY, c);
        vm.expectRevert(abi.encodeWithSelector(ISlasher.DisputeExists.selector, digest));
        slasher.openDispute{value: BOND}(c, sig);
    }

    function testRevert_AlreadySlashed() public {
        bytes32 digest = _open(_single(F.TX_2));
        vm.warp(block.timestamp + DEFEND_WINDOW + 1);
        slasher.resolveDispute(digest);
        vm.warp(inbox.slotTimestamp(slot) + 60);
        ISlasher.Commitment memory c = _inclusion(slot, _single(F.TX_2));
        bytes memory sig = _sign(COMMITTER_KEY, c);
        vm.expectRevert(abi.encodeWithSelector(ISlasher.AlreadySlashed.selector, digest));
        slasher.openDispute{value: BOND}(c, sig);
    }

    function testRevert_NoOpenDispute() public {
        vm.expectRevert(
            abi.encodeWithSelector(ISlasher.NoOpenDispute.selector, bytes32(uint256(1)))
        );
        slasher.defendInclusion(
            bytes32(uint256(1)), txHashes, slotHeader, _inclusionOf(2, F.txProof2())
        );
    }

    function testRevert_DefenceWindowOver() public {
        bytes32 digest = _open(_single(F.TX_2));
        uint256 deadline = slasher.dispute(digest).deadline;
        vm.warp(deadline + 1);
        vm.expectRevert(abi.encodeWithSelector(ISlasher.DefenceWindowOver.selector, deadline));
        slasher.defendInclusion(digest, txHashes, slotHeader, _inclusionOf(2, F.txProof2()));
    }

    function testRevert_DefenceWindowOpen() public {
        bytes32 digest = _open(_single(F.TX_2));
        uint256 deadline = slasher.dispute(digest).deadline;
        vm.expectRevert(abi.encodeWithSelector(ISlasher.DefenceWindowOpen.selector, deadline));
        slasher.resolveDispute(digest);
    }

    function testRevert_TxHashesMismatch() public {
        bytes32 digest = _open(_single(F.TX_2));
        vm.expectRevert(ISlasher.TxHashesMismatch.selector);
        slasher.defendInclusion(digest, _single(F.TX_1), slotHeader, _inclusionOf(1, F.txProof1()));
    }

    function testRevert_ProofCountMismatch() public {
        bytes32 digest = _open(_single(F.TX_2));
        vm.expectRevert(abi.encodeWithSelector(ISlasher.ProofCountMismatch.selector, 1, 0));
        slasher.defendInclusion(digest, txHashes, slotHeader, new ISlasher.TxInclusion[](0));
    }

    function testRevert_TxMismatch() public {
        bytes32 digest = _open(_single(F.TX_2));
        vm.expectRevert(abi.encodeWithSelector(ISlasher.TxMismatch.selector, 0));
        slasher.defendInclusion(digest, txHashes, slotHeader, _inclusionOf(1, F.txProof1()));
    }

    function testRevert_MptInvalidProof() public {
        bytes32 digest = _open(_single(F.TX_2));
        // Right proof, wrong key: the path diverges.
        vm.expectRevert(IEvidence.MptInvalidProof.selector);
        slasher.defendInclusion(digest, txHashes, slotHeader, _inclusionOf(3, F.txProof2()));
        // Tampered node.
        bytes[] memory proof = F.txProof2();
        proof[1][40] = bytes1(uint8(proof[1][40]) ^ 1);
        vm.expectRevert(IEvidence.MptInvalidProof.selector);
        slasher.defendInclusion(digest, txHashes, slotHeader, _inclusionOf(2, proof));
    }

    function testRevert_TransferFailed() public {
        bytes32 digest = _open(_single(F.TX_2));
        address sink = address(new Unpayable());
        vm.prank(sink);
        vm.expectRevert(abi.encodeWithSelector(ISlasher.TransferFailed.selector, sink, BOND));
        slasher.defendInclusion(digest, txHashes, slotHeader, _inclusionOf(2, F.txProof2()));
    }

    function testRevert_HeaderNotAtSlot() public {
        bytes32 digest = _open(_single(F.TX_2));
        vm.expectRevert(
            abi.encodeWithSelector(
                ISlasher.HeaderNotAtSlot.selector,
                inbox.slotTimestamp(slot) - 12,
                inbox.slotTimestamp(slot)
            )
        );
        _canonical(parentHeader, number - 1);
        slasher.defendInclusion(digest, txHashes, parentHeader, _inclusionOf(2, F.txProof2()));
    }
}

/// @notice Path 3, defended by showing the user spent its own nonce before the slot.
contract NonceDefenceTest is DisputeFixture {
    function test_DefendNonceSpent() public {
        bytes32 digest = _open(_single(F.TX_2));
        vm.prank(operator);
        slasher.defendNonceSpent(
            digest, txHashes, 0, F.TX_2, slotHeader, parentHeader, F.accountProofSpent()
        );
        vm.assertEq(
            uint256(slasher.dispute(digest).state), uint256(ISlasher.DisputeState.Defended), "state"
        );
    }

    function testRevert_NonceNotSpent() public {
        bytes32 digest = _open(_single(F.TX_5));
        vm.expectRevert(abi.encodeWithSelector(ISlasher.NonceNotSpent.selector, 5, 5));
        slasher.defendNonceSpent(
            digest, txHashes, 0, F.TX_5, slotHeader, parentHeader, F.accountProofUnspent()
        );
    }

    function testRevert_ParentHashMismatch() public {
        bytes32 digest = _open(_single(F.TX_2));
        vm.expectRevert(ISlasher.ParentHashMismatch.selector);
        slasher.defendNonceSpent(
            digest, txHashes, 0, F.TX_2, slotHeader, slotHeader, F.accountProofSpent()
        );
    }

    function testRevert_WrongChainId() public {
        bytes32 digest = _open(_single(F.TX_2));
        vm.chainId(1);
        vm.expectRevert(abi.encodeWithSelector(ISlasher.WrongChainId.selector, F.CHAIN_ID));
        slasher.defendNonceSpent(
            digest, txHashes, 0, F.TX_2, slotHeader, parentHeader, F.accountProofSpent()
        );
    }

    function testRevert_UnsupportedTransaction() public {
        bytes memory raw = hex"05c0";
        bytes32 digest = _open(_single(raw));
        vm.expectRevert(abi.encodeWithSelector(IEvidence.UnsupportedTransaction.selector, 5));
        slasher.defendNonceSpent(
            digest, txHashes, 0, raw, slotHeader, parentHeader, F.accountProofSpent()
        );
    }

    function testRevert_LegOutOfRange() public {
        bytes32 digest = _open(_single(F.TX_2));
        vm.expectRevert(abi.encodeWithSelector(ISlasher.LegOutOfRange.selector, 1));
        slasher.defendNonceSpent(
            digest, txHashes, 1, F.TX_2, slotHeader, parentHeader, F.accountProofSpent()
        );
    }
}
